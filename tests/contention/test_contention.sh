#!/usr/bin/env bash
# Suite `contention`: the must-not-find sweeps of contention/locks.  Each variant contends
# correctly on one lock, so any finding is a false report by lockstep.
#
# Usage: test_contention.sh LOCKSTEP BUILD_DIR VARIANT [--averted-ok]
#   20000 random executions of contention/locks:VARIANT from seed 1: exit 0, all 20000 ran, no
#   finding; with --averted-ok, findings of kind averted (a lock whose acquisition can fail
#   reported a cycle through it, not a bug for the variant) are allowed, any other is not.
# Usage: test_contention.sh LOCKSTEP BUILD_DIR --variants VARIANT...
#   the variants given (the suite's) are exactly those `lockstep list` shows, all expecting never.
#
# A failing sweep keeps its findings in BUILD_DIR/contention-XXXXXX and prints their replay
# commands.
set -u

LS=${1:?usage: test_contention.sh LOCKSTEP BUILD_DIR VARIANT [--averted-ok]}
BUILD=${2:?}
WHAT=${3:?}
TARGET=contention/locks
EXECS=20000
SEED=1
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

if [ "$WHAT" = --variants ]; then
	shift 3
	expect_rc 0 "lockstep list $TARGET" -- "$LS" list "$TARGET" --json || finish contention
	if tail -n 1 "$tmp/out" | python3 -c '
import json, sys
want = sys.argv[1:]
t = json.load(sys.stdin)["targets"][0]
got = [v["name"] for v in t["variants"]]
bad = [v["name"] + " expects " + v["expect"] for v in t["variants"] if v["expect"] != "never"]
if sorted(got) != sorted(want):
    sys.exit("the suite sweeps %s, lockstep lists %s" % (" ".join(want), " ".join(got)))
if bad:
    sys.exit("variants that do not expect never: " + ", ".join(bad))
' "$@"; then
		ok "the suite sweeps every variant of $TARGET, each expecting never"
	else
		fail "the suite's variants and lockstep list disagree (see above)"
	fi
	finish contention
fi

averted_ok=0
[ "${4:-}" = --averted-ok ] && averted_ok=1
spec=$TARGET:$WHAT
out=$(mktemp -d "$BUILD/contention-XXXXXX") || { fail "mktemp in $BUILD"; finish contention; }

"$LS" fuzz "$spec" --execs "$EXECS" --seed "$SEED" --json --quiet --out "$out" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "fuzz $spec exits 0"
else
	fail "fuzz $spec: exit $rc, want 0"
fi

# Prints one line per problem, the findings' signatures and replay commands, and exits 1 if any.
if ! tail -n 1 "$tmp/out" | python3 -c '
import json, sys
execs, averted_ok = int(sys.argv[1]), sys.argv[2] == "1"
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    sys.exit("no JSON summary on the last line of output")
problems = 0
if j.get("execs") != execs:
    print("ran %s executions, want %d" % (j.get("execs"), execs))
    problems += 1
for f in j.get("findings", []):
    if not f["bug"] and averted_ok and f["kind"] == "averted":
        print("expected: %s (%d hits)" % (f["signature"], f["hits"]), file=sys.stderr)
        continue
    print("false report: %s (%s, %d hits, first at seed %d)" % (f["signature"], f["kind"],
          f["hits"], f["seed"]))
    print("  replay: lockstep replay %s" % f["trace"])
    problems += 1
sys.exit(1 if problems else 0)
' "$EXECS" "$averted_ok" >"$tmp/problems" 2>"$tmp/expected"; then
	fail "fuzz $spec --execs $EXECS --seed $SEED:"
	sed 's/^/  /' "$tmp/problems" "$tmp/expected" >&2
	sed 's/^/  stderr: /' "$tmp/err" | tail -5 >&2
else
	ok "$EXECS executions of $spec ran and nothing was reported as a bug"
	sed 's/^/  /' "$tmp/expected"
fi
if [ "$fails" -ne 0 ]; then
	echo "  findings kept in $out" >&2
else
	rm -rf "$out"
fi
finish contention
