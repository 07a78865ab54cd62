#!/usr/bin/env bash
# contention/locks at scale: EXECS random executions of every variant, each of which contends
# correctly on one lock, so that any finding is a false report by lockstep.
#
# Each variant is one campaign, `lockstep fuzz contention/locks:VARIANT --execs EXECS --seed SEED
# --json --quiet` with the default --jobs, its findings in a scratch directory.  The table gives
# the executions the JSON summary counts, the findings that are bugs for the variant, the
# findings that are not (averted reports of rqspinlock-nmi, whose NMI attempts fail by design),
# the campaign's wall seconds as measured here (start-up included) and executions per second
# from those.  A campaign with a bug finding keeps its directory and prints the replay commands;
# a campaign that fails (no JSON line, or exit status other than 0 and 1) is an error row.
#
# Usage: contention.sh [LOCKSTEP [EXECS [SEED]]]     (default ./build/lockstep 1000000 1)
# Exit status: 0 when no variant has a bug finding, 1 when one has, else 2 when a campaign failed
# or ran fewer executions than asked.
set -u

LS=${1:-./build/lockstep}
EXECS=${2:-1000000}
SEED=${3:-1}
TARGET=contention/locks
[ -x "$LS" ] || { echo "contention.sh: $LS is not an executable" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy, so that a rebuild while the campaigns run does not change the binary under them.
given=$LS
cp "$LS" "$tmp/lockstep" && LS=$tmp/lockstep || exit 2

variants=$("$LS" list "$TARGET" --json | tail -n 1 |
	python3 -c 'import json, sys; print(" ".join(v["name"] for v in json.load(sys.stdin)["targets"][0]["variants"]))') ||
	{ echo "contention.sh: $LS does not list $TARGET" >&2; exit 2; }

echo "# $TARGET: $EXECS random executions per variant, seed $SEED, default --jobs"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) CPUs, $given"
echo
echo "| variant | executions | findings | not bugs | wall s | execs/s |"
echo "|---|--:|--:|--:|--:|--:|"
status=0
kept=()
for v in $variants; do
	out=$(mktemp -d "${TMPDIR:-/tmp}/contention-$v-XXXXXX")
	start=$(date +%s.%N)
	"$LS" fuzz "$TARGET:$v" --execs "$EXECS" --seed "$SEED" --json --quiet --out "$out" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	end=$(date +%s.%N)
	row=$(tail -n 1 "$tmp/out" | python3 -c '
import json, sys
start, end, rc = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    j = None
if j is None or rc not in (0, 1):
    print("error")
    sys.exit()
bugs = [f for f in j["findings"] if f["bug"]]
wall = end - start
print("%d %d %d %.2f %.0f" % (j["execs"], len(bugs), len(j["findings"]) - len(bugs), wall,
                               j["execs"] / wall if wall > 0 else 0))
for f in bugs:
    print("  %s (%d hits, first at seed %d): lockstep replay %s" % (f["signature"],
          f["hits"], f["seed"], f["trace"]), file=sys.stderr)
' "$start" "$end" "$rc" 2>"$tmp/bugs")
	if [ "$row" = error ]; then
		echo "| $v | error | | | | |"
		echo "contention.sh: $v: exit $rc: $(tail -n 3 "$tmp/err" | tr '\n' ' ')" >&2
		[ "$status" -eq 0 ] && status=2
		rm -rf "$out"
		continue
	fi
	read -r execs bugs notbugs wall rate <<<"$row"
	echo "| $v | $execs | $bugs | $notbugs | $wall | $rate |"
	if [ "$execs" -ne "$EXECS" ]; then
		echo "contention.sh: $v: $execs executions ran, not $EXECS" >&2
		[ "$status" -eq 0 ] && status=2
	fi
	if [ "$bugs" -ne 0 ]; then
		status=1
		kept+=("$v: $out")
		cat "$tmp/bugs" >&2
	else
		rm -rf "$out"
	fi
done
if [ "${#kept[@]}" -ne 0 ]; then
	echo
	echo "Findings kept (each with README.md and the replay commands):"
	printf -- '- %s\n' "${kept[@]}"
fi
exit "$status"
