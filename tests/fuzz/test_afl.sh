#!/usr/bin/env bash
# Suite `fuzz`: lockstep-afl under afl-fuzz finds demo/abba:buggy (fixed seed, at most 20 s), its
# crash input becomes a trace with `lockstep replay --target` that `lockstep replay` reproduces.
# Skipped (77) when the binary was not built (afl-clang-fast missing) or afl-fuzz cannot run here
# (core_pattern piped to a handler, no shared memory, ...).
# Usage: test_afl.sh PATH/TO/lockstep-afl PATH/TO/lockstep
set -u

AFL=${1:-}
LS=${2:?usage: test_afl.sh LOCKSTEP_AFL LOCKSTEP}
if [ -z "$AFL" ] || [ ! -x "$AFL" ]; then
	echo "SKIP: lockstep-afl not built: afl-clang-fast (AFL++) was not found or could not build" \
		"a persistent-mode binary when the build was configured"
	exit 77
fi
command -v afl-fuzz >/dev/null || { echo "SKIP: afl-fuzz not on PATH"; exit 77; }
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

# The harness is not sanitized; afl-fuzz refuses sanitizer options it does not like.
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS

# The input that does not preempt, the deadlock with the validator off.
mkdir -p "$tmp/in"
printf '\0' >"$tmp/in/zero"
env LOCKSTEP_TARGET=demo/abba:buggy LOCKSTEP_LOCKDEP=off AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
	AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_BENCH_UNTIL_CRASH=1 \
	timeout 60 afl-fuzz -V 20 -s 1 -t 1000 -i "$tmp/in" -o "$tmp/sync" -- "$AFL" \
	>"$tmp/afl.log" 2>&1
rc=$?
crash=$(ls "$tmp"/sync/default/crashes/id:* 2>/dev/null | head -1)
if [ -z "$crash" ]; then
	if grep -q "PROGRAM ABORT" "$tmp/afl.log" && ! grep -q "Fuzzing test case" "$tmp/afl.log"; then
		echo "SKIP: afl-fuzz cannot run here:"
		grep -A2 "PROGRAM ABORT" "$tmp/afl.log" | sed 's/\x1b\[[0-9;]*m//g'
		exit 77
	fi
	fail "afl-fuzz on demo/abba:buggy: exit $rc and no crash input"
	tail -15 "$tmp/afl.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
	finish fuzz
fi
ok "afl-fuzz finds a crash in demo/abba:buggy ($(basename "$crash"))"

expect_rc 1 "replay --target turns the AFL++ crash input into a trace" -- \
	"$LS" replay --target demo/abba:buggy --no-lockdep "$crash" --out "$tmp/found"
grep -q "WARNING: lockstep: deadlock" "$tmp/out" || fail "replay --target: no deadlock report"
trace=$(ls "$tmp"/found/deadlock-*.trace 2>/dev/null | head -1)
if [ -n "$trace" ]; then
	expect_rc 0 "the trace from the AFL++ crash input replays" -- "$LS" replay "$trace"
	grep -q "replay: reproduced deadlock" "$tmp/out" || fail "replay: not reproduced"
else
	fail "replay --target wrote no deadlock trace into --out"
fi

# Outside afl-fuzz the binary runs stdin once: the empty input with the validator is the ABBA.
printf '' | LOCKSTEP_TARGET=demo/abba:buggy "$AFL" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "lockstep: demo/abba:buggy: ABBA: lock_a, lock_b" "$tmp/err" &&
	ok "lockstep-afl alone on stdin reports the ABBA" ||
	fail "lockstep-afl alone: exit $rc, stderr: $(head -3 "$tmp/err")"
printf '' | LOCKSTEP_TARGET=demo/abba:ordered "$AFL" >"$tmp/out" 2>"$tmp/err" &&
	ok "lockstep-afl alone on demo/abba:ordered: no finding" ||
	fail "lockstep-afl on demo/abba:ordered: exit $?, stderr: $(head -3 "$tmp/err")"

finish fuzz
