#!/usr/bin/env bash
# Suite `fuzz`: lockstep-libfuzzer finds demo/abba:buggy with fixed seeds, its crash input becomes
# a trace with `lockstep replay --target` that `lockstep replay` reproduces, and clean variants
# stay clean.  Skipped (77) when the binary was not built: clang or its libFuzzer runtime missing.
# Usage: test_libfuzzer.sh PATH/TO/lockstep-libfuzzer PATH/TO/lockstep
set -u

LF=${1:-}
LS=${2:?usage: test_libfuzzer.sh LIBFUZZER LOCKSTEP}
if [ -z "$LF" ] || [ ! -x "$LF" ]; then
	echo "SKIP: lockstep-libfuzzer not built: clang with -fsanitize=fuzzer (libclang-rt-dev)" \
		"was not found when the build was configured"
	exit 77
fi
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

# libfuzz NAME RUNS [ENV...]: runs the fuzzer from an empty corpus, artifacts in $tmp/NAME.
libfuzz() {
	local name=$1 runs=$2
	shift 2
	mkdir -p "$tmp/$name"
	env "$@" "$LF" -seed=1 -runs="$runs" -error_exitcode=1 -artifact_prefix="$tmp/$name/" \
		>"$tmp/out" 2>"$tmp/err"
}

# The deadlock, with the validator off so that the hang is the finding.
libfuzz abba 200000 LOCKSTEP_TARGET=demo/abba:buggy LOCKSTEP_LOCKDEP=off
rc=$?
crash=$(ls "$tmp"/abba/crash-* 2>/dev/null | head -1)
if [ "$rc" -eq 0 ] || [ -z "$crash" ]; then
	fail "libFuzzer on demo/abba:buggy: exit $rc and no crash input"
	tail -5 "$tmp/err" >&2
	finish fuzz
fi
grep -q "lockstep: demo/abba:buggy: deadlock: t0 waits in spin_lock on lock_b held by t1" \
	"$tmp/err" || fail "libFuzzer on demo/abba:buggy: no deadlock signature on stderr"
grep -q "lockstep replay --target demo/abba:buggy --no-lockdep INPUT" "$tmp/err" ||
	fail "libFuzzer on demo/abba:buggy: no replay command on stderr"
ok "libFuzzer finds the demo/abba:buggy deadlock ($(basename "$crash"))"

expect_rc 1 "replay --target turns the crash input into a trace" -- \
	"$LS" replay --target demo/abba:buggy --no-lockdep "$crash" --out "$tmp/found" \
	--trace "$tmp/raw.trace"
grep -q "WARNING: lockstep: deadlock" "$tmp/out" || fail "replay --target: no deadlock report"
trace=$(ls "$tmp"/found/deadlock-*.trace 2>/dev/null | head -1)
[ -n "$trace" ] || fail "replay --target wrote no deadlock trace into --out"
cmp -s "$trace" "$tmp/raw.trace" || fail "replay --target: --trace differs from the saved trace"
expect_rc 0 "the trace from the crash input replays" -- "$LS" replay "$trace"
grep -q "replay: reproduced deadlock" "$tmp/out" || fail "replay: not reproduced"

# With the validator on, the first input (no preemption) already shows the ABBA.
libfuzz abba-lockdep 1000 LOCKSTEP_TARGET=demo/abba:buggy
[ $? -ne 0 ] && grep -q "lockstep: demo/abba:buggy: ABBA: lock_a, lock_b" "$tmp/err" &&
	ok "libFuzzer with the validator reports the ABBA" ||
	fail "libFuzzer with the validator: no ABBA finding"
crash=$(ls "$tmp"/abba-lockdep/crash-* 2>/dev/null | head -1)
[ -n "$crash" ] && expect_rc 1 "replay --target of the ABBA input" -- \
	"$LS" replay --target demo/abba:buggy "$crash" --out "$tmp/found2"

# Clean variants stay clean, with and without interleaving coverage.
for t in demo/abba:ordered demo/nmi-aa:trylock; do
	for cov in 1 0; do
		libfuzz clean 20000 LOCKSTEP_TARGET=$t LOCKSTEP_INTERLEAVING_COVERAGE=$cov
		rc=$?
		[ "$rc" -eq 0 ] && ok "libFuzzer on $t (coverage $cov): 20000 runs, no finding" ||
			{ fail "libFuzzer on $t (coverage $cov): exit $rc"; tail -5 "$tmp/err" >&2; }
	done
done

# A bad target is one line and exit 2.
LOCKSTEP_TARGET=demo/abba:nope "$LF" -runs=1 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] && grep -q "no variant 'nope'" "$tmp/err" &&
	ok "a bad LOCKSTEP_TARGET is one line and exit 2" ||
	fail "bad LOCKSTEP_TARGET: exit $rc, stderr: $(head -3 "$tmp/err")"

finish fuzz
