#!/usr/bin/env bash
# lockstep fuzz-coverage benchmark: does interleaving coverage help libFuzzer find the bugs?
#
# For each buggy variant below, SEEDS libFuzzer runs (-seed=1..SEEDS) of the harness built in
# BUILD/fuzz/lockstep-libfuzzer, each stopped at its first finding (the harness aborts) or at
# CAP executions, with interleaving coverage on (LOCKSTEP_INTERLEAVING_COVERAGE=1, the default)
# and off (edge coverage only).  Prints a Markdown table of the median executions to the first
# finding (libFuzzer's stat::number_of_executed_units), and executions per second over all the
# cell's runs (wall time of the runs, process start included).
# The validator is off (LOCKSTEP_LOCKDEP=off), so the finding is the hang or the check itself.
# Counts depend on libFuzzer's seed and version, and vary a little between runs (libFuzzer's own
# scheduling is not exactly repeatable); rates depend on the machine, and for short runs mostly on
# process start.
#
# Usage: fuzz_coverage_bench.sh BUILD_DIR [--quick]
set -u

BUILD=${1:?usage: fuzz_coverage_bench.sh BUILD_DIR [--quick]}
FUZZER=$BUILD/fuzz/lockstep-libfuzzer
SEEDS=11
CAP=100000
if [ "${2:-}" = "--quick" ]; then
	SEEDS=3
	CAP=20000
fi
if [ ! -x "$FUZZER" ]; then
	echo "fuzz-coverage bench: $FUZZER was not built (clang cannot link -fsanitize=fuzzer)" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

variants=(
	demo/abba:buggy
	demo/nmi-aa:buggy
	kptr/dtor-nmi:inline
	kptr/dtor-nmi:racy-empty-check
	kptr/dtor-nmi:busy-skip-queue
	kptr/dtor-nmi:per-map-zeroed-on-reuse
	buildid/stackmap:sleepable-under-mmap-lock
	buildid/stackmap:nofault-irq-work-unlock
	bpf/task-vma:mmap-lock-held
	maps/lru-abba:raw-spinlock
	rqspinlock/nmi-stress-aa-2cpu:v6.15
	rqspinlock/ringbuf-nmi:unlock-clear-first
)

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

# one SPEC COVERAGE SEED: "executions found rate" of one libFuzzer run.
one() {
	local out=$tmp/out t0 t1
	t0=$(date +%s.%N)
	LOCKSTEP_TARGET=$1 LOCKSTEP_LOCKDEP=off LOCKSTEP_INTERLEAVING_COVERAGE=$2 \
		"$FUZZER" -seed="$3" -runs="$CAP" -print_final_stats=1 \
		-artifact_prefix="$tmp/a-" "$tmp/corpus-$2-$3" >"$out" 2>&1
	t1=$(date +%s.%N)
	local n found=0
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	grep -q "deadly signal" "$out" && found=1
	echo "${n:-0} $found $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	rm -rf "$tmp/a-"* "$tmp/corpus-$2-$3"
}

echo "# lockstep fuzz-coverage benchmark"
echo
echo "- libFuzzer: $FUZZER, $SEEDS runs (-seed=1..$SEEDS) per cell, each capped at $CAP executions; validator off"
echo "- cell: median executions to the first finding (\"> cap\" if the median run found nothing), found/runs, executions per second over the cell's runs"
echo
echo "| variant | interleaving + edge coverage | edge coverage only |"
echo "|---|---:|---:|"
for v in "${variants[@]}"; do
	row="| $v |"
	for cov in 1 0; do
		: >"$tmp/n"
		hits=0 total=0 secs=0
		for s in $(seq 1 "$SEEDS"); do
			mkdir -p "$tmp/corpus-$cov-$s"
			read -r n found sec < <(one "$v" "$cov" "$s")
			total=$((total + n))
			secs=$(awk -v a="$secs" -v b="$sec" 'BEGIN { print a + b }')
			if [ "$found" -eq 1 ]; then
				hits=$((hits + 1))
				echo "$n" >>"$tmp/n"
			else
				echo $((CAP + 1)) >>"$tmp/n"
			fi
		done
		m=$(median <"$tmp/n")
		[ "$m" -gt "$CAP" ] && m="> $CAP"
		row="$row $m ($hits/$SEEDS found, $(awk -v a="$total" -v b="$secs" 'BEGIN { printf "%.0f", a / b }')/s) |"
	done
	echo "$row"
done
