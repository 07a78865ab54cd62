#!/usr/bin/env bash
# Suite `cli`: exit codes, messages and trace handling of the lockstep command line.
# Usage: test_cli.sh PATH/TO/lockstep [SOURCE_DIR]
set -u

LS=${1:?usage: test_cli.sh LOCKSTEP [SOURCE_DIR]}
SRC=${2:-}
# shellcheck source=/dev/null
. "$(dirname "$0")/lib.sh"
# A rejected trace: exit 2 and exactly one line on stderr (containing PATTERN, if given).
expect_bad_trace() {
	local what=$1 file=$2 pattern=${3:-}
	expect_rc 2 "bad trace: $what" -- "$LS" replay "$file" || return
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$lines" -ne 1 ]; then
		fail "bad trace: $what: $lines lines on stderr, want 1"
		head -5 "$tmp/err" >&2
	fi
	if [ -n "$pattern" ] && ! grep -qi -- "$pattern" "$tmp/err"; then
		fail "bad trace: $what: message does not mention '$pattern': $(cat "$tmp/err")"
	fi
}

expect_rc 0 "list exits 0" -- "$LS" list

# --out is a place for findings: new, empty, or holding findings; not "/" or a directory of
# something else, unless --force.
mkdir -p "$tmp/notours"
echo notes >"$tmp/notours/notes.md"
expect_rc 2 "--out on a directory of something else is refused" -- \
	"$LS" fuzz demo/abba:buggy --execs 100 --out "$tmp/notours" --quiet
grep -q -- "--force" "$tmp/err" || fail "--out refusal does not mention --force: $(cat "$tmp/err")"
[ -z "$(find "$tmp/notours" -name '*.trace')" ] || fail "the refused campaign wrote findings"
expect_rc 2 "--out / is refused" -- "$LS" run demo/abba:buggy --seed 15 --out / --quiet
expect_rc 1 "--force writes there anyway" -- \
	"$LS" fuzz demo/abba:buggy --execs 100 --out "$tmp/notours" --force --quiet
expect_rc 1 "a findings directory is reused without --force" -- \
	"$LS" fuzz demo/abba:buggy --execs 100 --out "$tmp/notours" --quiet
# Another campaign starting in the same directory may have written only its way there yet
# (README.md, a report, the index lock, a temporary file): that directory is lockstep's too.
mkdir -p "$tmp/starting"
: >"$tmp/starting/README.md"
: >"$tmp/starting/.index.lock"
: >"$tmp/starting/.deadlock-0123456789ab.txt.tmp.4242"
expect_rc 1 "a directory another campaign is starting in is accepted" -- \
	"$LS" fuzz demo/abba:buggy --execs 100 --out "$tmp/starting" --quiet
# A directory that keeps findings out of a repository, as this one's crashes/ does.
mkdir -p "$tmp/ignored"
printf '*\n!.gitignore\n' >"$tmp/ignored/.gitignore"
expect_rc 1 "a directory holding only a .gitignore is accepted" -- \
	"$LS" fuzz demo/abba:buggy --execs 100 --out "$tmp/ignored" --quiet

# A control character in a name is written as \xNN: no terminal escape, one line.
expect_rc 2 "an escape sequence in a target name" -- "$LS" run "$(printf 'demo/\033[31mabba')"
grep -q 'demo/\\x1b\[31mabba' "$tmp/err" || fail "escape not written as \\x1b: $(cat -v "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "the message is not one line: $(cat -v "$tmp/err")"
expect_rc 2 "a newline in a target name" -- "$LS" run "$(printf 'demo/ab\nba')"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "a newline in a target name split the message"

# Numbers are decimal digits: no sign, no space, no hex, no octal reading of a leading 0.
for v in ' -1' -1 0x10 99999999999999999999999; do
	expect_rc 2 "--seed '$v' is refused" -- "$LS" run demo/abba:buggy --seed "$v"
	grep -q "non-negative decimal integer" "$tmp/err" || fail "--seed '$v': $(cat "$tmp/err")"
done

# --version on the top command and on every command, for scripts that check what they run.
want=$("$LS" --version)
case $want in
"lockstep "[0-9]*) ;;
*) fail "--version: '$want', want 'lockstep VERSION'" ;;
esac
for cmd in list run fuzz explore replay minimize stress bench; do
	expect_rc 0 "$cmd --version" -- "$LS" "$cmd" --version
	[ "$(cat "$tmp/out")" = "$want" ] || fail "$cmd --version: '$(cat "$tmp/out")', want '$want'"
done

# A known deadlocking seed: exit 1, the warning, and a trace on disk.
expect_rc 1 "run buggy seed 15 finds the deadlock" -- \
	"$LS" run demo/abba:buggy --seed 15 --out "$tmp/run"
grep -q "WARNING: lockstep: deadlock" "$tmp/out" "$tmp/err" ||
	fail "run: no 'WARNING: lockstep: deadlock' in the output"
good=$(ls "$tmp"/run/*.trace 2>/dev/null | head -1)
if [ -z "$good" ]; then
	fail "run wrote no trace into $tmp/run"
	finish cli
fi

expect_rc 0 "the trace replays" -- "$LS" replay "$good" --trace "$tmp/again.trace"
cmp -s "$good" "$tmp/again.trace" || fail "re-recorded trace differs from the original"

# Outputs are never replaced by something else: a device or a FIFO is written through (before,
# `--trace /dev/null` run as root renamed a regular file over /dev/null), a symlink's file is the
# one replaced, and a path that cannot be written is refused before any work, exit 2.
out=$tmp/outputs
mkdir -p "$out"
if mknod "$out/null" c 1 3 2>/dev/null; then
	expect_rc 1 "run --trace DEVICE writes through it" -- \
		"$LS" run demo/abba:buggy --seed 15 --trace "$out/null" --out "$out/o" --quiet
	[ -c "$out/null" ] && ok "the device node is still a character device" ||
		fail "run --trace replaced the device node: $(ls -l "$out/null")"
else
	echo "skip --trace on a device node: mknod is not allowed here"
fi
mkfifo "$out/fifo"
cat "$out/fifo" >"$out/fifo.out" &
reader=$!
expect_rc 1 "run --trace FIFO writes through it" -- \
	"$LS" run demo/abba:buggy --seed 15 --trace "$out/fifo" --out "$out/o" --quiet
wait "$reader"
[ -p "$out/fifo" ] || fail "run --trace replaced the FIFO"
head -1 "$out/fifo.out" | grep -q '^lockstep-trace ' || fail "nothing read from the FIFO"
echo old >"$out/real.trace"
ln -s real.trace "$out/link.trace"
expect_rc 1 "run --trace SYMLINK replaces the file it names" -- \
	"$LS" run demo/abba:buggy --seed 15 --trace "$out/link.trace" --out "$out/o" --quiet
[ -L "$out/link.trace" ] || fail "run --trace replaced the symlink itself"
head -1 "$out/real.trace" | grep -q '^lockstep-trace ' || fail "the symlink's file was not written"
for bad in "$out" "$out/nonesuch/x.trace"; do
	expect_rc 2 "run --trace $bad is refused before the run" -- \
		"$LS" run demo/abba:buggy --seed 15 --trace "$bad" --out "$out/o2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--trace $bad: not one line: $(cat "$tmp/err")"
	[ ! -e "$out/o2" ] || fail "--trace $bad: the run went ahead"
done
expect_rc 2 "replay --html into a directory is refused" -- "$LS" replay "$good" --html "$out"
expect_rc 2 "minimize -o into a missing directory is refused" -- \
	"$LS" minimize "$good" -o "$out/nonesuch/m.trace"

expect_rc 1 "fuzz buggy finds a deadlock" -- \
	"$LS" fuzz demo/abba:buggy --engine random --execs 20000 --out "$tmp/fuzz" --quiet --json
last=$(tail -n 1 "$tmp/out")
case "$last" in
\{*deadlock*\}) echo "ok   fuzz --json last line names the deadlock" ;;
*) fail "fuzz --json: last stdout line is not JSON with deadlock: $last" ;;
esac

expect_rc 0 "fuzz clean variant finds nothing" -- \
	"$LS" fuzz demo/abba:ordered --engine random --execs 20000 --out "$tmp/fuzz2" --quiet
expect_rc 2 "unknown target exits 2" -- "$LS" run demo/nonesuch --out "$tmp/x"
expect_rc 2 "bad option exits 2" -- "$LS" run demo/abba:buggy --no-such-option
expect_rc 2 "bad option value exits 2" -- "$LS" run demo/abba:buggy --seed banana
expect_rc 2 "unknown engine exits 2" -- "$LS" run demo/abba:buggy --engine nonesuch

# ---- options as GNU getopt_long reads them ---------------------------------------------------
# Short spellings, unique prefixes, options after the positional argument, "--": the same run.
"$LS" run demo/abba:buggy --seed 15 --out "$tmp/opt-long" --json --quiet >"$tmp/long.json"
"$LS" run -q -s 15 -o "$tmp/opt-short" demo/abba:buggy --js >"$tmp/short.json"
"$LS" run --se=15 --ou "$tmp/opt-abbrev" --qui --json -- demo/abba:buggy >"$tmp/abbrev.json"
for f in short abbrev; do
	if [ "$(sed 's/opt-[a-z]*//' "$tmp/$f.json")" = "$(sed 's/opt-[a-z]*//' "$tmp/long.json")" ] &&
		[ "$(json_in "$tmp/$f.json" 'j["seed"]')" = 15 ]; then
		ok "options: the $f spelling is the long one"
	else
		fail "options: the $f spelling differs: $(cat "$tmp/$f.json") vs $(cat "$tmp/long.json")"
	fi
done
# opt_refused WHAT PATTERN ARGS...: exit 2, one line on stderr, naming the problem.
opt_refused() {
	local what=$1 pattern=$2
	shift 2
	expect_rc 2 "options: $what" -- "$LS" "$@" || return
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$pattern" "$tmp/err" ||
		fail "options: $what: $(cat "$tmp/err")"
}
opt_refused "an ambiguous prefix" "ambiguous option '--s'" run demo/abba:buggy --s 1
opt_refused "a flag given a value" "--json takes no value" run demo/abba:buggy --json=1
opt_refused "a missing value" "--seed needs a value" run demo/abba:buggy --seed
opt_refused "a missing short value" "-s needs a value" run demo/abba:buggy -s
opt_refused "an unknown short option" "unknown option '-z'" run demo/abba:buggy -z
opt_refused "an option after --" "unexpected argument '-q'" run -- demo/abba:buggy -q
expect_rc 0 "-h is --help" -- "$LS" fuzz -h
grep -q "^  -j, --jobs N" "$tmp/out" || fail "fuzz -h does not show -j, --jobs N"
expect_rc 0 "-V is --version" -- "$LS" replay -V
grep -q "^lockstep " "$tmp/out" || fail "replay -V: $(cat "$tmp/out")"
expect_rc 2 "pct depth out of range exits 2" -- "$LS" fuzz demo/abba:buggy --engine pct --pct-depth 0
expect_rc 2 "negative hang timeout exits 2" -- "$LS" replay "$good" --hang-timeout -1
expect_rc 2 "zero jobs exits 2" -- "$LS" fuzz demo/abba:buggy --jobs 0

# Bad traces: each rejected with exit 2 and a one-line message.
size=$(wc -c <"$good")
head -c $((size / 2)) "$good" >"$tmp/truncated.trace"
expect_bad_trace "truncated file" "$tmp/truncated.trace"

# Cut at every 7th byte and at every byte of the last 24 (checksum and end lines): all refused
# with exit 2 and one line.  (Only the final newline after "end" may go missing: that trace is
# complete.)
cut_bad=0
for ((n = 1; n < size - 1; n++)); do
	[ $((n % 7)) -ne 0 ] && [ "$n" -lt $((size - 24)) ] && continue
	head -c "$n" "$good" >"$tmp/cut.trace"
	"$LS" replay "$tmp/cut.trace" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		fail "trace cut after $n of $size bytes: exit $rc, $(wc -l <"$tmp/err") stderr lines"
		cut_bad=$((cut_bad + 1))
		[ "$cut_bad" -ge 5 ] && break
	fi
done
[ "$cut_bad" -eq 0 ] && echo "ok   trace cut at every byte is refused"

# Corrupt one line (the seed) and keep the checksum: the checksum must catch it.
sed 's/^seed \([0-9]*\)$/seed 9\1/' "$good" >"$tmp/corrupt.trace"
cmp -s "$good" "$tmp/corrupt.trace" && fail "corruption did not change the trace"
expect_bad_trace "corrupted byte (checksum mismatch)" "$tmp/corrupt.trace" checksum

sed '1s/.*/lockstep-trace 99/' "$good" >"$tmp/version.trace"
expect_bad_trace "unknown format version" "$tmp/version.trace" version

sed -e 's/^target .*/target demo\/nonesuch/' -e '/^checksum /d' "$good" >"$tmp/target.trace"
expect_bad_trace "unknown target" "$tmp/target.trace" nonesuch

: >"$tmp/empty.trace"
expect_bad_trace "empty file" "$tmp/empty.trace"

# 4096 pseudo-random bytes from a fixed seed, so the test is deterministic.
python3 -c '
import random, sys
r = random.Random(20240601)
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(4096)))
' >"$tmp/random.trace"
expect_bad_trace "random bytes" "$tmp/random.trace"

expect_bad_trace "nonexistent file" "$tmp/does-not-exist.trace"

# An edited decision: replay may diverge (1) or even succeed (0), but must not crash.
awk '
	/^checksum / { next }
	!done && /^@[0-9]+ / { sub(/^@[0-9]+/, "@1"); done = 1 }
	{ print }
' "$good" >"$tmp/edited.trace"
"$LS" replay "$tmp/edited.trace" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ge 128 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; }; then
	fail "edited trace: exit $rc, want 0 or 1"
	head -5 "$tmp/err" >&2
else
	echo "ok   edited trace replays without crashing (exit $rc)"
fi

# The BPF scenarios through the command line: a buggy design exits 1 with its finding in the JSON
# line, the fix exits 0, and a scenario trace (an NMI inside call_rcu()) replays byte for byte.
expect_rc 1 "fuzz kptr/dtor-nmi:inline finds the deadlock" -- \
	"$LS" fuzz kptr/dtor-nmi:inline --execs 2000 --out "$tmp/kptr" --quiet --json
case "$(tail -n 1 "$tmp/out")" in
\{*nocb_lock*\}) echo "ok   fuzz kptr --json last line names the nocb lock" ;;
*) fail "fuzz kptr --json: last line does not name the nocb lock: $(tail -n 1 "$tmp/out")" ;;
esac
expect_rc 0 "fuzz kptr/dtor-nmi:global-llist is clean" -- \
	"$LS" fuzz kptr/dtor-nmi:global-llist --execs 5000 --out "$tmp/kptr2" --quiet
kptr_trace=$(ls "$tmp"/kptr/deadlock-*.trace 2>/dev/null | head -1)
if [ -z "$kptr_trace" ]; then
	fail "fuzz kptr/dtor-nmi:inline wrote no deadlock trace"
else
	expect_rc 0 "the kptr deadlock trace replays" -- \
		"$LS" replay "$kptr_trace" --trace "$tmp/kptr-again.trace"
	cmp -s "$kptr_trace" "$tmp/kptr-again.trace" ||
		fail "re-recorded kptr trace differs from the original"
fi

# The findings the repository ships in tests/findings/ replay in this build (from the source tree,
# where their README's commands run).
if [ -n "$SRC" ] && [ -d "$SRC/tests/findings" ]; then
	shipped=0
	for t in "$SRC"/tests/findings/*.trace; do
		[ -e "$t" ] || continue
		shipped=$((shipped + 1))
		(cd "$SRC" && "$LS" replay "tests/findings/$(basename "$t")" >>"$tmp/shipped.out" 2>"$tmp/err") ||
			fail "shipped finding $(basename "$t") does not replay: $(head -1 "$tmp/err")"
	done
	[ "$shipped" -gt 0 ] || fail "no findings shipped in tests/findings/"
	echo "ok   the $shipped findings shipped in tests/findings/ replay"
	# Reports are the same from every build: a Code: line names what an instruction addresses
	# relative to the instruction pointer, never the displacement, which moves with the code
	# around it.
	grep -c '^ *Code: .*\[rip' "$tmp/shipped.out" >/dev/null ||
		fail "no Code: line of the shipped reports addresses memory by rip: the check checks nothing"
	if grep '^ *Code: ' "$tmp/shipped.out" | grep -Eq '\[rip [-+] 0x'; then
		fail "a Code: line holds a build-dependent displacement: $(grep -E '\[rip [-+] 0x' "$tmp/shipped.out" | head -1)"
	else
		echo "ok   Code: lines name rip-relative data instead of their displacement"
	fi
fi

# Commands run from a copy of the source tree, with their default outputs, leave nothing git would
# show: findings go to crashes/ and minimized traces beside their input, both ignored.
if [ -n "$SRC" ] && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	tree=$tmp/tree
	mkdir "$tree"
	(cd "$SRC" && git ls-files -z | xargs -0 cp --parents -t "$tree" 2>/dev/null) ||
		fail "copying the source tree"
	(cd "$tree" && git init -q && git add -A && git -c user.name=t -c user.email=t@t \
		commit -qm tree) || fail "committing the copy of the tree"
	(cd "$tree" &&
		"$LS" fuzz demo/abba:buggy --execs 2000 --jobs 2 --quiet >/dev/null 2>&1
		"$LS" run demo/nmi-aa:buggy --seed 15 --quiet >/dev/null 2>&1
		"$LS" explore demo/abba:buggy --preemptions 1 --quiet >/dev/null 2>&1
		"$LS" replay crashes/deadlock-a077c0cb3e56.trace >/dev/null 2>&1
		"$LS" minimize crashes/deadlock-a077c0cb3e56.trace >/dev/null 2>&1
		"$LS" minimize tests/findings/deadlock-5863c16e5e67.trace >/dev/null 2>&1
		"$LS" check demo/abba --budget 500 >/dev/null 2>&1
		true)
	[ -e "$tree/crashes/deadlock-a077c0cb3e56.trace" ] ||
		fail "the campaign in the copy of the tree wrote no crashes/deadlock-a077c0cb3e56.trace"
	dirty=$(cd "$tree" && git status --porcelain --untracked-files=all)
	if [ -z "$dirty" ]; then
		ok "fuzz, run, explore, replay, minimize and check from the source tree leave it clean"
	else
		fail "commands left the source tree dirty: $(echo "$dirty" | head -5 | tr '\n' ' ')"
	fi
fi

# A minimized deadlock's report leads with the bug: its event window holds every step of the
# contexts in the cycle (here the task and the NMI that interrupted it, from the task's start),
# and no event is cut short, whatever the width of its column.
if [ -n "$SRC" ]; then
	expect_rc 0 "minimize the shipped kptr deadlock" -- \
		"$LS" minimize "$SRC/tests/findings/deadlock-877941c8138a.trace" -o "$tmp/kptr.min.trace"
	sed -n '/^last [0-9]* events/,/DEADLOCK/p' "$tmp/out" >"$tmp/window"
	for want in "^last [0-9]* events of prog0 and nmi_handler@cpu0, the contexts in the cycle" \
		" prog0 starts$" " prog0: raw_spin_lock(&rcu_data\\[cpu\\].nocb_lock)$" \
		" >> nmi_handler@cpu0 enters$" " \\[NMI\\]: wait raw_spin_lock(&rcu_data\\[cpu\\].nocb_lock)$"; do
		grep -q -- "$want" "$tmp/window" ||
			fail "the minimized deadlock's event window lacks '$want': $(head -3 "$tmp/window")"
	done
	grep -q "prog1" "$tmp/window" && fail "the event window shows prog1, which is not in the cycle"
	ok "a minimized deadlock's report shows every step of the cycle's contexts, uncut"
fi

finish cli
