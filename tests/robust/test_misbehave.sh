#!/usr/bin/env bash
# Suite `robust`, misbehave: a target whose code crashes, overflows its stack, eats memory, spins
# between scheduling points or calls exit(0) (tests/robust/misbehave.c), through every command
# that runs target code.  Each command files a `crash` finding with a trace and ends with its own
# exit code, never with the target's signal or exit status; each crash trace replays.  explore
# goes on searching past a crash, and minimize counts a candidate that crashes as one that does
# not keep the finding.
# Usage: test_misbehave.sh LOCKSTEP SOURCE_DIR
set -u

LS=$(realpath "${1:?usage: test_misbehave.sh LOCKSTEP SOURCE_DIR}")
SRC=$(realpath "${2:?}")
CC=${CC:-cc}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1

if ! "$CC" -shared -fPIC -std=gnu11 -Wall -Wextra -Werror -fstack-clash-protection \
	-I"$SRC/include" -o misbehave.so "$SRC/tests/robust/misbehave.c" 2>"$tmp/err"; then
	fail "building misbehave.so: $(head -5 "$tmp/err")"
	finish robust-misbehave
fi
# In the ASan build a SIGSEGV or a stack overflow is a sanitizer report (abort_on_error makes it
# an abort), and exit(0) may end in LeakSanitizer's report: both are filed as crashes too.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}symbolize=0"
T=./misbehave.so
limits=(--hang-timeout 1 --rss-limit-mb 256)

# VARIANT -> the death its signature names (an ERE).
declare -A death=(
	[segv]='(SIGSEGV|sanitizer report)'
	[init]='(SIGABRT|sanitizer report)'
	[stack]='(SIGSEGV|sanitizer report)'
	[big]='(SIGSEGV|sanitizer report)'
	[oom]='out of memory'
	[spin]='hang'
	[exit0]='(exit\(0\)|sanitizer report)'
	[raw-exit]='exit\(3\)'
)

expect_rc 0 "list $T" -- "$LS" list "$T"

for v in segv init stack big oom spin exit0 raw-exit; do
	want="^crash: ${death[$v]}: "
	hang=(--hang-timeout 1)
	execs=20
	# Each of these executions costs a second or more: fewer of them.
	[ "$v" = spin ] && execs=4
	[ "$v" = oom ] && hang=(--hang-timeout 60) execs=4	# filling 256 MB may take seconds

	# run: one execution, in a child.
	if expect_rc 1 "run $T:$v files a crash" -- \
		"$LS" run "$T:$v" --seed 0 --out "run-$v" --json --quiet "${limits[@]}" "${hang[@]}"; then
		sig=$(json 'j["signature"]')
		[[ $sig =~ $want ]] || fail "run $v: signature '$sig', want /$want/"
		trace=$(json 'j["trace"]')
		[ -f "$trace" ] || fail "run $v: no trace $trace"
		expect_rc 0 "replay of run's $v crash reproduces it" -- \
			"$LS" replay --target "$T" "$trace" --quiet "${limits[@]}" "${hang[@]}"
		grep -q "^replay: reproduced crash: " "$tmp/out" || fail "replay $v: $(tail -1 "$tmp/out")"
	fi

	# fuzz: the campaign goes on to its budget.
	if expect_rc 1 "fuzz $T:$v files the crash and finishes its budget" -- \
		"$LS" fuzz "$T:$v" --execs "$execs" --jobs 1 --out "fuzz-$v" --json --quiet \
		"${limits[@]}" "${hang[@]}"; then
		[ "$(json 'j["execs"]')" = "$execs" ] ||
			fail "fuzz $v: $(json 'j["execs"]') executions, not $execs"
		n=$(json 'sum(1 for f in j["findings"] if f["kind"] == "crash")')
		[ "$n" -ge 1 ] || fail "fuzz $v: no crash finding"
	fi

	# explore: a crash is a finding and the search goes on to its end.
	if expect_rc 1 "explore $T:$v files the crash and completes the search" -- \
		"$LS" explore "$T:$v" --out "explore-$v" --json --quiet --no-lockdep \
		"${limits[@]}" "${hang[@]}"; then
		[ "$(json 'j["crashes"] > 0 and j["finding"]["kind"] == "crash"')" = True ] ||
			fail "explore $v: $(tail -1 "$tmp/out")"
		[ "$(json 'j["complete"]')" = True ] || fail "explore $v: the search did not complete"
		sig=$(json 'j["finding"]["signature"]')
		[[ $sig =~ $want ]] || fail "explore $v: signature '$sig', want /$want/"
		expect_rc 0 "replay of explore's $v crash reproduces it" -- \
			"$LS" replay --target "$T" "$(json 'j["finding"]["trace"]')" --quiet \
			"${limits[@]}" "${hang[@]}"
	fi
done

# The same schedules without misbehaviour: explore finds nothing, so the crashes above were the
# target's and the search around them is the ordinary one.
expect_rc 0 "explore $T:clean finds nothing" -- "$LS" explore "$T:clean" --out clean --quiet
expect_rc 1 "explore $T:abba-segv files the crashes and goes on to the deadlock" -- \
	"$LS" explore "$T:abba-segv" --out abba --json --quiet --no-lockdep
[ "$(json 'j["finding"]["kind"]')" = deadlock ] || fail "explore abba-segv: $(tail -1 "$tmp/out")"
[ "$(json 'j["crashes"] > 0')" = True ] || fail "explore abba-segv: no crash on the way"

# minimize: a deadlock trace of abba-segv whose candidates crash when they move t1's read into
# t0's writes.  Each crashing candidate is one that does not keep the deadlock.
expect_rc 1 "fuzz $T:abba-segv finds the deadlock" -- \
	"$LS" fuzz "$T:abba-segv" --execs 300 --seed 1 --jobs 1 --no-lockdep --out mz --quiet
trace=$(find mz -name 'deadlock-*.trace' | sort | head -1)
if [ -z "$trace" ]; then
	fail "fuzz abba-segv wrote no deadlock trace"
elif expect_rc 0 "minimize of the abba-segv deadlock survives crashing candidates" -- \
	"$LS" minimize --target "$T" "$trace" -o min.trace --json --quiet "${limits[@]}"; then
	[ "$(json 'j["crashed"] > 0')" = True ] ||
		fail "minimize: no candidate crashed, the test shows nothing: $(tail -1 "$tmp/out")"
	expect_rc 0 "the minimized abba-segv trace replays" -- \
		"$LS" replay --target "$T" min.trace --quiet
fi

# minimize in its careful mode: once a candidate has crashed, each later one runs in a child of
# its own, and one of those spins: the child times it, the minimizer goes on.
# Seed 63 is the deadlock abba-segv's campaign above finds first (the same schedules).
expect_rc 1 "run $T:abba-mixed --seed 63 deadlocks" -- \
	"$LS" run "$T:abba-mixed" --seed 63 --no-lockdep --out mixed --quiet "${limits[@]}"
trace=$(find mixed -name 'deadlock-*.trace' | sort | head -1)
if [ -z "$trace" ]; then
	fail "fuzz abba-mixed wrote no deadlock trace"
elif expect_rc 0 "minimize of the abba-mixed deadlock survives crashing and hanging candidates" -- \
	"$LS" minimize --target "$T" "$trace" -o mixed.trace --json --quiet "${limits[@]}"; then
	[ "$(json 'j["crashed"] > 0')" = True ] || fail "minimize abba-mixed: $(tail -1 "$tmp/out")"
	expect_rc 0 "the minimized abba-mixed trace replays" -- \
		"$LS" replay --target "$T" mixed.trace --quiet
fi

# check: each variant as it declares, crashes included.
expect_rc 0 "check of the misbehaving variants" -- \
	"$LS" check "$T:segv" "$T:init" "$T:exit0" "$T:abba-segv" "$T:clean" --budget 200

finish robust-misbehave
