#!/usr/bin/env bash
# Suite `robust`, trace-cli: `lockstep replay` and `lockstep minimize` on damaged traces and on
# inputs that are not traces at all.  Every input ends with exit 0, 1 or 2 (never a signal or an
# internal error), at most one line on stderr, within a bound that only a hang would exceed.
# Usage: test_trace_cli.sh LOCKSTEP SOURCE_DIR TEST_TRACE_MUTANTS
set -u

LS=$(realpath "${1:?usage: test_trace_cli.sh LOCKSTEP SOURCE_DIR TEST_TRACE_MUTANTS}")
SRC=$(realpath "${2:?}")
MUT=$(realpath "${3:?}")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}symbolize=0"

N=300		# mutants through the command line (the C half runs 20,000 in-process)
BOUND=60	# seconds: a hang, not a figure

bad=0
# input FILE WHAT [EXTRA ARGS]: replays FILE, checks the exit code and stderr.
input() {
	local file=$1 what=$2
	shift 2
	timeout "$BOUND" "$LS" replay "$file" --quiet --hang-timeout 5 "$@" >out 2>err
	local rc=$? lines
	lines=$(wc -l <err)
	if [ "$rc" -gt 2 ]; then
		fail "$what: exit $rc: $(head -3 err)"
		bad=$((bad + 1))
	elif [ "$lines" -gt 1 ]; then
		fail "$what: $lines lines on stderr: $(head -3 err)"
		bad=$((bad + 1))
	fi
	return "$rc"
}

mkdir mutants
"$MUT" "$SRC" --write mutants "$N" || fail "writing the mutants"
for f in mutants/*.trace; do
	input "$f" "replay $(basename "$f")"
done
[ "$bad" -eq 0 ] && ok "$N mutants: replay exits 0, 1 or 2 with at most one line on stderr"

# Every line-boundary truncation of a shipped trace, and every 37th byte: all refused but the
# whole file and the file without its last newline.
bad=0
src=$SRC/tests/findings/deadlock-9897ee4b79c1.trace
size=$(wc -c <"$src")
cuts=$(awk '{ n += length($0) + 1; print n - 1; print n }' "$src"; seq 0 37 "$size")
n=0
for c in $cuts; do
	head -c "$c" "$src" >cut.trace
	input cut.trace "replay of $(basename "$src") cut at byte $c" && [ "$c" -lt $((size - 1)) ] &&
		fail "a trace cut at byte $c of $size replays"
	n=$((n + 1))
done
[ "$bad" -eq 0 ] && ok "$n truncations: each refused with one line"

# ---- inputs that are not regular files, or too big --------------------------------------------
# refused WHAT PATTERN FILE: replay and minimize refuse FILE with exit 2 and PATTERN, at once.
refused() {
	local what=$1 pattern=$2 file=$3
	for cmd in replay minimize; do
		timeout 20 "$LS" "$cmd" "$file" >out 2>err
		local rc=$?
		if [ "$rc" -ne 2 ]; then
			fail "$cmd $what: exit $rc, want 2: $(head -2 err)"
		elif [ "$(wc -l <err)" -ne 1 ] || ! grep -q -- "$pattern" err; then
			fail "$cmd $what: $(cat err)"
		else
			ok "$cmd refuses $what: $(cat err)"
		fi
	done
}
mkfifo fifo
refused "a FIFO (it would block)" "a FIFO" fifo
refused "a character device (it would not end)" "character device" /dev/zero
mkdir dir.trace
refused "a directory" "a directory" dir.trace
truncate -s 65M big.trace
refused "a 65 MiB file" "more than the 64 MiB" big.trace

# A header that claims a billion decisions and holds two: refused where the decisions end,
# without allocating for the claim.
sed -e '/^checksum /d' -e 's/^decisions .*/decisions 1000000000/' "$src" >claim.trace
sed -i 's/^step-limit .*/step-limit 1000000000/' claim.trace
refused "a decision count the file does not hold" "expected a decision" claim.trace
# A line longer than any the grammar has is refused, not cut.
{ sed -n '1,2p' "$src"; printf 'target %s\n' "$(head -c 3000 /dev/zero | tr '\0' x)"; } >long.trace
refused "an over-long line" "line longer than" long.trace
# Numbers: no sign, no space, no hexadecimal.
for v in "+5" " 5" "0x5"; do
	sed -e '/^checksum /d' -e "s/^seed .*/seed $v/" "$src" >num.trace
	refused "seed '$v'" "expected a number" num.trace
done

finish robust-trace-cli
