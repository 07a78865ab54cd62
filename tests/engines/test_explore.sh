#!/usr/bin/env bash
# Suite `engines`, explore: exit codes, the summary line, the JSON last line, shards and the
# finding's trace of `lockstep explore`.
# Usage: test_explore.sh PATH/TO/lockstep
set -u

LS=${1:?usage: test_explore.sh LOCKSTEP}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
# json_field NAME: the value of "NAME": in the last stdout line (numbers, true/false/null).
json_field() {
	tail -n 1 "$tmp/out" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2-
}

expect_out() {
	local what=$1 pattern=$2
	grep -q -- "$pattern" "$tmp/out" || fail "$what: no '$pattern' in the output: $(tail -n 3 "$tmp/out")"
}

# A clean variant: exit 0, the bound in words, a JSON summary with no finding.
expect_rc 0 "a clean variant is explored to the end" -- \
	"$LS" explore demo/abba:ordered --preemptions 2 --nmis 1 --json --out "$tmp/clean"
expect_out "clean summary" "no bug within 2 preemptions, 1 NMI and 1 slow"
expect_out "clean summary" "^explored 4 schedules ([0-9]* pruned)"
case "$(tail -n 1 "$tmp/out")" in
\{\"command\":\"explore\"*) ;;
*) fail "the last line is not the explore JSON: $(tail -n 1 "$tmp/out")" ;;
esac
[ "$(json_field finding)" = null ] || fail "clean: finding is $(json_field finding)"
[ "$(json_field complete)" = true ] || fail "clean: complete is $(json_field complete)"
[ "$(json_field por)" = true ] || fail "clean: por is $(json_field por)"
[ "$(json_field preemptions)" = 2 ] || fail "clean: preemptions is $(json_field preemptions)"
with=$(json_field schedules)

expect_rc 0 "without reduction the same variant runs more schedules" -- \
	"$LS" explore demo/abba:ordered --preemptions 2 --nmis 1 --no-por --json --out "$tmp/clean"
without=$(json_field schedules)
[ "$without" -gt "$with" ] || fail "--no-por explored $without schedules, reduction $with"
[ "$(json_field pruned)" = 0 ] || fail "--no-por pruned $(json_field pruned)"

# A buggy variant: exit 1, the report, a trace that replays and names the strategy.
expect_rc 1 "a buggy variant stops at its first bug" -- \
	"$LS" explore demo/nmi-aa:buggy --no-lockdep --json --out "$tmp/found"
expect_out "finding" "WARNING: lockstep: deadlock"
expect_out "finding summary" "deadlock within 2 preemptions, 1 NMI and 1 slow"
[ "$(json_field kind)" = '"deadlock"' ] || fail "finding: kind is $(json_field kind)"
[ "$(json_field complete)" = false ] || fail "finding: complete is $(json_field complete)"
trace=$(ls "$tmp"/found/*.trace 2>/dev/null | head -1)
if [ -z "$trace" ]; then
	fail "explore wrote no trace into $tmp/found"
else
	grep -q "^strategy dfs preemptions 2 nmis 1$" "$trace" ||
		fail "the trace's strategy line: $(grep '^strategy' "$trace")"
	expect_rc 0 "the finding's trace replays" -- "$LS" replay "$trace"
fi

expect_rc 1 "the validator's finding comes first with lockdep on" -- \
	"$LS" explore demo/abba:buggy --preemptions 1 --nmis 0 --json --out "$tmp/found2"
[ "$(json_field kind)" = '"lockdep"' ] || fail "lockdep: kind is $(json_field kind)"
trace=$(ls "$tmp"/found2/*.trace 2>/dev/null | head -1)
[ -n "$trace" ] && expect_rc 0 "the validator finding's trace replays" -- "$LS" replay "$trace"
expect_rc 1 "--lockdep-compat explores too" -- \
	"$LS" explore demo/abba:buggy --lockdep-compat --quiet --out "$tmp/found3"

# A search cut by --max-schedules is incomplete, not clean, and exits 0.
expect_rc 0 "--max-schedules stops an unfinished search" -- \
	"$LS" explore kptr/dtor-nmi:global-llist --max-schedules 5 --json --out "$tmp/cut"
expect_out "incomplete summary" "incomplete"
grep -q "no bug within" "$tmp/out" && fail "an incomplete search claims 'no bug within'"
[ "$(json_field complete)" = false ] || fail "cut: complete is $(json_field complete)"
ran=$(($(json_field schedules) + $(json_field abandoned)))
[ "$ran" = 5 ] || fail "cut: $ran executions (explored and abandoned), want 5"

# Shards: their schedules and pruned subtrees add up to the unsharded search's.
expect_rc 0 "unsharded" -- "$LS" explore demo/nmi-aa:trylock --json --out "$tmp/s"
all_s=$(json_field schedules)
all_p=$(json_field pruned)
sum_s=0
sum_p=0
for i in 0 1 2; do
	expect_rc 0 "shard $i/3" -- "$LS" explore demo/nmi-aa:trylock --shard "$i/3" --json \
		--out "$tmp/s" || continue
	[ "$(json_field shard)" = "\"$i/3\"" ] || fail "shard $i/3: shard is $(json_field shard)"
	expect_out "shard summary" "^shard $i/3: explored"
	sum_s=$((sum_s + $(json_field schedules)))
	sum_p=$((sum_p + $(json_field pruned)))
done
[ "$sum_s" = "$all_s" ] || fail "shards explored $sum_s schedules, unsharded $all_s"
[ "$sum_p" = "$all_p" ] || fail "shards pruned $sum_p, unsharded $all_p"

# Bad usage: exit 2.
expect_rc 2 "a shard outside the split exits 2" -- "$LS" explore demo/abba:ordered --shard 3/3
expect_rc 2 "a malformed shard exits 2" -- "$LS" explore demo/abba:ordered --shard 1of3
expect_rc 2 "an unknown target exits 2" -- "$LS" explore demo/nonesuch
expect_rc 2 "a bad bound exits 2" -- "$LS" explore demo/abba:ordered --preemptions two
expect_rc 2 "a depth limit too small exits 2" -- "$LS" explore demo/abba:ordered --max-depth 2
grep -q "depth limit" "$tmp/err" || fail "depth limit: $(cat "$tmp/err")"
expect_rc 0 "explore --help" -- "$LS" explore --help
expect_out "help" "--preemptions"

finish explore
