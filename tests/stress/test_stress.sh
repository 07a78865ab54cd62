#!/usr/bin/env bash
# lockstep stress: the baseline finds the easy ABBA through its watchdog and comes back, stays
# clean on the ordered variant, catches an NMI landing on a held lock, keeps its output contract
# (exit codes, one JSON line) and refuses bad input in one line.
set -u
lockstep=$1
. "$(dirname "$0")/../lib.sh"

field() { # field NAME: a scalar of the JSON summary (the last line of $tmp/out)
	tail -n 1 "$tmp/out" | sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" | tr -d '"'
}

# The ABBA hangs on real threads; the watchdog (1 s) must see it and end the run long before the
# time budget, with the cycle named from the model's locks and owners.
start=$(date +%s)
if expect_rc 1 "stress finds demo/abba:buggy" -- \
	"$lockstep" stress demo/abba:buggy --time 60 --watchdog 1 --json; then
	took=$(($(date +%s) - start))
	[ "$took" -lt 30 ] || fail "the ABBA run took $took s of a 60 s budget"
	[ "$(field first_bug_kind)" = deadlock ] || fail "kind $(field first_bug_kind), want deadlock"
	sig=$(field signature)
	case "$sig" in
	*"waits in spin_lock on lock_b held by t1"*"waits in spin_lock on lock_a held by t0"* | \
	*"waits in spin_lock on lock_a held by t0"*"waits in spin_lock on lock_b held by t1"*)
		ok "the hang report names the cycle: $sig" ;;
	*) fail "signature does not name the ABBA cycle: $sig" ;;
	esac
	grep -q "^hang: no round finished for 1.0 s (watchdog)" "$tmp/out" ||
		fail "no watchdog line in the report"
	grep -q "abba.c:[0-9]* (t[01]_fn, spin_lock)" "$tmp/out" ||
		fail "the report does not give each context's source line"
	[ "$(tail -n 1 "$tmp/out" | head -c 1)" = "{" ] || fail "the last line is not the JSON summary"
	# Real threads: on a loaded machine the very first round can hang, so 0 rounds is a count
	# too (the clean variants below check that rounds are counted).
	[ "$(field rounds)" -ge 0 ] 2>/dev/null || fail "no round count: $(field rounds)"
fi

# An NMI from the timer lands while the task holds the lock.
if expect_rc 1 "stress finds demo/nmi-aa:buggy (timer NMIs)" -- \
	"$lockstep" stress demo/nmi-aa:buggy --time 60 --watchdog 1 --json; then
	case "$(field signature)" in
	*"is interrupted by nmi@cpu"*"waits in spin_lock on lock"*) ok "NMI chain reported" ;;
	*) fail "NMI hang not described: $(field signature)" ;;
	esac
fi

# Fixed variants stay clean: the watchdog must not fire on a run that makes progress.
for tv in demo/abba:ordered demo/nmi-aa:trylock; do
	if expect_rc 0 "stress $tv is clean" -- "$lockstep" stress "$tv" --time 1 --json; then
		[ "$(field first_bug_kind)" = null ] || fail "$tv: found $(field first_bug_kind)"
		[ "$(field rounds)" -gt 100 ] 2>/dev/null || fail "$tv: only $(field rounds) rounds"
	fi
done

# SIGINT ends a run early with its summary.
"$lockstep" stress demo/abba:ordered --time 30 --json >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 0 ] || fail "interrupted clean run: exit $rc"
[ "$(field stopped_by_signal)" = true ] && ok "SIGINT stops with a summary" ||
	fail "no summary after SIGINT"

# Bad input: one line on stderr, exit 2.
expect_rc 2 "unknown target" -- "$lockstep" stress demo/nope --time 1
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "unknown target: more than one line of error"
expect_rc 2 "unknown variant" -- "$lockstep" stress demo/abba:nope --time 1
expect_rc 2 "no target" -- "$lockstep" stress
expect_rc 2 "zero time" -- "$lockstep" stress demo/abba:ordered --time 0
echo 'not an ELF' >"$tmp/x.so"
expect_rc 2 "a target object is refused" -- "$lockstep" stress "$tmp/x.so:v" --time 1

finish stress
