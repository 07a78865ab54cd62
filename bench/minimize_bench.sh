#!/usr/bin/env bash
# lockstep minimize benchmark: how much shorter the story gets.
#
# For each buggy variant below: the first TRACES seeds whose `lockstep run --p-switch 0.3` (a
# noisier walk than the default, for long traces) ends in the variant's expected kind of finding, each trace minimized with
# `lockstep minimize`; medians of preemptions, injections and steps before and after, and of
# the seconds spent minimizing (from its --json line).  Counts depend only on the code and seeds.
#
# Usage: minimize_bench.sh BUILD_DIR [--quick]
set -u

BUILD=${1:?usage: minimize_bench.sh BUILD_DIR [--quick]}
LS=$BUILD/lockstep
TRACES=20
SCAN=2000
[ "${2:-}" = "--quick" ] && TRACES=5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# variant and the kind of finding to collect (its expected outcome: validator reports, which
# often come first and need no preemption, are left out)
variants=(
	demo/abba:buggy=deadlock
	demo/nmi-aa:buggy=deadlock
	kptr/dtor-nmi:inline=deadlock
	kptr/dtor-nmi:per-map-zeroed-on-reuse=invariant
	buildid/stackmap:sleepable-under-mmap-lock=deadlock
	buildid/stackmap:nofault-irq-work-unlock=deadlock
	bpf/task-vma:mmap-lock-held=deadlock
	maps/queue-stack:raw-spinlock=deadlock
	maps/lru-abba:raw-spinlock=deadlock
	rqspinlock/nmi-stress-aa-2cpu:v6.15=deadlock
)

echo "# lockstep minimize benchmark"
echo
echo "- per variant: the first $TRACES seeds (of $SCAN) whose run --p-switch 0.3 ends in the variant's expected kind of finding; medians"
echo
echo "| variant | preemptions before -> after | injections before -> after | steps before -> after | seconds |"
echo "|---|---:|---:|---:|---:|"
for vk in "${variants[@]}"; do
	v=${vk%=*}
	kind=${vk#*=}
	: >"$tmp/rows"
	found=0
	for seed in $(seq 0 $((SCAN - 1))); do
		[ "$found" -ge "$TRACES" ] && break
		rm -rf "$tmp/run"
		"$LS" run "$v" --seed "$seed" --p-switch 0.3 --out "$tmp/run" --quiet >/dev/null 2>&1
		[ $? -eq 1 ] || continue
		trace=$(ls "$tmp"/run/"$kind"-*.trace 2>/dev/null | grep -v '\.min\.trace$' | head -1)
		[ -n "$trace" ] || continue
		"$LS" minimize "$trace" --json --quiet 2>/dev/null | tail -n 1 | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception:
    sys.exit(1)
b, a = j["before"], j["after"]
print(b["preemptions"], a["preemptions"], b["injections"], a["injections"], b["steps"], a["steps"], j["seconds"])
' >>"$tmp/rows" && found=$((found + 1))
	done
	python3 - "$tmp/rows" "$v" "$found" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
v, n = sys.argv[2], int(sys.argv[3])
if not rows:
    print(f"| {v} | - | - | - | - |")
    sys.exit(0)
m = lambda i: statistics.median(r[i] for r in rows)
f = lambda x: f"{x:g}"
print(f"| {v} ({n} traces) | {f(m(0))} -> {f(m(1))} | {f(m(2))} -> {f(m(3))} | {f(m(4))} -> {f(m(5))} | {m(6):.3f} |")
PY
done
