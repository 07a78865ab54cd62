#!/usr/bin/env bash
# Suite `oot`: builds docs/example/mytarget.c as a user would, against the headers and lockstep.pc
# that `meson install` puts under a temporary DESTDIR, and runs it with list, fuzz (every engine
# whose harness is built), run and replay;
# then the ways loading a shared object fails, each exit 2 with one line on stderr.
# Usage: test_oot.sh LOCKSTEP BUILD_DIR SOURCE_DIR LIBLOCKSTEP_A
#
# The .so is built without sanitizers in every build: in the ASan build this checks that a plain
# object loads into the instrumented executable (it calls into instrumented code; nothing else).
set -u

LS=${1:?usage: test_oot.sh LOCKSTEP BUILD_DIR SOURCE_DIR LIBLOCKSTEP_A}
BUILD=${2:?}
SRC=${3:?}
LIB=${4:?}
CC=${CC:-cc}
LS=$(realpath "$LS") LIB=$(realpath "$LIB") BUILD=$(realpath "$BUILD") SRC=$(realpath "$SRC")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}

for tool in meson pkg-config "$CC"; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# expect_refused DESCRIPTION PATTERN -- CMD...: exit 2, one line on stderr mentioning PATTERN.
expect_refused() {
	local what=$1 pattern=$2
	shift 2
	expect_rc 2 "$what" "$@" || return
	local lines
	lines=$(wc -l <"$tmp/err")
	[ "$lines" -eq 1 ] || fail "$what: $lines lines on stderr, want 1: $(head -3 "$tmp/err")"
	grep -qi -- "$pattern" "$tmp/err" ||
		fail "$what: message does not mention '$pattern': $(cat "$tmp/err")"
}

# ---- install the headers and lockstep.pc, as `meson install --destdir` would for a package ----
root=$tmp/root
if ! meson install -C "$BUILD" --no-rebuild --tags devel --destdir "$root" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	fail "meson install --destdir failed"
	exit 1
fi
pc=$(find "$root" -name lockstep.pc | head -1)
[ -n "$pc" ] || { fail "meson install wrote no lockstep.pc"; exit 1; }
for h in "$SRC"/include/lockstep/*.h; do
	[ -n "$(find "$root" -path "*/include/lockstep/$(basename "$h")")" ] ||
		fail "header $(basename "$h") is not installed"
done
# PKG_CONFIG_SYSROOT_DIR maps the installed prefix into DESTDIR; LIBDIR keeps system .pc files out.
export PKG_CONFIG_LIBDIR=${pc%/*} PKG_CONFIG_PATH='' PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs lockstep) || { fail "pkg-config --cflags --libs lockstep"; exit 1; }
case "$flags" in
*"-I$root/"*) echo "ok   pkg-config points into the installed tree: $flags" ;;
*) fail "pkg-config --cflags does not point into $root: $flags" ;;
esac
[ -z "$(pkg-config --libs lockstep | tr -d ' ')" ] || fail "pkg-config --libs is not empty"

# ---- the public headers compile alone --------------------------------------------------------
cat >"$tmp/alone.c" <<'EOF'
#include <lockstep/kernel.h>
#include <lockstep/target.h>

int main(void)
{
	return LS_TARGET_ABI > 0 ? 0 : 1;
}
EOF
# shellcheck disable=SC2086 # $flags is a list of flags
if "$CC" -Wall -Wextra -Werror -std=gnu11 $flags -c "$tmp/alone.c" -o "$tmp/alone.o" 2>"$tmp/err"; then
	echo "ok   <lockstep/kernel.h> and <lockstep/target.h> compile alone"
else
	fail "the installed public headers do not compile alone: $(head -5 "$tmp/err")"
fi
# And each one by itself, so none leans on another being included first.
alone_bad=0
for h in "$SRC"/include/lockstep/*.h; do
	printf '#include <lockstep/%s>\n' "$(basename "$h")" >"$tmp/one.c"
	# shellcheck disable=SC2086 # $flags is a list of flags
	if ! "$CC" -Wall -Wextra -Werror -std=gnu11 $flags -c "$tmp/one.c" -o "$tmp/one.o" \
		2>"$tmp/err"; then
		fail "<lockstep/$(basename "$h")> does not compile alone: $(head -3 "$tmp/err")"
		alone_bad=1
	fi
done
[ "$alone_bad" -eq 0 ] && echo "ok   every public header compiles alone"

# ---- build the example as docs/out-of-tree.md does ------------------------------------------
work=$tmp/work
mkdir -p "$work"
cp "$SRC/docs/example/mytarget.c" "$work/"
cd "$work" || exit 1
# shellcheck disable=SC2086
if ! "$CC" -shared -fPIC $flags -Wall -Wextra -Werror -std=gnu11 -o mytarget.so mytarget.c \
	2>"$tmp/err"; then
	fail "building mytarget.so: $(head -5 "$tmp/err")"
	exit 1
fi
echo "ok   mytarget.so builds against the installed headers"

# Every function of the library must be exported by the executable, or an object using one it
# happens not to link fails to load with "undefined symbol".
if command -v nm >/dev/null; then
	nm -g --defined-only "$LIB" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDRB]$/ { print $3 }' |
		sort -u >"$tmp/lib.syms"
	nm -D --defined-only "$LS" | awk '{ print $3 }' | sed 's/@.*//' | sort -u >"$tmp/exe.syms"
	missing=$(comm -23 "$tmp/lib.syms" "$tmp/exe.syms" | head -10 | tr '\n' ' ')
	if [ ! -s "$tmp/lib.syms" ] || [ ! -s "$tmp/exe.syms" ]; then
		fail "nm found no symbols in $LIB or $LS"
	elif [ -n "$missing" ]; then
		fail "the executable does not export (not linked, or not exported): $missing"
	else
		echo "ok   the executable exports every global symbol of $(basename "$LIB")"
	fi
fi

expect_rc 0 "list ./mytarget.so" -- "$LS" list ./mytarget.so
grep -q "^\./mytarget\.so: " "$tmp/out" || fail "list: no './mytarget.so:' line: $(head -1 "$tmp/out")"
grep -Eq "^  buggy +expect deadlock " "$tmp/out" || fail "list: no 'buggy expect deadlock' line"
grep -Eq "^  fixed +expect never " "$tmp/out" || fail "list: no 'fixed expect never' line"
grep -q "demo/abba" "$tmp/out" && fail "list ./mytarget.so also lists the in-tree targets"

# A Code: line in the object's own code names what it calls through its PLT ("call
# ls_mem_point", the accessors' point), not the stub ("call _init+0x30"): these seeds stop
# contexts at the object's READ_ONCE()s.
expect_rc 1 "fuzz ./mytarget.so:buggy for Code: lines in the object" -- \
	"$LS" fuzz ./mytarget.so:buggy --seed 99 --execs 30000 --out plt --quiet
if ! grep -hq '^ *Code: append+0x[0-9a-f]*:.*call ls_mem_point' plt/*.txt 2>/dev/null; then
	fail "no Code: line in the object's append() names ls_mem_point: $(grep -h '^ *Code: append' plt/*.txt | head -1)"
elif grep -hq '^ *Code: .*call _init' plt/*.txt; then
	fail "a Code: line names a PLT stub: $(grep -h '^ *Code: .*call _init' plt/*.txt | head -1)"
else
	ok "Code: lines name the functions the object calls through its PLT"
fi

# Fixed seed and budget: buggy deadlocks well within it (the first finding is at a low seed).
expect_rc 1 "fuzz ./mytarget.so:buggy finds the deadlock" -- \
	"$LS" fuzz ./mytarget.so:buggy --seed 0 --execs 3000 --out crashes --quiet --json
trace=$(find crashes -name 'deadlock-*.trace' 2>/dev/null | sort | head -1)
if [ -z "$trace" ]; then
	fail "fuzz wrote no crashes/deadlock-*.trace"
else
	grep -qx "target ./mytarget.so" "$trace" || fail "trace target line: $(grep '^target' "$trace")"
	grep -q 'waits in spin_lock on &bufs\[b\]\.lock' "$trace" ||
		fail "unexpected signature: $(grep '^signature' "$trace")"
	grep -Eq "^target-hash [0-9a-f]{16}$" "$trace" || fail "the trace has no target-hash line"
	expect_rc 0 "replay --target of the fuzz trace reproduces it" -- \
		"$LS" replay --target ./mytarget.so "$trace" --trace again.trace
	grep -q "^replay: reproduced deadlock" "$tmp/out" || fail "replay: $(tail -1 "$tmp/out")"
	cmp -s "$trace" again.trace || fail "the re-recorded trace differs from the original"
	seed=$(sed -n 's/^seed //p' "$trace")
	expect_rc 1 "run ./mytarget.so:buggy --seed $seed (the finding's seed)" -- \
		"$LS" run ./mytarget.so:buggy --seed "$seed" --out run-crashes
	cmp -s "$trace" "run-crashes/$(basename "$trace")" ||
		fail "run --seed $seed wrote a different trace than fuzz"
	# Traces are inert: the object is loaded only when named on the command line, and only if
	# its bytes are the ones the trace was recorded with.
	expect_refused "replay of an object's trace without --target" "never loads code" -- \
		"$LS" replay "$trace"
	expect_refused "minimize of an object's trace without --target" "never loads code" -- \
		"$LS" minimize "$trace" -o never.trace
	cp mytarget.so changed.so && printf x >>changed.so
	expect_refused "replay --target of another build of the object" "not the object" -- \
		"$LS" replay --target ./changed.so "$trace"
	expect_refused "replay --target of another variant" "variant" -- \
		"$LS" replay --target ./mytarget.so:fixed "$trace"
	cd "$tmp" || exit 1
	expect_rc 0 "replay from another directory, the object named by its path" -- \
		"$LS" replay --target "$work/mytarget.so" "$work/$trace" --quiet
	cd "$work" || exit 1
fi

# A trace whose target line names an object whose constructor leaves a mark and crashes: replay
# refuses it without running anything; loading it on purpose is refused, not a crash.
cat >crashy.c <<'CEOF'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void crashy(void)
{
	close(open("constructor-ran", O_CREAT | O_WRONLY, 0600));
	*(volatile int *)0 = 1;
}
CEOF
# shellcheck disable=SC2086
"$CC" -shared -fPIC $flags -o crashy.so crashy.c || fail "building crashy.so"
if [ -n "$trace" ]; then
	sed -e 's|^target .*|target ./crashy.so|' -e '/^checksum /d' "$trace" >crashy.trace
	expect_refused "replay of a trace naming a crashing object" "never loads code" -- \
		"$LS" replay crashy.trace
	expect_refused "minimize of a trace naming a crashing object" "never loads code" -- \
		"$LS" minimize crashy.trace -o never.trace
	[ -e constructor-ran ] && fail "a trace's target line ran the object's constructor"
	expect_refused "replay --target of the crashing object" "not the object" -- \
		"$LS" replay --target ./crashy.so crashy.trace
	[ -e constructor-ran ] && fail "a mismatched object's constructor ran"
fi
expect_refused "list of an object whose constructor crashes" "constructor" -- \
	"$LS" list ./crashy.so
rm -f constructor-ran

expect_rc 0 "fuzz ./mytarget.so:fixed finds nothing" -- \
	"$LS" fuzz ./mytarget.so:fixed --seed 0 --execs 10000 --out crashes-fixed --quiet
# The flush softirq takes two locks of one class: without SINGLE_DEPTH_NESTING it is lockdep's
# recursive locking, found in the softirq context.
expect_rc 1 "fuzz ./mytarget.so:unnested reports the missing nesting annotation" -- \
	"$LS" fuzz ./mytarget.so:unnested --seed 0 --execs 3000 --out crashes-unnested --quiet
grep -qh '^signature AA: &bufs\[b\]\.lock; softirq@cpu[01]$' crashes-unnested/*.trace ||
	fail "unnested: no AA signature in softirq context: $(grep -h '^signature' crashes-unnested/*.trace)"

# ---- lockstep check: the object's variants against what they declare -------------------------
expect_rc 0 "check ./mytarget.so: every variant as declared" -- \
	"$LS" check ./mytarget.so --budget 3000
[ "$(grep -c '^ok ' "$tmp/out")" -eq 3 ] || fail "check ./mytarget.so: $(cat "$tmp/out")"
# Mis-declared: 'fixed' claims a deadlock it never shows.  Exit 1, the variant named.
sed 's/\.expect = LS_KIND_NONE }/.expect = LS_KIND_DEADLOCK }/' mytarget.c >misdeclared.c
grep -q "LS_KIND_NONE" misdeclared.c && fail "could not make the mis-declared variant of mytarget.c"
# shellcheck disable=SC2086
"$CC" -shared -fPIC $flags -o misdeclared.so misdeclared.c || fail "building misdeclared.so"
expect_rc 1 "check ./misdeclared.so fails on the mis-declared variant" -- \
	"$LS" check ./misdeclared.so --budget 3000
grep -q '^FAIL  \./misdeclared\.so:fixed .*expected deadlock: NOT found in 3,000 executions' \
	"$tmp/out" || fail "check ./misdeclared.so: no FAIL line for :fixed: $(cat "$tmp/out")"
grep -q '^check: not as declared: \./misdeclared\.so:fixed;' "$tmp/out" ||
	fail "check ./misdeclared.so: the variant is not named: $(tail -n 1 "$tmp/out")"
rm -rf "$(sed -n 's/^check: not as declared: .*; findings kept in //p' "$tmp/out")"
cp mytarget.c junk.so
expect_refused "check of an object that cannot be loaded" "cannot load" -- "$LS" check ./junk.so

# ---- the same object under the fuzz harnesses ------------------------------------------------
# Regression: the harnesses did not export the model library, so dlopen() of the object failed
# inside them, libFuzzer's fork mode took that for crashing children, and `fuzz --engine
# libfuzzer` ended in 0.03 s "clean" with exit 0.  Now each finds the bug; a harness that
# cannot load an object is refused before the fuzzer starts.
for engine in libfuzzer afl; do
	if [ ! -x "$BUILD/fuzz/lockstep-$engine" ]; then
		echo "skip --engine $engine: not built"
		continue
	fi
	"$LS" fuzz ./mytarget.so:buggy --engine "$engine" --no-lockdep --jobs 1 --time 10 --stop-on-bug \
		--out "crashes-$engine" --json --quiet >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$engine" = afl ] && [ "$rc" -eq 3 ] && grep -q "did not run" "$tmp/err"; then
		echo "skip --engine afl: afl-fuzz cannot run here: $(tail -1 "$tmp/err")"
		continue
	fi
	if [ "$rc" -ne 1 ]; then
		fail "fuzz ./mytarget.so:buggy --engine $engine: exit $rc, want 1: $(tail -2 "$tmp/err")"
		continue
	fi
	[ "$(json 'any(f["kind"] == "deadlock" and f["bug"] for f in j["findings"])' 2>/dev/null)" = True ] &&
		echo "ok   fuzz ./mytarget.so:buggy --engine $engine finds the deadlock" ||
		fail "fuzz --engine $engine: no deadlock in the JSON summary: $(tail -1 "$tmp/out")"
	# An object that needs a symbol only the lockstep executable has (a CLI function): lockstep
	# loads it, its harness cannot, and the campaign is refused in one line, not run "clean".
	sed 's/^LS_TARGET_EXPORT(mytarget);$/int ls_cmd_list(int, char **);\nint (*cli_only)(int, char **) = ls_cmd_list;\n&/' \
		mytarget.c >clionly.c
	# shellcheck disable=SC2086
	"$CC" -shared -fPIC $flags -o clionly.so clionly.c || fail "building clionly.so"
	expect_refused "--engine $engine on an object its harness cannot load" "undefined symbol" -- \
		"$LS" fuzz ./clionly.so:buggy --engine "$engine" --time 5 --out crashes-clionly
done

# ---- refusals: one line, exit 2 ----------------------------------------------------------
expect_refused "missing .so" "no such file" -- "$LS" fuzz ./nonesuch.so:buggy --execs 1
cp mytarget.c notalib.so
expect_refused "a file that is not a shared object" "cannot load" -- \
	"$LS" fuzz ./notalib.so --execs 1
expect_refused "unknown variant" "no variant 'nope'" -- "$LS" fuzz ./mytarget.so:nope --execs 1
expect_refused "list of a missing .so" "no such file" -- "$LS" list ./nonesuch.so

# A variant whose outcome is not settled (expect = LS_KIND_COUNT, as target.h documents) is
# listed as such and runs; a campaign on it reports what it finds and is no usage error.
sed 's/\.expect = LS_KIND_LOCKDEP }/.expect = LS_KIND_COUNT }/' mytarget.c >unsettled.c
grep -q "LS_KIND_COUNT" unsettled.c || fail "could not make the unsettled variant of mytarget.c"
# shellcheck disable=SC2086
"$CC" -shared -fPIC $flags -o unsettled.so unsettled.c || fail "building unsettled.so"
expect_rc 0 "list ./unsettled.so shows the unsettled variant" -- "$LS" list ./unsettled.so
grep -Eq "^  unnested +expect unsettled " "$tmp/out" || fail "list: no 'unnested expect unsettled' line"
expect_rc 1 "fuzz ./unsettled.so:unnested runs and reports the finding" -- \
	"$LS" fuzz ./unsettled.so:unnested --seed 0 --execs 3000 --out crashes-unsettled --quiet

# An object built against a header with another ABI number, and one that exports nothing.
sed 's/^LS_TARGET_EXPORT(mytarget);$/#undef LS_TARGET_ABI\n#define LS_TARGET_ABI 0\n&/' mytarget.c >old.c
grep -q "define LS_TARGET_ABI 0" old.c || fail "could not make the old-ABI variant of mytarget.c"
sed 's/^LS_TARGET_EXPORT(mytarget);$/const struct ls_target *unused(void);\nconst struct ls_target *unused(void) { return \&mytarget; }/' \
	mytarget.c >noexport.c
for obj in old noexport; do
	# shellcheck disable=SC2086
	"$CC" -shared -fPIC $flags -o $obj.so $obj.c || fail "building $obj.so"
done
expect_refused "an object built for another ABI" "ABI 0" -- "$LS" run ./old.so:buggy
expect_refused "an object without LS_TARGET_EXPORT" "LS_TARGET_EXPORT" -- "$LS" run ./noexport.so

# ---- an installed lockstep, from its installed files only --------------------------------------
# `meson install` into a staging prefix: lockstep in bin/, its internal executables in
# libexec/lockstep/, the documentation in share/doc/lockstep/.  The object is built against the
# staged headers and run in a directory of its own with the staged lockstep, whose build-tree
# neighbours do not exist there: every engine must run from the install, or refuse in one line.
full=$tmp/full
if ! meson install -C "$BUILD" --no-rebuild --destdir "$full" >"$tmp/install-full.log" 2>&1; then
	cat "$tmp/install-full.log" >&2
	fail "meson install --destdir (everything) failed"
else
	ils=$(find "$full" -path '*/bin/lockstep' -type f | head -1)
	libexec=$(find "$full" -type d -path '*/libexec/lockstep' | head -1)
	[ -n "$ils" ] && [ -x "$ils" ] || fail "no bin/lockstep in the staged install"
	[ -n "$libexec" ] && [ -x "$libexec/lockstep-stress" ] ||
		fail "lockstep-stress is not installed in libexec/lockstep"
	[ -z "$(find "$full" -path '*/bin/lockstep-*')" ] ||
		fail "internal executables installed in bin/: $(find "$full" -path '*/bin/lockstep-*')"
	[ -n "$(find "$full" -path '*/share/doc/lockstep/README.md')" ] ||
		fail "README.md is not installed in share/doc/lockstep"
	[ -n "$(find "$full" -path '*/share/doc/lockstep/docs/out-of-tree.md')" ] ||
		fail "docs/ is not installed in share/doc/lockstep"
	# The man pages, where man finds them (when scdoc built them).
	if [ -f "$BUILD/docs/man/lockstep.1" ]; then
		mandir=$(find "$full" -type d -path '*/share/man/man1' | head -1)
		for page in lockstep lockstep-list lockstep-run lockstep-fuzz lockstep-explore \
			lockstep-replay lockstep-minimize lockstep-check lockstep-stress lockstep-bench; do
			[ -n "$mandir" ] && [ -s "$mandir/$page.1" ] || fail "man page $page(1) is not installed"
		done
		if command -v man >/dev/null && [ -n "$mandir" ]; then
			MANPATH=${mandir%/man1} MANWIDTH=80 man lockstep-fuzz 2>/dev/null >"$tmp/man.txt"
			grep -q -- '--engine' "$tmp/man.txt" &&
				ok "installed: man lockstep-fuzz shows the options" ||
				fail "installed: man lockstep-fuzz: $(head -3 "$tmp/man.txt")"
		fi
	else
		echo "skip man pages: not built (scdoc missing)"
	fi
	staged=$tmp/staged
	mkdir -p "$staged"
	cp "$SRC/docs/example/mytarget.c" "$staged/"
	cd "$staged" || exit 1
	# shellcheck disable=SC2086
	"$CC" -shared -fPIC $flags -o mytarget.so mytarget.c || fail "staged: building mytarget.so"
	expect_rc 0 "installed: --version" -- "$ils" --version
	expect_rc 1 "installed: fuzz (random) finds the deadlock" -- \
		"$ils" fuzz ./mytarget.so:buggy --execs 3000 --out c-random --quiet
	expect_rc 1 "installed: fuzz --engine pct finds the deadlock" -- \
		"$ils" fuzz ./mytarget.so:buggy --engine pct --execs 3000 --out c-pct --quiet
	expect_rc 1 "installed: explore finds the deadlock" -- \
		"$ils" explore ./mytarget.so:buggy --no-lockdep --out c-explore --quiet
	itrace=$(find c-random -name 'deadlock-*.trace' | sort | head -1)
	if [ -n "$itrace" ]; then
		expect_rc 0 "installed: replay" -- \
			"$ils" replay --target ./mytarget.so "$itrace" --quiet
		expect_rc 0 "installed: the timeline" -- \
			"$ils" replay --target ./mytarget.so "$itrace" --html t.html --quiet
		[ -s t.html ] || fail "installed: replay --html wrote no page"
		expect_rc 0 "installed: minimize" -- \
			"$ils" minimize --target ./mytarget.so "$itrace" -o min.trace --quiet
		expect_rc 0 "installed: the minimized trace replays" -- \
			"$ils" replay --target ./mytarget.so min.trace --quiet
	else
		fail "installed: fuzz wrote no deadlock trace"
	fi
	expect_rc 0 "installed: check" -- "$ils" check ./mytarget.so --budget 3000
	for engine in libfuzzer afl; do
		if [ ! -x "$libexec/lockstep-$engine" ]; then
			echo "skip installed --engine $engine: not built"
			continue
		fi
		"$ils" fuzz ./mytarget.so:buggy --engine "$engine" --no-lockdep --jobs 1 --time 10 \
			--stop-on-bug --out "c-$engine" --json --quiet >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$engine" = afl ] && [ "$rc" -eq 3 ] && grep -q "did not run" "$tmp/err"; then
			echo "skip installed --engine afl: afl-fuzz cannot run here: $(tail -1 "$tmp/err")"
			continue
		fi
		[ "$rc" -eq 1 ] && ok "installed: fuzz --engine $engine finds the deadlock" ||
			fail "installed: fuzz --engine $engine: exit $rc: $(tail -2 "$tmp/err")"
	done
	expect_rc 1 "installed: stress runs an in-tree target from libexec" -- \
		"$ils" stress demo/abba:buggy --time 5 --quiet
	expect_refused "installed: stress refuses an object, in one line" "in-tree" -- \
		"$ils" stress ./mytarget.so:buggy --time 1
	cd "$work" || exit 1
fi

if [ "$fails" -ne 0 ]; then
	trap - EXIT
	echo "oot: $fails failure(s); the object, its traces and the install are kept in $tmp" >&2
	exit 1
fi
exit 0
