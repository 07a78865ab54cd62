#!/usr/bin/env bash
# Suite `check`: `lockstep check` on every settled in-tree variant, each within the same budget
# as a user's CI would give it: every one must behave as it declares (the declared bug found,
# or no bug in a variant declared clean).  Then the ways a check fails: a variant that does not
# behave as declared is named with exit 1; an unknown target is exit 2.
# Usage: test_check.sh LOCKSTEP BUDGET
set -u

LS=${1:?usage: test_check.sh LOCKSTEP BUDGET}
BUDGET=${2:?}
# shellcheck source=/dev/null
. "$(dirname "$0")/lib.sh"

expect_rc 0 "check: every settled in-tree variant behaves as declared ($BUDGET executions)" -- \
	"$LS" check --settled --budget "$BUDGET" --quiet --json
[ "$(json '"%d %d %d" % (j["not_met"], j["unsettled"], j["errors"])' 2>/dev/null)" = "0 0 0" ] ||
	fail "check: summary: $(tail -n 1 "$tmp/out")"
grep '^check: ' "$tmp/out" | head -1

# A budget too small for the declared bug: not as declared, named, exit 1.
expect_rc 1 "check: a bug not reached within the budget is a failure" -- \
	"$LS" check bpf/contention-tracepoint:v6.19 --budget 10
grep -q '^FAIL  bpf/contention-tracepoint:v6.19 .*expected deadlock: NOT found in 10 executions' \
	"$tmp/out" || fail "check: no FAIL line: $(cat "$tmp/out")"
grep -q '^check: not as declared: bpf/contention-tracepoint:v6.19; findings kept in ' "$tmp/out" ||
	fail "check: the failing variant is not named: $(tail -n 1 "$tmp/out")"
rm -rf "$(sed -n 's/^check: not as declared: .*; findings kept in //p' "$tmp/out")"

# Globs and whole targets; unsettled variants are reported, never judged.
expect_rc 0 "check: a glob, unsettled variants included" -- \
	"$LS" check 'rqspinlock/aa' 'rqspinlock/nmi-stress-abba-2cpu:v6.1*' --budget 2000
grep -q '^ok    rqspinlock/nmi-stress-abba-2cpu:v6.19 ' "$tmp/out" || fail "check: glob: $(cat "$tmp/out")"
grep -q '^--    rqspinlock/nmi-stress-abba-2cpu:v6.15 .*unsettled: ' "$tmp/out" ||
	fail "check: the unsettled variant is not reported as such: $(cat "$tmp/out")"
[ "$(grep -c '^[a-zA-Z-]* *rqspinlock/aa:' "$tmp/out")" -eq 11 ] ||
	fail "check: rqspinlock/aa did not expand to its 11 variants: $(cat "$tmp/out")"

expect_rc 2 "check: an unknown target" -- "$LS" check nonesuch/target
expect_rc 2 "check: a glob that matches nothing" -- "$LS" check 'nonesuch/*'

finish check
