#!/usr/bin/env bash
# Suite `robust`, kills: campaigns killed with SIGKILL at moments drawn from a fixed seed, the
# parent or one of its workers, and the findings directory checked after each.
#  - a worker killed from outside is not a finding (its execution runs to its end alone): the
#    campaign says so, replaces the worker and files no "crash: SIGKILL";
#  - explore's search process killed from outside is not a finding either: the search goes on
#    in a new process and explores the same schedules as a search nobody killed;
#  - a parent killed leaves a directory in which every trace parses and replays, no report lacks
#    its trace, and the next campaign rebuilds README.md and index.tsv from the traces and removes
#    the temporary files of the dead writers.
# Usage: test_kills.sh LOCKSTEP
set -u

LS=$(realpath "${1:?usage: test_kills.sh LOCKSTEP}")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}symbolize=0"
RANDOM=20	# the moments and victims are the same on every run
T=demo/abba:buggy

# check_dir DIR WHAT: the directory after a kill.
check_dir() {
	local dir=$1 what=$2 t
	for t in "$dir"/*.trace; do
		[ -e "$t" ] || continue
		"$LS" replay "$t" --quiet >/dev/null 2>"$tmp/rerr" ||
			fail "$what: $(basename "$t") does not replay: $(head -1 "$tmp/rerr")"
	done
	for t in "$dir"/*.txt; do
		[ -e "$t" ] || continue
		[ -f "${t%.txt}.trace" ] || fail "$what: report $(basename "$t") without its trace"
	done
}

for round in 1 2 3 4 5 6; do
	dir=d$round
	"$LS" fuzz "$T" --execs 1000000000 --time 60 --jobs 2 --out "$dir" --quiet --json >"out$round" \
		2>"err$round" &
	pid=$!
	# 0.3 to 1.5 s in: while workers run and findings are being written.
	sleep "$(printf '0.%d' $((3 + RANDOM % 9)))"
	sleep $((RANDOM % 2))
	if [ $((round % 2)) -eq 1 ]; then
		victim=$(pgrep -P "$pid" | head -1)
		if [ -z "$victim" ]; then
			fail "round $round: no worker to kill"
			kill -INT "$pid"
			wait "$pid"
			continue
		fi
		kill -KILL "$victim"
		sleep 0.5
		kill -INT "$pid"
		wait "$pid"
		rc=$?
		[ "$rc" -eq 1 ] || fail "round $round: after a worker was killed the campaign exited $rc"
		grep -q "killed (SIGKILL) from outside lockstep" "err$round" ||
			fail "round $round: the killed worker was not reported: $(head -3 "err$round")"
		[ "$(json_in "out$round" 'any(f["signature"].startswith("crash: SIGKILL") for f in j["findings"])' 2>/dev/null)" = False ] ||
			fail "round $round: a kill became a finding (or no JSON summary)"
		tail -1 "out$round" | grep -q 'crash: SIGKILL' &&
			fail "round $round: a kill became a finding"
		check_dir "$dir" "round $round (worker killed)"
		ok "round $round: a worker killed from outside is reported, not filed"
	else
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		sleep 0.3	# the workers die with their parent
		check_dir "$dir" "round $round (parent killed)"
		# A writer's temporary file as a kill leaves it, for the next campaign to remove (once
		# a minute old: a writer in another PID namespace may still be renaming its own).
		: >"$dir/.deadlock-000000000000.trace.tmp.999999999"
		touch -d '2 minutes ago' "$dir/.deadlock-000000000000.trace.tmp.999999999"
		expect_rc 1 "round $round: a campaign after the kill" -- \
			"$LS" fuzz "$T" --execs 2000 --jobs 2 --out "$dir" --quiet
		traces=$(find "$dir" -maxdepth 1 -name '*.trace' | wc -l)
		rows=$(grep -c '^| .*\.trace) | `lockstep replay ' "$dir/README.md")
		[ "$traces" -eq "$rows" ] || fail "round $round: README.md has $rows rows for $traces traces"
		[ -z "$(find "$dir" -name '.*.tmp.*')" ] ||
			fail "round $round: temporary files left: $(find "$dir" -name '.*.tmp.*')"
		check_dir "$dir" "round $round (after the next campaign)"
		ok "round $round: after the parent was killed the directory is whole"
	fi
done

# explore: the search process killed twice, during or between executions; the search goes on
# and explores exactly the schedules of a search nobody killed.
ex=(rqspinlock/nmi-stress-aa-2cpu:current --preemptions 2 --max-schedules 60000 --quiet --json)
"$LS" explore "${ex[@]}" --out ex0 >out.ex0 2>/dev/null
"$LS" explore "${ex[@]}" --out ex >out.ex 2>err.ex &
pid=$!
killed=0
for pause in 0.3 0.4; do
	sleep "$pause"
	victim=$(pgrep -P "$pid" | head -1)
	[ -n "$victim" ] && kill -KILL "$victim" && killed=$((killed + 1))
done
wait "$pid"
rc=$?
summary() { tail -1 "$1" | python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["schedules"], j["pruned"], j["crashes"])'; }
if [ "$killed" -eq 0 ]; then
	fail "explore: no search process to kill"
elif [ "$rc" -ne 0 ]; then
	fail "explore after its search process was killed: exit $rc: $(head -3 err.ex)"
elif ! grep -q "killed (SIGKILL) from outside lockstep" err.ex; then
	fail "explore: the kill was not reported: $(head -3 err.ex)"
elif [ "$(summary out.ex)" != "$(summary out.ex0)" ]; then
	fail "explore killed: schedules, pruned, crashes $(summary out.ex); unkilled $(summary out.ex0)"
else
	ok "explore: its search process killed $killed times, the same schedules as unkilled"
fi

finish robust-kills
