#!/usr/bin/env bash
# What containing the target costs: the commands that run target code in a child (`explore` in a
# supervised search process, `run` in a child) against the same commands with --in-process,
# where the target runs in lockstep's own process and a crash takes the command with it.
#
# Table 1, explore: `lockstep explore T:V ARGS --json --quiet --out DIR [--in-process]`, the
# JSON summary's executions over its seconds, median of REPS runs per mode, the modes taking
# turns so that drift of the machine touches both alike.  The searches are clean variants, so
# every run explores the same schedules; the overhead is one fork and a store per decision.
# Table 2, run: the wall time of one `lockstep run T:V --seed I --quiet --out DIR
# [--in-process]` process, median over N seeds per mode: a fork, a wait and a second teardown.
#
# Usage: containment.sh [LOCKSTEP [REPS [N]]]   (default ./build/lockstep 5 40)
# Figures depend on the machine and on what else runs on it (the header gives the load).
set -u

LS=${1:-./build/lockstep}
REPS=${2:-5}
N=${3:-40}
[ -x "$LS" ] || { echo "containment.sh: $LS is not an executable" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$LS" "$tmp/lockstep" && LS=$tmp/lockstep || exit 2

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

echo "# containment: $(date -u +%Y-%m-%d) $(uname -m), $(grep -m1 'model name' /proc/cpuinfo |
	sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg), $REPS runs per cell"
echo
echo "| explore | executions | supervised exec/s | --in-process exec/s | supervised/in-process |"
echo "|---|--:|--:|--:|--:|"
while read -r spec args; do
	[ -n "$spec" ] || continue
	: >"$tmp/sup" && : >"$tmp/inp"
	execs=-
	for r in $(seq "$REPS"); do
		for mode in sup inp; do
			extra=()
			[ "$mode" = inp ] && extra=(--in-process)
			# shellcheck disable=SC2086
			line=$("$LS" explore "$spec" $args --json --quiet --out "$tmp/d$r$mode" \
				"${extra[@]}" 2>/dev/null | tail -n 1)
			read -r e rate < <(python3 -c 'import json, sys
j = json.loads(sys.argv[1]); print(j["executions"], j["executions"] / max(j["seconds"], 1e-9))' \
				"$line" 2>/dev/null) || { echo "containment.sh: $spec: no JSON" >&2; continue; }
			execs=$e
			echo "$rate" >>"$tmp/$mode"
		done
	done
	s=$(median <"$tmp/sup")
	i=$(median <"$tmp/inp")
	ratio=$(awk -v s="$s" -v i="$i" 'BEGIN { if (i > 0) printf "%.2f", s / i; else print "-" }')
	printf '| `%s %s` | %s | %.0f | %.0f | %s |\n' "$spec" "$args" "$execs" "$s" "$i" "$ratio"
done <<'LIST'
rqspinlock/nmi-stress-aa-2cpu:current --preemptions 2 --max-schedules 30000
rqspinlock/abba:current --preemptions 3 --nmis 2
kptr/dtor-nmi:global-llist --preemptions 3 --max-schedules 200000
maps/lru-abba:rqspinlock --preemptions 2 --max-schedules 100000
LIST

echo
echo "| run (one execution per process) | child ms | --in-process ms | difference ms |"
echo "|---|--:|--:|--:|"
for spec in demo/abba:buggy rqspinlock/nmi-stress-abba-3cpu:current; do
	: >"$tmp/sup" && : >"$tmp/inp"
	for i in $(seq "$N"); do
		for mode in sup inp; do
			extra=()
			[ "$mode" = inp ] && extra=(--in-process)
			t0=$(date +%s%N)
			"$LS" run "$spec" --seed "$i" --quiet --out "$tmp/r$mode" "${extra[@]}" \
				>/dev/null 2>&1
			t1=$(date +%s%N)
			echo "$(( (t1 - t0) / 1000 ))" >>"$tmp/$mode"
		done
	done
	s=$(median <"$tmp/sup")
	i=$(median <"$tmp/inp")
	awk -v sp="$spec" -v s="$s" -v i="$i" \
		'BEGIN { printf "| `%s` | %.1f | %.1f | %+.1f |\n", sp, s / 1000, i / 1000, (s - i) / 1000 }'
done
