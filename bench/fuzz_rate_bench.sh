#!/usr/bin/env bash
# lockstep fuzz-rate benchmark: how much of a fuzzer's speed lockstep's harness keeps.
#
# For libFuzzer (BUILD/fuzz/lockstep-libfuzzer, one process, -max_total_time=SECS) and AFL++
# (BUILD/fuzz/lockstep-afl under afl-fuzz -V SECS, one instance): executions per second on the
# empty harness (LOCKSTEP_TARGET=empty: the fuzzer's own cost per input), then on each scenario's
# fixed variant (no crash stops the run), and the fraction of the empty harness's rate each
# keeps.  The validator is on, as in a default campaign.  Rates depend on the machine.
#
# Usage: fuzz_rate_bench.sh BUILD_DIR [--quick]
set -u

BUILD=${1:?usage: fuzz_rate_bench.sh BUILD_DIR [--quick]}
SECS=10
[ "${2:-}" = "--quick" ] && SECS=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS

specs=(
	empty
	demo/abba:ordered
	kptr/dtor-nmi:global-llist
	buildid/stackmap:snapshot-then-parse
	bpf/task-vma:per-vma-lock
	maps/lpm-trie:rqspinlock
	maps/queue-stack:rqspinlock
	maps/lru-abba:rqspinlock
	rqspinlock/nmi-stress-aa-2cpu:current
)

libfuzzer_rate() {
	rm -rf "$tmp/c" && mkdir -p "$tmp/c"
	LOCKSTEP_TARGET=$1 "$BUILD/fuzz/lockstep-libfuzzer" -max_total_time="$SECS" \
		-print_final_stats=1 -seed=1 "$tmp/c" 2>&1 |
		sed -n 's/^stat::average_exec_per_sec: *//p' | tail -1
}

afl_rate() {
	rm -rf "$tmp/in" "$tmp/out" && mkdir -p "$tmp/in"
	printf '\0' >"$tmp/in/zero"
	LOCKSTEP_TARGET=$1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 \
		AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
		timeout $((SECS + 30)) afl-fuzz -V "$SECS" -s 1 -t 1000 -i "$tmp/in" -o "$tmp/out" -- \
		"$BUILD/fuzz/lockstep-afl" >/dev/null 2>&1
	sed -n 's/^execs_per_sec *: *//p' "$tmp/out/default/fuzzer_stats" 2>/dev/null | cut -d. -f1
}

echo "# lockstep fuzz-rate benchmark"
echo
echo "- $SECS s per cell, one fuzzer process; validator on; the empty harness runs nothing"
echo
echo "| target | libFuzzer execs/s | of empty | AFL++ execs/s | of empty |"
echo "|---|---:|---:|---:|---:|"
lf_empty=0 afl_empty=0
for spec in "${specs[@]}"; do
	lf=-
	afl=-
	[ -x "$BUILD/fuzz/lockstep-libfuzzer" ] && lf=$(libfuzzer_rate "$spec")
	[ -x "$BUILD/fuzz/lockstep-afl" ] && command -v afl-fuzz >/dev/null && afl=$(afl_rate "$spec")
	lf=${lf:--}
	afl=${afl:--}
	if [ "$spec" = empty ]; then
		lf_empty=$lf
		afl_empty=$afl
	fi
	frac() {
		case "$1$2" in *-*) echo - ;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;; esac
	}
	echo "| $spec | $lf | $(frac "$lf" "$lf_empty") | $afl | $(frac "$afl" "$afl_empty") |"
done
