#!/usr/bin/env bash
# Every target that uses rqspinlock: how fast its variants run and how soon each engine finds
# the bugs of its buggy variants.
#
# The variants are those `lockstep list --json` names, in its order: every variant of the
# rqspinlock/* targets and of bpf/contention-tracepoint (whose v6.14 still has raw spinlocks
# for bucket locks: the before of the others), and the variants named rqspinlock* of any other
# target (maps/lpm-trie, maps/queue-stack, maps/lru-abba, contention/locks).
#
# Table 1, one row per variant: `lockstep fuzz T:V --time SECS --jobs 1 --json --quiet --out DIR`
# (random engine, its default probabilities, seed 0), the JSON summary's execs_per_s and execs,
# and per kind of finding that is a bug for the variant its hits and distinct signatures.  The
# JSON has no steps per execution, so there is no such column.  A variant expected clean
# ("never") with a bug finding keeps its directory and prints the replay commands on stderr.
#
# Table 2, one row per variant whose expected outcome is a kind of finding (not "never", not
# unsettled), three engines to its first bug:
#   random, pct  `lockstep bench T:V --engines random,pct --seeds SEEDS --cap CAP --rate 0
#                --json --quiet` (pct at fuzz's default depth; --rate 0: no throughput runs,
#                table 1 has those): per engine the median executions up to and including the
#                first bug over the SEEDS runs, a run that missed ranking as infinite, and how
#                many runs found it.
#   explore      `lockstep explore T:V --preemptions K --nmis M --slow 1 --max-schedules MAX
#                --json --quiet --out DIR` for (K,M) = (0,1), (1,1), (0,2), (1,2), (0,3), (2,1),
#                (2,2) in that order, up to the first search with a finding (explore stops
#                only at a bug for the variant): that bound, its schedules and seconds, and the
#                kind when it is not the expected one; the bounds searched without a bug, each
#                "complete" (searched to the end) or "capped" (stopped at MAX executions:
#                schedules explored or abandoned by the reduction).
# A variant whose expected kind is expected behaviour rather than a bug for it (rqspinlock's
# ABBCCA and held-lock-table timeouts: a stall its bug mask leaves out, which `lockstep bench`
# refuses) is not measured; a list under the table names them.
#
# Executions to a bug and schedules depend only on the code and the seeds (as long as the bug
# comes within the cap); rates, seconds and table 1's executions on the machine and on what
# else runs on it (the header gives the load average at the start).
#
# Usage: rqspinlock.sh [LOCKSTEP [SECS [SEEDS [CAP [MAX]]]]]
#        (default ./build/lockstep 1 5 20 1000000; SECS and CAP whole seconds)
# Exit status: 0 when every campaign ran, 2 when one failed (no JSON line, or an exit status
# other than 0 and 1).
set -u

LS=${1:-./build/lockstep}
SECS=${2:-1}
SEEDS=${3:-5}
CAP=${4:-20}
MAX=${5:-1000000}
LADDER="0,1 1,1 0,2 1,2 0,3 2,1 2,2"
[ -x "$LS" ] || { echo "rqspinlock.sh: $LS is not an executable" >&2; exit 2; }
for n in "$SECS" "$SEEDS" "$CAP" "$MAX"; do
	case $n in
	'' | *[!0-9]* | 0) echo "rqspinlock.sh: '$n' is not a positive whole number" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy, so that a rebuild while the campaigns run does not change the binary under them.
given=$LS
cp "$LS" "$tmp/lockstep" && LS=$tmp/lockstep || exit 2
begin=$(date +%s)

# "target:variant expect" lines, in list order.
"$LS" list --json | tail -n 1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["targets"]:
    whole = t["name"].startswith("rqspinlock/") or t["name"] == "bpf/contention-tracepoint"
    for v in t["variants"]:
        if whole or v["name"].startswith("rqspinlock"):
            print("%s:%s %s" % (t["name"], v["name"], v["expect"]))
' >"$tmp/variants" && [ -s "$tmp/variants" ] ||
	{ echo "rqspinlock.sh: $LS does not list the rqspinlock targets" >&2; exit 2; }

status=0
fail() {	# WHAT: one campaign failed; its last lines of stderr are in $tmp/err
	echo "rqspinlock.sh: $1: $(tail -n 3 "$tmp/err" | tr '\n' ' ')" >&2
	status=2
}

echo "# rqspinlock targets: executions per second and executions to the first bug"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg), $given"
echo
echo "## Executions per second"
echo
echo "lockstep fuzz T:V --time $SECS --jobs 1 (random engine, seed 0).  Bug findings: per kind of finding that is a bug for the variant, the executions that ended in it and (in parentheses) its distinct signatures."
echo
echo "| target:variant | expected | execs/s | executions | bug findings |"
echo "|---|---|--:|--:|---|"
kept=()
while read -r tv expect; do
	out=$(mktemp -d "${TMPDIR:-/tmp}/rqspinlock-$(echo "$tv" | tr '/:' '--')-XXXXXX")
	"$LS" fuzz "$tv" --time "$SECS" --jobs 1 --json --quiet --out "$out" \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	row=$(tail -n 1 "$tmp/out" | python3 -c '
import json, sys
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    j = None
if j is None or j.get("command") != "fuzz" or int(sys.argv[1]) not in (0, 1):
    print("error")
    sys.exit()
bugs = [f for f in j["findings"] if f["bug"]]
kinds = {}
for f in bugs:
    k = kinds.setdefault(f["kind"], [0, 0])
    k[0] += f["hits"]
    k[1] += 1
print(j["execs_per_s"], j["execs"], len(bugs),
      ", ".join("%s %d (%d)" % (k, h, n) for k, (h, n) in kinds.items()) or "-")
for f in bugs:
    print("  %s (%d hits, first at seed %d): lockstep replay %s" % (f["signature"],
          f["hits"], f["seed"], f["trace"]), file=sys.stderr)
' "$rc" 2>"$tmp/bugs")
	if [ "$row" = error ]; then
		echo "| $tv | $expect | error | | |"
		fail "fuzz $tv: exit $rc"
		rm -rf "$out"
		continue
	fi
	read -r rate execs nbugs kinds <<<"$row"
	echo "| $tv | $expect | $rate | $execs | $kinds |"
	if [ "$expect" = never ] && [ "$nbugs" -ne 0 ]; then
		echo "rqspinlock.sh: $tv, expected clean, has bug findings:" >&2
		cat "$tmp/bugs" >&2
		kept+=("$tv: $out")
	else
		rm -rf "$out"
	fi
done <"$tmp/variants"
if [ "${#kept[@]}" -ne 0 ]; then
	echo
	echo "Bug findings of variants expected clean, kept (each with README.md and the replay commands):"
	printf -- '- %s\n' "${kept[@]}"
fi

echo
echo "## Executions to the first bug"
echo
echo "random, pct: lockstep bench --seeds $SEEDS --cap $CAP, the median executions up to and including the first bug (-: half or more of the runs missed it) and the runs that found it.  explore: the first bound (K preemptions, M injections; one slow) of $LADDER whose search, capped at $MAX executions, finds a bug, with the kind when not the expected one; its schedules and seconds; the bounds searched without a bug, complete (none anywhere within them) or capped."
echo
echo "| target:variant | expected | random | pct | explore (K,M) | schedules | s | bounds without a bug |"
echo "|---|---|--:|--:|---|--:|--:|---|"
notbug=()
while read -r tv expect; do
	case $expect in never | unsettled) continue ;; esac
	"$LS" bench "$tv" --engines random,pct --seeds "$SEEDS" --cap "$CAP" --rate 0 --json --quiet \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q 'is not a buggy variant' "$tmp/err"; then
		notbug+=("$tv")
		continue
	fi
	cells=$(tail -n 1 "$tmp/out" | python3 -c '
import json, sys
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    j = None
if j is None or j.get("command") != "bench" or int(sys.argv[1]) not in (0, 1):
    print("error\terror\t-1")
    sys.exit()
cells, errors = {}, 0
for r in j["results"]:
    errors += r["errors"]
    if r["status"] != "ok":
        cells[r["engine"]] = "error"
        continue
    x = "-" if r["median_exec"] is None else "%d" % r["median_exec"]
    x += " (%d/%d)" % (r["found"], r["measured"])
    if r["errors"]:
        x += ", %d errors" % r["errors"]
    cells[r["engine"]] = x
print("%s\t%s\t%d" % (cells.get("random", "error"), cells.get("pct", "error"), errors))
' "$rc")
	IFS=$'\t' read -r random pct errors <<<"$cells"
	if [ "$errors" -lt 0 ]; then
		fail "bench $tv: exit $rc"
	elif [ "$errors" -gt 0 ] || [ "$random" = error ] || [ "$pct" = error ]; then
		fail "bench $tv: $errors runs failed"
	fi

	found="not found at any bound up to (2,2) within $MAX each"
	schedules=
	secs=
	before=
	for km in $LADDER; do
		k=${km%,*} m=${km#*,}
		rm -rf "$tmp/explore"
		"$LS" explore "$tv" --preemptions "$k" --nmis "$m" --slow 1 --max-schedules "$MAX" \
			--json --quiet --out "$tmp/explore" </dev/null >"$tmp/out" 2>"$tmp/err"
		rc=$?
		res=$(tail -n 1 "$tmp/out" | python3 -c '
import json, sys
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    j = None
if j is None or j.get("command") != "explore" or int(sys.argv[1]) not in (0, 1):
    print("error")
elif j["finding"] is None:
    print("complete" if j["complete"] else "capped")
else:
    kind = j["finding"]["kind"]
    print("found", j["schedules"], j["seconds"], "" if kind == sys.argv[2] else kind)
' "$rc" "$expect")
		read -r what n s kind <<<"$res"
		case $what in
		found)
			found="($km)${kind:+ $kind}"
			schedules=$n
			secs=$s
			break ;;
		error)
			found="error at ($km)"
			fail "explore $tv --preemptions $k --nmis $m: exit $rc"
			break ;;
		*)
			before+="${before:+; }($km) $what" ;;
		esac
	done
	echo "| $tv | $expect | $random | $pct | $found | $schedules | $secs | ${before:--} |"
done <"$tmp/variants"
if [ "${#notbug[@]}" -ne 0 ]; then
	echo
	echo "Not measured, their expected kind being expected behaviour, not a bug for the variant:"
	printf '%s\n' "${notbug[@]}" | python3 -c '
import sys
by = {}
for line in sys.stdin:
    t, v = line.strip().rsplit(":", 1)
    by.setdefault(t, []).append(v)
for t, vs in by.items():
    print("- %s: %s" % (t, ", ".join(vs)))
'
fi
echo
echo "Total: $(($(date +%s) - begin)) s."
exit "$status"
