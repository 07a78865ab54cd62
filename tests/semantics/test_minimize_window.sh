#!/usr/bin/env bash
# Suite `semantics`, minimize: `lockstep minimize` keeps exactly what the window scenario
# (window.c, loaded as a shared object) needs: one slow and the switch to t0 after it, and the
# minimized trace replays.
# Usage: test_minimize_window.sh LOCKSTEP WINDOW_SO
set -u

LS=${1:?usage: test_minimize_window.sh LOCKSTEP WINDOW_SO}
SO=${2:?}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
# A trace records at most 63 bytes of a target's path, and a checkout's build directory can be
# deeper: run a copy in the temporary directory by its relative path.
cp "$SO" "$tmp/window.so" || fail "copying $SO"
cd "$tmp" || exit 1
SO=./window.so

expect_rc 1 "fuzz finds the window" -- \
	"$LS" fuzz "$SO:window" --engine random --execs 20000 --out "$tmp/fuzz" --quiet ||
	finish semantics-minimize
trace=$(ls "$tmp"/fuzz/invariant-*.trace 2>/dev/null | head -1)
[ -n "$trace" ] || { fail "fuzz wrote no invariant trace"; finish semantics-minimize; }
# minimize exits 0 when it wrote a trace that still shows the bug (1: the bug did not reproduce).
if expect_rc 0 "minimize keeps the window" -- \
	"$LS" minimize --target "$SO" "$trace" --output "$tmp/min.trace" --quiet; then
	grep -qx "decisions 2" "$tmp/min.trace" || fail "minimized: not exactly 2 decisions"
	grep -qE "^@[0-9]+ slow$" "$tmp/min.trace" || fail "minimized: no slow decision"
	grep -qE "^@[0-9]+ run t0$" "$tmp/min.trace" || fail "minimized: no switch to t0"
	expect_rc 0 "the minimized trace replays" -- \
		"$LS" replay --target "$SO" "$tmp/min.trace" --quiet
fi

finish semantics-minimize
