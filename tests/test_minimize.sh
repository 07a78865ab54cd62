#!/usr/bin/env bash
# Suite `minimize`: long traces found by the random engine shrink to a hand-checked minimum of
# preemptions and NMIs, keep their signature, replay, and minimize the same way every time.
# Usage: test_minimize.sh PATH/TO/lockstep
set -u

LS=${1:?usage: test_minimize.sh LOCKSTEP}
# shellcheck source=/dev/null
. "$(dirname "$0")/lib.sh"

# longest_trace DIR GLOB: the finding trace in DIR with the most decisions.
longest_trace() {
	local best="" most=-1 f n
	for f in "$1"/$2; do
		[ -e "$f" ] || continue
		n=$(grep -c '^@' "$f")
		if [ "$n" -gt "$most" ]; then
			most=$n
			best=$f
		fi
	done
	echo "$best"
}

field() { # field FILE KEY: the value of a trace line "KEY VALUE"
	sed -n "s/^$2 //p" "$1"
}

# check SPEC GLOB PREEMPTIONS_MAX INJECTIONS_MAX: fuzz SPEC, minimize its longest GLOB finding.
check() {
	local spec=$1 glob=$2 pre=$3 inj=$4 name
	name=$(echo "$spec" | tr '/:' '__')
	local dir="$tmp/$name"
	"$LS" fuzz "$spec" --engine random --p-switch 0.5 --execs 2000 --jobs 1 --out "$dir" \
		--quiet >/dev/null 2>&1
	local in
	in=$(longest_trace "$dir" "$glob")
	if [ -z "$in" ]; then
		fail "$spec: fuzz found no $glob trace"
		return
	fi
	local min="$tmp/$name.min.trace"
	expect_rc 0 "$spec: minimize exits 0" -- "$LS" minimize "$in" -o "$min" --json || return
	local p i
	p=$(json 'j["after"]["preemptions"]')
	i=$(json 'j["after"]["injections"]')
	echo "     $spec: $(grep '^minimize: before' "$tmp/out")"
	echo "     $spec: $(grep '^minimize: after' "$tmp/out")"
	if [ "$p" -gt "$pre" ] || [ "$i" -gt "$inj" ]; then
		fail "$spec: minimized to $p preemptions, $i injections; want <= $pre, <= $inj"
	else
		ok "$spec: $p preemptions, $i injections"
	fi
	[ "$(field "$min" signature)" = "$(field "$in" signature)" ] ||
		fail "$spec: signature changed: $(field "$min" signature)"
	expect_rc 0 "$spec: the minimized trace replays" -- "$LS" replay "$min"
	expect_rc 0 "$spec: minimizing again" -- "$LS" minimize "$min" -o "$min.again"
	cmp -s "$min" "$min.again" || fail "$spec: minimizing the output changed it"
	expect_rc 0 "$spec: the same input again" -- "$LS" minimize "$in" -o "$min.twice"
	cmp -s "$min" "$min.twice" || fail "$spec: the same input minimized twice differs"
	last_min=$min
	last_in=$in
}

last_min="" last_in=""
check demo/abba:buggy '*.trace' 1 0
# demo/abba needs one preemption: not zero either.
[ -n "$last_min" ] && [ "$(field "$last_min" decisions)" = 1 ] ||
	fail "demo/abba:buggy: want exactly 1 decision (one preemption)"
abba_in=$last_in
# The NMI's AA hangs (the validator reports AA only where the task held the lock, and then the
# hang is the finding): "t0 is interrupted by nmi_handler@cpu0, which waits in spin_lock on lock held by
# t0", one NMI and no preemption.
check demo/nmi-aa:buggy 'deadlock-8d08c0e19587.trace' 0 1
[ -n "$last_min" ] && grep -q '^@[0-9]* nmi ' "$last_min" ||
	fail "demo/nmi-aa:buggy: the minimized trace injects no NMI"
check kptr/dtor-nmi:inline 'deadlock-*.trace' 1 1

# The default output goes beside the input.
cp "$abba_in" "$tmp/in.trace"
expect_rc 0 "default output NAME.min.trace" -- "$LS" minimize "$tmp/in.trace" --quiet
[ -f "$tmp/in.min.trace" ] || fail "no $tmp/in.min.trace"

# A damaged trace: exit 2, one line.
head -c 200 "$abba_in" >"$tmp/cut.trace"
expect_rc 2 "a truncated trace exits 2" -- "$LS" minimize "$tmp/cut.trace"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "truncated trace: want one line on stderr"

# A trace whose bug no longer reproduces: no decisions, no checksum.
sed -e '/^@/d' -e 's/^decisions .*/decisions 0/' -e '/^checksum/d' "$abba_in" >"$tmp/gone.trace"
expect_rc 1 "a trace whose bug does not reproduce exits 1" -- "$LS" minimize "$tmp/gone.trace"
grep -q "does not reproduce" "$tmp/err" || fail "no 'does not reproduce' message"
[ ! -e "$tmp/gone.min.trace" ] || fail "a trace that does not reproduce was written"

# fuzz --minimize: each bug the campaign saves gets a minimized trace beside it that replays,
# the findings README keeps one row per finding, and --json's line stays the last of stdout.
expect_rc 1 "fuzz --minimize" -- "$LS" fuzz demo/nmi-aa:buggy --execs 500 --jobs 1 \
	--minimize --out "$tmp/fm" --quiet --json
case "$(tail -n 1 "$tmp/out")" in
\{*\"command\":\"fuzz\"*\}) ok "fuzz --minimize: the JSON summary is the last line" ;;
*) fail "fuzz --minimize: last line is not the JSON summary: $(tail -n 1 "$tmp/out")" ;;
esac
mins=0
for m in "$tmp"/fm/*.min.trace; do
	[ -e "$m" ] || continue
	mins=$((mins + 1))
	"$LS" replay "$m" >/dev/null 2>&1 || fail "fuzz --minimize: $(basename "$m") does not replay"
done
[ "$mins" -gt 0 ] || fail "fuzz --minimize wrote no .min.trace"
rows=$(grep -c '^| [a-zA-Z-]* | `' "$tmp/fm/README.md")
traces=$(find "$tmp/fm" -name '*.trace' ! -name '*.min.trace' | wc -l)
[ "$rows" -eq "$traces" ] || fail "fuzz --minimize: $rows README rows for $traces findings"
ok "fuzz --minimize: $mins minimized traces replay; $rows README rows"

# A raw fuzzer input (given the target) is made a trace first, then minimized; an input that
# shows no bug is refused.
printf '\001\001' >"$tmp/raw-abba"
expect_rc 0 "minimize --target on a raw input" -- \
	"$LS" minimize --target demo/abba:buggy --no-lockdep "$tmp/raw-abba" --quiet
[ -e "$tmp/raw-abba.min.trace" ] || fail "minimize --target wrote no raw-abba.min.trace"
expect_rc 0 "the minimized raw input replays" -- "$LS" replay "$tmp/raw-abba.min.trace"
: >"$tmp/raw-empty"
expect_rc 1 "a raw input with no bug is refused" -- \
	"$LS" minimize --target demo/abba:buggy --no-lockdep "$tmp/raw-empty"
grep -q "nothing to minimize" "$tmp/err" || fail "no 'nothing to minimize': $(cat "$tmp/err")"

finish minimize
