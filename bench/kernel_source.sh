#!/usr/bin/env bash
# Kernel backends' figures (docs/kernel-source.md), each measured by `lockstep` itself:
#   rate     executions/s of each variant on the hand models and on the tree's own
#            qspinlock.c/llist.c/irq_work.c, side by side (--jobs 1, same seed and budget);
#   bugs     executions to the first finding of each buggy variant on both backends, per
#            engine (random and pct: the first execution of `fuzz`), and its kind; without the
#            validator (--no-lockdep), whose reports come from the model library's annotations
#            on either backend, so that the hang the kernel's code reaches is what is timed;
#   build    wall time of `ksrc build` from an empty cache, then from a full one;
#   rqspinlock  with RQ_TREE naming a tree from v6.15 on: executions/s and the execution of the
#            first finding of each v6.15 variant that finds a bug, the hand model's `v6.15`
#            configuration against the tree's rqspinlock.c.
# Usage: bench/kernel_source.sh BUILD_DIR TREE [SECTION...]   (default: every section)
# RATE_EXECS (default 50000) sets the rate's budget, EXECS (default 100000) the bugs'.
set -u
build=${1:?usage: kernel_source.sh BUILD_DIR TREE [rate|bugs|build ...]}
tree=${2:?usage: kernel_source.sh BUILD_DIR TREE [rate|bugs|build ...]}
shift 2
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(rate bugs build)
ls=$build/lockstep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LOCKSTEP_CACHE_DIR="$tmp/cache"
rate_execs=${RATE_EXECS:-50000}
execs=${EXECS:-100000}

json_field() {	# FILE EXPR: a Python expression over the JSON summary on the file's last line (j)
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    v = eval(sys.argv[2])
    print("-" if v is None else v)
except Exception:
    print("?")
PY
}

"$ls" ksrc build --tree "$tree" >/dev/null || { echo "ksrc build failed" >&2; exit 2; }

rate() {
	echo "== rate: executions/s, --jobs 1, $rate_execs executions, seed 0"
	printf "%-46s %12s %12s %7s\n" variant hand kernel ratio
	for v in demo/abba:ordered demo/nmi-aa:trylock contention/locks:spin \
		contention/locks:spin-irq contention/locks:spin-traced kptr/dtor-nmi:global-llist \
		maps/queue-stack:nmi-trylock bpf/contention-tracepoint:per-cpu-slot \
		buildid/stackmap:nofault-irq-work-unlock-active; do
		"$ls" fuzz "$v" --jobs 1 --execs "$rate_execs" --json --quiet --out "$tmp/r1" \
			>"$tmp/hand" 2>/dev/null
		"$ls" fuzz "$v" --jobs 1 --execs "$rate_execs" --json --quiet --out "$tmp/r2" \
			--kernel-tree "$tree" >"$tmp/kernel" 2>/dev/null
		rm -rf "$tmp/r1" "$tmp/r2"
		h=$(json_field "$tmp/hand" "j['execs_per_s']")
		k=$(json_field "$tmp/kernel" "j['execs_per_s']")
		r=$(python3 -c "print('%.2f' % ($k / $h))" 2>/dev/null || echo -)
		printf "%-46s %12s %12s %7s\n" "$v" "$h" "$k" "$r"
	done
}

bugs() {
	echo "== bugs: execution of the first finding (fuzz --no-lockdep, seed 0, --jobs 1, budget $execs)"
	printf "%-46s %-7s %10s %10s  %s\n" variant engine hand kernel "kinds (hand / kernel)"
	for v in demo/abba:buggy demo/nmi-aa:buggy maps/lru-abba:raw-spinlock \
		maps/queue-stack:raw-spinlock maps/lpm-trie:raw-spinlock \
		bpf/contention-tracepoint:v6.14 kptr/dtor-nmi:inline \
		buildid/stackmap:nofault-irq-work-unlock; do
		for engine in random pct; do
			"$ls" fuzz "$v" --engine "$engine" --jobs 1 --execs "$execs" --json --quiet \
				--no-lockdep --stop-on-bug --out "$tmp/b1" >"$tmp/hand" 2>/dev/null
			"$ls" fuzz "$v" --engine "$engine" --jobs 1 --execs "$execs" --json --quiet \
				--no-lockdep --stop-on-bug --out "$tmp/b2" --kernel-tree "$tree" \
				>"$tmp/kernel" 2>/dev/null
			rm -rf "$tmp/b1" "$tmp/b2"
			h=$(json_field "$tmp/hand" "j['first_bug_exec']")
			k=$(json_field "$tmp/kernel" "j['first_bug_exec']")
			hk=$(json_field "$tmp/hand" "j['first_bug_kind']")
			kk=$(json_field "$tmp/kernel" "j['first_bug_kind']")
			printf "%-46s %-7s %10s %10s  %s / %s\n" "$v" "$engine" "$h" "$k" "$hk" "$kk"
		done
	done
}

build_times() {
	echo "== build: ksrc build --tree $tree"
	rm -rf "$LOCKSTEP_CACHE_DIR"
	local t0 t1 t2
	t0=$(date +%s.%N)
	"$ls" ksrc build --tree "$tree" >/dev/null
	t1=$(date +%s.%N)
	"$ls" ksrc build --tree "$tree" >/dev/null
	t2=$(date +%s.%N)
	python3 -c "print('empty cache: %.2f s; cached: %.3f s' % ($t1 - $t0, $t2 - $t1))"
}

rqspinlock() {
	local rq=${RQ_TREE:?rqspinlock: RQ_TREE names a tree from v6.15 on}
	echo "== rqspinlock: v6.15 variants, hand model against $rq (fuzz --jobs 1, seed 0, budget $execs)"
	printf "%-40s %10s %10s %10s %10s  %s\n" variant "hand/s" "kernel/s" hand kernel \
		"first kind (hand / kernel)"
	for v in rqspinlock/aa:v6.15 rqspinlock/held-max:v6.15 rqspinlock/ringbuf-nmi:v6.15 \
		rqspinlock/nmi-stress-aa-2cpu:v6.15 rqspinlock/nmi-stress-aa-3cpu:v6.15 \
		rqspinlock/nmi-stress-abba-3cpu:v6.15 rqspinlock/abbcca:v6.15; do
		"$ls" fuzz "$v" --jobs 1 --execs "$execs" --json --quiet --stop-on-bug \
			--out "$tmp/q1" >"$tmp/hand" 2>/dev/null
		"$ls" fuzz "$v" --jobs 1 --execs "$execs" --json --quiet --stop-on-bug \
			--out "$tmp/q2" --kernel-tree "$rq" >"$tmp/kernel" 2>/dev/null
		rm -rf "$tmp/q1" "$tmp/q2"
		printf "%-40s %10s %10s %10s %10s  %s / %s\n" "$v" \
			"$(json_field "$tmp/hand" "j['execs_per_s']")" \
			"$(json_field "$tmp/kernel" "j['execs_per_s']")" \
			"$(json_field "$tmp/hand" "j['first_bug_exec']")" \
			"$(json_field "$tmp/kernel" "j['first_bug_exec']")" \
			"$(json_field "$tmp/hand" "j['first_bug_kind']")" \
			"$(json_field "$tmp/kernel" "j['first_bug_kind']")"
	done
}

for s in "${sections[@]}"; do
	case "$s" in
	rate) rate ;;
	bugs) bugs ;;
	build) build_times ;;
	rqspinlock) rqspinlock ;;
	*) echo "unknown section $s" >&2; exit 2 ;;
	esac
done
