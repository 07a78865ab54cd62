#!/usr/bin/env bash
# The memory models' figures (sched/memory.c), each section measured by `lockstep` itself:
#   rate     executions/s of sc, tso, relaxed and sc --compiler-reorder on the same variants, in
#            one run (--jobs 1, same seed and budget), and each model's rate against sc;
#   bugs     executions to the first finding of each qspinlock bug per engine (random, pct: first
#            execution of fuzz; explore: executions of the search), and the clean variant's
#            verdict in the same budget;
#   litmus   schedules explored per litmus test and model (`lockstep litmus --json`);
#   sweep    every in-tree variant that expects nothing, fuzzed under tso, relaxed and
#            --compiler-reorder: what each finds (none is expected; a finding is a result to trace
#            to source lines).
# Usage: bench/memory_models.sh BUILD_DIR [SECTION...]   (default: every section)
# EXECS (default 20000) sets the sweep's budget, RATE_EXECS (default 50000) the rate's.
set -u
build=${1:?usage: memory_models.sh BUILD_DIR [rate|bugs|litmus|sweep ...]}
shift
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(rate bugs litmus sweep)
ls=$build/lockstep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
execs=${EXECS:-20000}
rate_execs=${RATE_EXECS:-50000}

json_field() {	# FILE FIELD: a field of the JSON summary on the file's last line
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    v = j.get(sys.argv[2])
    print("-" if v is None else v)
except Exception:
    print("?")
PY
}

models=("sc" "tso" "relaxed" "sc --compiler-reorder")

rate() {
	echo "== rate: executions/s, --jobs 1, $rate_execs executions, seed 0"
	printf '%-42s' variant
	for m in "${models[@]}"; do printf ' %22s' "$m"; done
	echo
	for spec in demo/abba:ordered rqspinlock/nmi-stress-aa-2cpu:current qspinlock/mcs:fixed; do
		printf '%-42s' "$spec"
		base=
		for m in "${models[@]}"; do
			# shellcheck disable=SC2086
			"$ls" fuzz "$spec" --memory-model $m --execs "$rate_execs" --jobs 1 --seed 0 \
				--quiet --json -o "$tmp/d" >"$tmp/out" 2>/dev/null
			r=$(json_field "$tmp/out" execs_per_s)
			rm -rf "$tmp/d"
			[ -z "$base" ] && base=$r
			printf ' %13s (%5s)' "$r" "$(python3 -c "print('%.2fx' % ($r / $base))" 2>/dev/null)"
		done
		echo
	done
}

bugs() {
	echo "== bugs: executions to the first finding (fuzz: first_bug_exec of 200000 at most, seed 0, --jobs 1; explore: executions)"
	printf '%-44s %-26s %10s %10s %12s\n' variant model random pct explore
	while read -r spec model; do
		printf '%-44s %-26s' "$spec" "$model"
		for engine in random pct; do
			# shellcheck disable=SC2086
			"$ls" fuzz "$spec" $model --engine $engine --execs 200000 --jobs 1 --seed 0 \
				--quiet --json -o "$tmp/d" >"$tmp/out" 2>/dev/null
			printf ' %10s' "$(json_field "$tmp/out" first_bug_exec)"
			rm -rf "$tmp/d"
		done
		# shellcheck disable=SC2086
		timeout 120 "$ls" explore "$spec" $model --preemptions 2 --nmis 1 --max-schedules 200000 \
			--quiet --json -o "$tmp/d" >"$tmp/out" 2>/dev/null
		if [ "$(json_field "$tmp/out" finding)" = "-" ]; then
			printf ' %12s\n' "none/$(json_field "$tmp/out" executions)"
		else
			printf ' %12s\n' "$(json_field "$tmp/out" executions)"
		fi
		rm -rf "$tmp/d"
	done <<'EOF'
qspinlock/mcs:no-node-init-barrier --memory-model relaxed
qspinlock/mcs:no-node-init-barrier --memory-model tso
qspinlock/mcs:no-node-init-barrier --memory-model sc
qspinlock/nmi-node:no-count-barrier --memory-model sc --compiler-reorder
qspinlock/nmi-node:no-count-barrier --memory-model relaxed --compiler-reorder
qspinlock/nmi-node:no-count-barrier --memory-model sc
qspinlock/mcs:fixed --memory-model relaxed --compiler-reorder
qspinlock/nmi-node:fixed --memory-model relaxed --compiler-reorder
EOF
}

litmus() {
	echo "== litmus: schedules explored per test (preemptions 8, reorder budget 8)"
	"$ls" litmus --json >"$tmp/out" 2>"$tmp/err"
	echo "exit $?"
	python3 - "$tmp/out" <<'PY'
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print("%-56s %24s %24s %24s" % ("test", "sc", "tso", "relaxed"))
for t in j["tests"]:
    cells = ["%s %s" % (m["verdict"], m["executions"]) for m in t["models"]]
    print("%-56s %24s %24s %24s" % (t["name"], *cells))
print("mismatches %d, unfinished %d" % (j["mismatches"], j["unfinished"]))
PY
}

sweep() {
	echo "== sweep: variants that expect nothing, $execs executions each, seed 0, --jobs 2"
	mapfile -t specs < <("$ls" list | awk '/^[^ ].*: / { t = $1; sub(":$", "", t) }
		/^  [^ ]+ +expect never/ { print t ":" $1 }')
	printf '%-52s %-28s %s\n' variant model result
	for spec in "${specs[@]}"; do
		for m in "tso" "relaxed" "sc --compiler-reorder" "relaxed --compiler-reorder"; do
			# shellcheck disable=SC2086
			"$ls" fuzz "$spec" --memory-model $m --execs "$execs" --jobs 2 --seed 0 --quiet \
				--json -o "$tmp/d" >"$tmp/out" 2>/dev/null
			printf '%-52s %-28s %s\n' "$spec" "$m" "$(json_field "$tmp/out" expectation)"
			rm -rf "$tmp/d"
		done
	done
}

for s in "${sections[@]}"; do
	case $s in
	rate | bugs | litmus | sweep) "$s" ;;
	*) echo "unknown section $s (rate, bugs, litmus, sweep)" >&2; exit 2 ;;
	esac
done
