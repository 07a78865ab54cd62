#!/usr/bin/env bash
# lockstep compare benchmark: executions per second before and after a change, side by side.
#
# "After" is BUILD_DIR/lockstep as built (the working tree; rebuild it first).  "Before" is REV
# (--base), checked out as a detached git worktree in a fresh temporary directory, configured
# debugoptimized and built there (only the lockstep executable); the worktree and the directory
# are removed on exit, so the repository is left as it was.  Every variant `lockstep list` of the
# current build names (or only those --only names, TARGET:VARIANT each, comma-separated) runs
# `lockstep fuzz --engine random --jobs J --time S` with each build, for each worker count J of
# --jobs (comma-separated; 1 by default), the two builds taking turns (before, after, before,
# after, ...) so that drift of the machine touches both alike; each cell is the median of the
# repetitions' "execs_per_s".  Unless --jobs is just 1, the table has a jobs column (a row per
# variant and count) and a geometric mean per count.  Only options both builds accept are passed
# (not --p-slow or --slow, which REV lacks), and each run writes its findings into its own
# directory under the temporary one.  Rates depend on the machine.
#
# Usage: compare_bench.sh BUILD_DIR [--base REV] [--quick] [--seconds S] [--csv FILE]
#                        [--jobs N,N...] [--only TARGET:VARIANT,...]
set -euo pipefail

usage="usage: compare_bench.sh BUILD_DIR [--base REV] [--quick] [--seconds S] [--csv FILE]"
usage="$usage [--jobs N,N...] [--only TARGET:VARIANT,...]"
die() {
	echo "compare_bench: $*" >&2
	exit 2
}

BUILD=
BASE=de5810e
SECS=
QUICK=
CSV=
JOBS=1
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--base) [ $# -ge 2 ] || die "$usage"; BASE=$2; shift ;;
	--quick) QUICK=1 ;;
	--seconds) [ $# -ge 2 ] || die "$usage"; SECS=$2; shift ;;
	--csv) [ $# -ge 2 ] || die "$usage"; CSV=$2; shift ;;
	--jobs) [ $# -ge 2 ] || die "$usage"; JOBS=$2; shift ;;
	--only) [ $# -ge 2 ] || die "$usage"; ONLY=$2; shift ;;
	-h | --help) echo "$usage"; exit 0 ;;
	-*) die "unknown option '$1'; $usage" ;;
	*) [ -z "$BUILD" ] || die "$usage"; BUILD=$1 ;;
	esac
	shift
done
[ -n "$BUILD" ] || die "$usage"
# Seconds per campaign and campaigns per cell.  `lockstep fuzz --time` takes whole seconds (in
# both builds), so --quick runs the shortest campaign it can, 1 s, once, and a fraction given to
# --seconds is rounded up.
REPS=3
[ -z "$QUICK" ] || REPS=1
case ${SECS:=1} in
*[!0-9.]* | *.*.* | .) die "--seconds expects a number of seconds, got '$SECS'" ;;
esac
secs_int=$(awk -v s="$SECS" 'BEGIN { n = int(s); if (n < s) n++; if (n < 1) n = 1; print n }')
if awk -v s="$SECS" -v n="$secs_int" 'BEGIN { exit !(s + 0 != n) }'; then
	echo "compare_bench: lockstep fuzz --time takes whole seconds: $SECS s becomes $secs_int s" >&2
fi
SECS=$secs_int
# Worker counts, one per line in jobs_list; a jobs column unless the list is today's "1".
jobs_list=$(printf '%s\n' "$JOBS" | tr ',' '\n')
for j in $jobs_list; do
	case $j in '' | *[!0-9]* | 0*) die "--jobs expects worker counts like 1,2, got '$JOBS'" ;; esac
done
[ "$(printf '%s\n' "$jobs_list" | sort -u | wc -l)" -eq "$(printf '%s\n' "$jobs_list" | wc -l)" ] ||
	die "--jobs names a count twice: '$JOBS'"
JOBS_COL=
[ "$JOBS" = 1 ] || JOBS_COL=1
case ,$ONLY, in *,,*) [ -z "$ONLY" ] || die "--only expects TARGET:VARIANT,..., got '$ONLY'" ;; esac

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(git -C "$REPO" rev-parse --show-toplevel) || die "$REPO is not in a git repository"
[ -d "$BUILD" ] || die "no build directory '$BUILD'"
BUILD=$(cd "$BUILD" && pwd)
AFTER=$BUILD/lockstep
[ -x "$AFTER" ] || die "no $AFTER; build it first (ninja -C $BUILD lockstep)"
base_hash=$(git -C "$REPO" rev-parse --short --verify --quiet "$BASE^{commit}") ||
	die "no revision '$BASE' in $REPO"
head_hash=$(git -C "$REPO" rev-parse --short HEAD)
# Uncommitted changes to tracked files, as `git describe --dirty` counts them.
[ -z "$(git -C "$REPO" status --porcelain --untracked-files=no)" ] || head_hash=$head_hash+dirty
# The baseline is built debugoptimized without sanitizers; "after" should be built the same way.
opt() {
	sed -n "s/.*\"name\": \"$1\", \"value\": \"\([^\"]*\)\".*/\1/p" \
		"$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null | head -n 1
}
buildtype=$(opt buildtype)
sanitize=$(opt b_sanitize)
if [ "${buildtype:-debugoptimized}" != debugoptimized ] || [ "${sanitize:-none}" != none ]; then
	echo "compare_bench: $BUILD is $buildtype, sanitize=$sanitize; the baseline is debugoptimized" \
		"without sanitizers, so the ratios compare unlike builds" >&2
fi
stale=$(ninja -C "$BUILD" -n lockstep 2>&1) || true
if [[ $stale != *"no work to do"* ]]; then
	echo "compare_bench: $AFTER is older than the working tree; run ninja -C $BUILD first" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-compare.XXXXXX")
cleanup() {
	if [ -e "$tmp/src" ]; then
		git -C "$REPO" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
	# Only if removing it failed: drop the record of the worktree that no longer exists.
	if git -C "$REPO" worktree list --porcelain | grep -qxF "worktree $tmp/src"; then
		git -C "$REPO" worktree prune
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Builds REV in $tmp/build, or says why not in one line and exits 2.
build_base() {
	local log=$tmp/build.log why
	if ! git -C "$REPO" worktree add --detach --quiet "$tmp/src" "$base_hash" >"$log" 2>&1; then
		why="git worktree add failed"
	elif ! meson setup --buildtype=debugoptimized "$tmp/build" "$tmp/src" >"$log" 2>&1; then
		why="meson setup failed"
	elif ! ninja -C "$tmp/build" lockstep >"$log" 2>&1; then
		why="ninja failed"
	elif [ ! -x "$tmp/build/lockstep" ]; then
		why="no lockstep executable"
	else
		return 0
	fi
	die "cannot build the baseline $base_hash: $why: $(grep -m 1 -E 'error:|ERROR:|fatal:' "$log" || tail -n 1 "$log")"
}

# Prints TARGET:VARIANT for each variant in `lockstep list`: a target's header line is
# "target: summary"; under it, "models:" and "N CPUs, ..." lines, then "variant  expect ...".
variants() {
	"$1" list | awk '
		/^[^ \t]/ { target = $0; sub(/:.*/, "", target); next }
		/^[ \t]+models:/ || /^[ \t]+[0-9]+ CPUs/ { next }
		target != "" && $2 == "expect" { print target ":" $1 }'
}

# Prints the execs_per_s of one campaign of lockstep binary $1 on $2 with $4 workers, or "error"
# (and on stderr why, naming the build $3).  A finding (exit 1) is normal here.
rate() {
	local bin=$1 spec=$2 side=$3 jobs=$4 out rc=0 r
	out=$(mktemp -d "$tmp/out.XXXXXX")
	"$bin" fuzz "$spec" --engine random --jobs "$jobs" --time "$SECS" --out "$out" --quiet --json \
		>"$tmp/stdout" 2>"$tmp/stderr" </dev/null || rc=$?
	rm -rf "$out"
	r=$( (grep '^{' "$tmp/stdout" || true) | tail -n 1 | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["execs_per_s"])' 2>/dev/null || true)
	if [ "$rc" -gt 1 ] || [ -z "$r" ]; then
		[ -n "$r" ] || rc="$rc, no JSON"
		echo "compare_bench: $side $spec --jobs $jobs: exit $rc: $(tail -n 1 "$tmp/stderr")" >&2
		echo error
	else
		echo "$r"
	fi
}

# The median of the arguments, or "error" if one is, or "-" if there are none.
median() {
	[ $# -gt 0 ] || { echo -; return; }
	case " $* " in *" error "*) echo error; return ;; esac
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f\n", m }'
}

# 1234567 -> 1,234,567; anything else unchanged.
thousands() {
	case $1 in
	*[!0-9]* | '') echo "$1" ;;
	*) echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' ;;
	esac
}

is_num() {
	case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

t0=$(date +%s)
# A copy, so that a rebuild of BUILD_DIR while this runs cannot change "after" halfway.
mkdir "$tmp/after"
cp "$AFTER" "$tmp/after/lockstep"
AFTER=$tmp/after/lockstep
variants "$AFTER" >"$tmp/variants" || die "$BUILD/lockstep list failed"
[ -s "$tmp/variants" ] || die "$BUILD/lockstep list names no variants"
if [ -n "$ONLY" ]; then
	# The variants --only names, in its order; each must be one the current build lists.
	printf '%s\n' "$ONLY" | tr ',' '\n' >"$tmp/only"
	while read -r spec; do
		grep -qxF "$spec" "$tmp/variants" || die "--only: $BUILD/lockstep list names no '$spec'"
	done <"$tmp/only"
	mv "$tmp/only" "$tmp/variants"
fi
echo "compare_bench: building $base_hash in $tmp ..." >&2
build_base
BEFORE=$tmp/build/lockstep
variants "$BEFORE" >"$tmp/base-variants" || die "$base_hash: lockstep list failed"

cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu=${cpu:-unknown CPU}
if [ "$REPS" -eq 1 ]; then reps_text="1 repetition"; else reps_text="median of $REPS repetitions"; fi

# With a jobs column, the rows carry one more field after the variant: the worker count.
if [ -n "$JOBS_COL" ]; then
	csv_head="target_variant,jobs,before_execs_per_s,after_execs_per_s,after_over_before"
	md_head="| target:variant | jobs | before execs/s | after execs/s | after/before |"
	md_rule="|---|---:|---:|---:|---:|"
else
	csv_head="target_variant,before_execs_per_s,after_execs_per_s,after_over_before"
	md_head="| target:variant | before execs/s | after execs/s | after/before |"
	md_rule="|---|---:|---:|---:|"
fi
[ -z "$CSV" ] || echo "$csv_head" >"$CSV"
echo "# lockstep compare benchmark"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $cpu; before: $base_hash, after: $head_hash; $SECS s per cell, $reps_text, before and after interleaved; lockstep fuzz --engine random --jobs $JOBS"
echo
echo "$md_head"
echo "$md_rule"
: >"$tmp/ratios"
while read -r spec; do
	known=
	grep -qxF "$spec" "$tmp/base-variants" && known=1
	for jobs in $jobs_list; do
		befores=()
		afters=()
		for _ in $(seq "$REPS"); do
			[ -z "$known" ] || befores+=("$(rate "$BEFORE" "$spec" before "$jobs")")
			afters+=("$(rate "$AFTER" "$spec" after "$jobs")")
		done
		b=$(median "${befores[@]+"${befores[@]}"}")
		a=$(median "${afters[@]}")
		ratio=-
		if is_num "$b" && is_num "$a" && [ "$b" -gt 0 ]; then
			ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
			awk -v a="$a" -v b="$b" -v j="$jobs" 'BEGIN { printf "%s %.17g\n", j, a / b }' \
				>>"$tmp/ratios"
		fi
		cell=$spec
		[ -z "$JOBS_COL" ] || cell="$spec | $jobs"
		echo "| $cell | $(thousands "$b") | $(thousands "$a") | $ratio |"
		[ -z "$CSV" ] || echo "${cell/ | /,},$b,$a,$ratio" >>"$CSV"
	done
done <"$tmp/variants"
echo
if [ -z "$JOBS_COL" ]; then
	awk 'NF && $2 > 0 { s += log($2); n++ } END {
		if (n) printf "Geometric mean of after/before over %d rows with both figures: %.2f\n", n, exp(s / n)
		else print "Geometric mean of after/before: - (no row has both figures)" }' "$tmp/ratios"
else
	for jobs in $jobs_list; do
		awk -v j="$jobs" '$1 == j && $2 > 0 { s += log($2); n++ } END {
			printf "Geometric mean of after/before with --jobs %s", j
			if (n) printf " over %d rows with both figures: %.2f\n", n, exp(s / n)
			else print ": - (no row has both figures)" }' "$tmp/ratios"
	done
fi
echo "compare_bench: $(($(date +%s) - t0)) s" >&2
