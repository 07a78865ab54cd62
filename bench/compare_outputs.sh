#!/usr/bin/env bash
# lockstep output comparison: proves that a change (a refactor) altered no byte lockstep writes.
#
# OLD_LOCKSTEP and NEW_LOCKSTEP are two lockstep executables, typically the build before a change
# and the build after it.  Each is copied into a fresh temporary directory when the script starts
# (so that a rebuild while this runs cannot change one halfway), run the same way from a
# directory of its own, the two at the same time, and what they write is compared byte for byte:
#
#   replay  each tests/findings/*.trace of this repository: `lockstep replay TRACE`.  Stdout and the exit
#           code must be the same.  Stderr is captured too; a difference there is printed as a
#           note under the line and does not count.
#   fuzz    each variant `OLD_LOCKSTEP list` names, three campaigns: `--engine random --jobs 1`,
#           `--engine pct --jobs 1` and `--engine random --jobs 2`, each `lockstep fuzz
#           TARGET:VARIANT ... --execs N --seed 7 --out DIR --quiet --json` (N is 2000, 300 with
#           --quick) into a fresh DIR.  The exit codes must be equal; the two DIRs must hold the
#           same files with the same bytes: every KIND-HASH.trace and KIND-HASH.txt, README.md,
#           index.tsv (a campaign that finds nothing makes no DIR, on either side); and the JSON
#           summaries must be equal once their wall-clock fields elapsed_s, execs_per_s and
#           first_bug_s are removed.  What is left of the summary (executions, interleavings,
#           each finding's hits and first execution, the verdict) is all that a campaign that
#           finds nothing shows.  README.md and index.tsv hold no wall-clock figure
#           (src/findings.c writes kind, signature, target, the kept trace's execution and seed,
#           hits, file names and the replay command), so nothing in them is ignored.  The
#           human-readable summary lines (with the wall time) are not compared.
#
# Paths.  A report's "replay:" line and README.md's replay column name DIR as given, so both
# executables run with the same relative DIR, from $tmp/old and $tmp/new; the traces are passed
# to replay by the same absolute path.  Nothing is written into the repository.
# --jobs 2 is compared old against new only: a validator finding that combines executions depends
# on which executions shared a worker, so it may differ from a --jobs 1 campaign, while for a given
# worker count the kept traces do not depend on timing (the header comment of
# src/campaign/pool.c).
# A report quotes lockstep's own machine code ("ls_lock_acquire_nested+0x689/0xf17" in a
# backtrace, disassembly after "Code:"), so a change that moves code in the runtime shows up as a
# difference in the .txt files while the .trace files stay the same.
#
# Output: one line per comparison, "ok" or "DIFFERENT" (followed by the first 20 lines of a diff),
# or "ERROR" when either side exited with 2 or more (a tool error, so nothing was compared; its
# stderr follows), then a count.  Exit 0 if every comparison is ok, 1 if one is not, 2 on bad
# usage.  The temporary directory is removed on exit, even on Ctrl-C.
#
# Usage: compare_outputs.sh OLD_LOCKSTEP NEW_LOCKSTEP [--quick]
set -euo pipefail

usage="usage: compare_outputs.sh OLD_LOCKSTEP NEW_LOCKSTEP [--quick]"
die() {
	echo "compare_outputs: $*" >&2
	exit 2
}

OLD=
NEW=
QUICK=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	-h | --help) echo "$usage"; exit 0 ;;
	-*) die "unknown option '$1'; $usage" ;;
	*)
		if [ -z "$OLD" ]; then OLD=$1
		elif [ -z "$NEW" ]; then NEW=$1
		else die "$usage"
		fi ;;
	esac
	shift
done
[ -n "$NEW" ] || die "$usage"
for bin in "$OLD" "$NEW"; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then die "'$bin' is not an executable file"; fi
done
# Executions per campaign.
EXECS=2000
[ -z "$QUICK" ] || EXECS=300
SEED=7

CRASHES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/findings" && pwd) ||
	die "no tests/findings/ directory next to bench/"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-outputs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The copies, both named lockstep in case one prints its argv[0].  An executable that does not
# run from elsewhere (one that finds its libraries relative to itself) is run where it is.
mkdir -p "$tmp/bin/old" "$tmp/bin/new" "$tmp/old" "$tmp/new"
copy() {
	local src=$1 dst=$2
	cp "$src" "$dst"
	if "$dst" --version >/dev/null 2>&1 </dev/null; then
		echo "$dst"
	else
		echo "compare_outputs: $src does not run as a copy; running it in place" >&2
		case $src in /*) echo "$src" ;; *) echo "$PWD/$src" ;; esac
	fi
}
OLD=$(copy "$OLD" "$tmp/bin/old/lockstep")
NEW=$(copy "$NEW" "$tmp/bin/new/lockstep")

# Runs lockstep on side $1 (old or new) with the remaining arguments, from $tmp/$1: stdout, stderr
# and the exit code go to $tmp/$1.out, .err and .rc.
run() {
	local side=$1 bin rc=0
	shift
	if [ "$side" = old ]; then bin=$OLD; else bin=$NEW; fi
	(cd "$tmp/$side" && exec "$bin" "$@") >"$tmp/$side.out" 2>"$tmp/$side.err" </dev/null || rc=$?
	echo "$rc" >"$tmp/$side.rc"
}

# Runs both sides with the same arguments, at the same time (the machine's second core).
both() {
	run old "$@" &
	run new "$@" &
	wait
}

# The last JSON line of $tmp/$1.out, the campaign's summary, without its wall-clock fields, into
# $tmp/$1.json, one field per line (key order kept) so that a diff shows the field; "no JSON
# summary" if there is none or it does not parse.
summary() {
	(grep '^{' "$tmp/$1.out" || true) | tail -n 1 | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except ValueError:
    print("no JSON summary")
    sys.exit(0)
for k in ("elapsed_s", "execs_per_s", "first_bug_s"):
    j.pop(k, None)
print(json.dumps(j, indent=1))' >"$tmp/$1.json"
}

n_ok=0
n_diff=0
n_err=0
# Prints the verdict line for the comparison named $1, from the exit codes in $tmp/{old,new}.rc
# and the differences found, $tmp/diff (empty: none).
verdict() {
	local what=$1 rc_old rc_new side
	rc_old=$(cat "$tmp/old.rc")
	rc_new=$(cat "$tmp/new.rc")
	if [ "$rc_old" -ge 2 ] || [ "$rc_new" -ge 2 ]; then
		echo "ERROR      $what: exit $rc_old (old), $rc_new (new)"
		for side in old new; do
			tail -n 3 "$tmp/$side.err" | sed "s/^/    $side: /"
		done
		n_err=$((n_err + 1))
	elif [ "$rc_old" = "$rc_new" ] && [ ! -s "$tmp/diff" ]; then
		echo "ok         $what"
		n_ok=$((n_ok + 1))
	else
		echo "DIFFERENT  $what"
		[ "$rc_old" = "$rc_new" ] || echo "    exit code: $rc_old (old), $rc_new (new)"
		head -n 20 "$tmp/diff" | sed 's/^/    /'
		n_diff=$((n_diff + 1))
	fi
}

# Prints TARGET:VARIANT for each variant in `lockstep list` (as compare_bench.sh reads it): a
# target's header line is "target: summary"; under it, "models:" and "N CPUs, ..." lines, then
# "variant  expect ...".
variants() {
	(cd "$tmp" && "$1" list) | awk '
		/^[^ \t]/ { target = $0; sub(/:.*/, "", target); next }
		/^[ \t]+models:/ || /^[ \t]+[0-9]+ CPUs/ { next }
		target != "" && $2 == "expect" { print target ":" $1 }'
}

t0=$(date +%s)
variants "$OLD" >"$tmp/variants" || die "$OLD list failed"
[ -s "$tmp/variants" ] || die "$OLD list names no variants"
variants "$NEW" >"$tmp/new-variants" || die "$NEW list failed"
echo "# lockstep output comparison: replay of $CRASHES/*.trace;" \
	"$(wc -l <"$tmp/variants") variants x 3 campaigns of $EXECS executions from seed $SEED"

for trace in "$CRASHES"/*.trace; do
	[ -e "$trace" ] || continue
	both replay "$trace"
	diff -u --label "old stdout" --label "new stdout" "$tmp/old.out" "$tmp/new.out" \
		>"$tmp/diff" 2>&1 || true
	verdict "replay tests/findings/${trace##*/}"
	if ! cmp -s "$tmp/old.err" "$tmp/new.err"; then
		echo "    note: stderr differs (not counted):"
		diff -u --label "old stderr" --label "new stderr" "$tmp/old.err" "$tmp/new.err" |
			head -n 20 | sed 's/^/    /' || true
	fi
done

while read -r spec; do
	for mode in "random 1" "pct 1" "random 2"; do
		engine=${mode% *}
		jobs=${mode#* }
		# The same relative --out on both sides; / and : are not in a file name.
		dir=$(printf '%s' "$spec" | tr '/:' '__').$engine-j$jobs
		both fuzz "$spec" --engine "$engine" --jobs "$jobs" --execs "$EXECS" --seed "$SEED" \
			--out "$dir" --quiet --json
		summary old
		summary new
		: >"$tmp/diff"
		# A campaign that finds nothing makes no directory.
		if [ -e "$tmp/old/$dir" ] || [ -e "$tmp/new/$dir" ]; then
			(cd "$tmp" && diff -r -u "old/$dir" "new/$dir") >>"$tmp/diff" 2>&1 || true
		fi
		diff -u --label "old --json summary" --label "new --json summary" \
			"$tmp/old.json" "$tmp/new.json" >>"$tmp/diff" 2>&1 || true
		verdict "fuzz $spec --engine $engine --jobs $jobs"
		rm -rf "${tmp:?}/old/$dir" "${tmp:?}/new/$dir"
	done
done <"$tmp/variants"

extra=$(grep -cvxFf "$tmp/variants" "$tmp/new-variants" || true)
[ "$extra" -eq 0 ] ||
	echo "note: NEW_LOCKSTEP has $extra variants OLD_LOCKSTEP does not list; they are not compared"
echo "compare_outputs: $((n_ok + n_diff + n_err)) comparisons:" \
	"$n_ok ok, $n_diff DIFFERENT, $n_err ERROR"
echo "compare_outputs: $(($(date +%s) - t0)) s" >&2
[ $((n_diff + n_err)) -eq 0 ] || exit 1
