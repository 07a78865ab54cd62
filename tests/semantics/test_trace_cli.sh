#!/usr/bin/env bash
# Suite `semantics`, the command line's side of the trace cases.
#   - format2.trace, a trace as lockstep wrote it before the machine changed (format 2), is
#     refused by `lockstep replay`: exit 2, one line on stderr naming an older lockstep;
#   - the window scenario (window.c, loaded as a shared object): `fuzz` finds it with a slow
#     decision in a format-3 trace (a slow-budget line, an "@STEP slow" line), the trace replays
#     (exit 0), and with --slow 0 `fuzz` finds nothing.
# Usage: test_trace_cli.sh LOCKSTEP SOURCE_DIR WINDOW_SO
set -u

LS=${1:?usage: test_trace_cli.sh LOCKSTEP SOURCE_DIR WINDOW_SO}
DIR=${2:?}
SO=${3:?}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
# A trace records at most 63 bytes of a target's path, and a checkout's build directory can be
# deeper: run a copy in the temporary directory by its relative path.
cp "$SO" "$tmp/window.so" || fail "copying $SO"
cd "$tmp" || exit 1
SO=./window.so

# ---- an older format ----------------------------------------------------------------------
if expect_rc 2 "a format-2 trace is refused" -- "$LS" replay "$DIR/format2.trace"; then
	lines=$(wc -l <"$tmp/err")
	[ "$lines" -eq 1 ] || fail "format 2: $lines lines on stderr, want 1: $(head -3 "$tmp/err")"
	grep -q "older lockstep" "$tmp/err" ||
		fail "format 2: the message does not name an older lockstep: $(cat "$tmp/err")"
fi

# ---- the window through the command line ----------------------------------------------------
if expect_rc 1 "fuzz finds the window" -- \
	"$LS" fuzz "$SO:window" --engine random --execs 20000 --out "$tmp/fuzz" --quiet; then
	trace=$(ls "$tmp"/fuzz/invariant-*.trace 2>/dev/null | head -1)
	if [ -z "$trace" ]; then
		fail "fuzz wrote no invariant trace into $tmp/fuzz"
	else
		head -1 "$trace" | grep -qx "lockstep-trace 3" || fail "the trace is not format 3"
		grep -qx "slow-budget 2" "$trace" || fail "the trace has no 'slow-budget 2' line"
		grep -qE "^@[0-9]+ slow$" "$trace" || fail "the trace has no '@STEP slow' decision"
		expect_rc 0 "the window's trace replays" -- "$LS" replay --target "$SO" "$trace" --quiet
	fi
fi
expect_rc 0 "without slows fuzz finds no window" -- \
	"$LS" fuzz "$SO:window" --engine random --slow 0 --execs 20000 --out "$tmp/noslow" --quiet

finish semantics-cli
