#!/usr/bin/env bash
# Suite `ksrc`: the kernel's own qspinlock.c and llist.c, compiled from a kernel tree against the
# shims, run where lockstep's hand models ran, and must agree with them.
#   - the issue's command: fuzz demo/abba:buggy --kernel-tree finds the ABBA, on the kernel's
#     queued_spin_lock_slowpath(); every engine finds it;
#   - the trace names the tree and the hash of what was compiled: replay needs the tree, and
#     refuses it once a compiled file changed, or for a trace of the hand models;
#   - ksrc build names the first construct the shims lack, with the kernel file and line;
#   - the differential check: every variant of the targets that take spinlocks or use llist
#     (irq_work runs on llist) gives the same verdict and the same kinds of bug on both backends.
# Usage: test_ksrc.sh LOCKSTEP SOURCE_DIR
set -u

LS=$(realpath "${1:?usage: test_ksrc.sh LOCKSTEP SOURCE_DIR}")
SRC=$(realpath "${2:?usage: test_ksrc.sh LOCKSTEP SOURCE_DIR}")
TREE=${LOCKSTEP_LINUX_TREE:-/usr/src/linux-source-6.12}
if [ ! -f "$TREE/kernel/locking/qspinlock.c" ] || [ ! -f "$TREE/lib/llist.c" ]; then
	echo "skip: no kernel tree at $TREE (./setup.sh test extracts one)"
	exit 77
fi
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

status_before=$(git -C "$SRC" status --porcelain 2>/dev/null)
cd "$tmp" || exit 1
export LOCKSTEP_CACHE_DIR="$tmp/cache"	# a fresh build, and nothing left behind

# ---- the issue's command -----------------------------------------------------------------------
if expect_rc 1 "fuzz demo/abba:buggy --kernel-tree finds the deadlock" -- \
	"$LS" fuzz demo/abba:buggy --kernel-tree "$TREE" --execs 20000 --seed 0 --out abba --json; then
	json "j['findings'][0]['kind']" | grep -qx deadlock || fail "abba: the first finding is no deadlock"
	trace=$(ls abba/deadlock-*.trace | head -1)
	grep -q "queued_spin_lock_slowpath\|smp_cond_load_acquire" abba/*.txt ||
		fail "abba: the report does not show the kernel's slow path"
	grep -qx "kernel-tree $(realpath "$TREE")" "$trace" || fail "abba: the trace names no kernel-tree"
	grep -qE "^kernel-source [0-9a-f]{16}$" "$trace" || fail "abba: the trace has no kernel-source"
	expect_rc 0 "the trace replays against the tree" -- \
		"$LS" replay "$trace" --kernel-tree "$TREE" --quiet
	if expect_rc 2 "replay without --kernel-tree is refused" -- "$LS" replay "$trace"; then
		[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "refusal: not one line: $(cat "$tmp/err")"
		grep -q -- "--kernel-tree" "$tmp/err" || fail "refusal does not say --kernel-tree"
	fi
	# A copy of the tree with one compiled file changed: another kernel-source.
	mkdir -p changed/kernel changed/include changed/lib
	cp -r "$TREE/kernel/locking" changed/kernel/ && cp -r "$TREE/include/asm-generic" \
		"$TREE/include/linux" changed/include/ && cp "$TREE/lib/llist.c" changed/lib/
	cp "$TREE"/kernel/irq_work.c changed/kernel/ 2>/dev/null
	echo "/* a patch */" >>changed/kernel/locking/qspinlock.c
	if expect_rc 2 "replay against a changed tree is refused" -- \
		"$LS" replay "$trace" --kernel-tree changed; then
		grep -q "other kernel sources" "$tmp/err" || fail "changed tree: $(cat "$tmp/err")"
	fi
	expect_rc 0 "minimize keeps the kernel tree's deadlock" -- \
		"$LS" minimize "$trace" --kernel-tree "$TREE" --output min.trace --quiet &&
		grep -q "^kernel-source " min.trace || fail "the minimized trace lost its kernel-source"
fi
expect_rc 1 "fuzz demo/abba:buggy on the hand models" -- \
	"$LS" fuzz demo/abba:buggy --execs 2000 --out hand --quiet
hand=$(ls hand/deadlock-*.trace 2>/dev/null | head -1)
[ -n "$hand" ] && expect_rc 2 "a trace of the hand models refuses --kernel-tree" -- \
	"$LS" replay "$hand" --kernel-tree "$TREE"

for engine in pct; do
	expect_rc 1 "fuzz --engine $engine --kernel-tree finds demo/abba's deadlock" -- \
		"$LS" fuzz demo/abba:buggy --engine "$engine" --kernel-tree "$TREE" --execs 20000 \
		--out "abba-$engine" --quiet
done
expect_rc 1 "explore --kernel-tree finds demo/abba's deadlock" -- \
	"$LS" explore demo/abba:buggy --kernel-tree "$TREE" --out abba-explore --quiet
# Each of its deadlocks comes with its cycle: the holder from the fast path's compare-and-
# exchange, the pending waiter from the bit-test-and-set, the MCS queue order from xchg_tail().
if expect_rc 1 "run --kernel-tree demo/nmi-aa:buggy finds the AA through the NMI" -- \
	"$LS" fuzz demo/nmi-aa:buggy --kernel-tree "$TREE" --execs 20000 --out nmi-aa --quiet; then
	nocycle=$(grep -l "no live context holds" nmi-aa/*.txt 2>/dev/null)
	[ -z "$nocycle" ] || fail "demo/nmi-aa deadlocks without their cycle: $nocycle"
fi
expect_rc 0 "fuzz --kernel-tree demo/abba:ordered is clean" -- \
	"$LS" fuzz demo/abba:ordered --kernel-tree "$TREE" --execs 20000 --out ordered --quiet
# The fuzzers' own binaries, where this build has them.
for engine in libfuzzer afl; do
	bin="$(dirname "$LS")/fuzz/lockstep-$engine"
	[ -x "$bin" ] || continue
	if expect_rc 1 "fuzz --engine $engine --kernel-tree finds a bug of demo/abba" -- \
		"$LS" fuzz demo/abba:buggy --engine "$engine" --kernel-tree "$TREE" --time 10 \
		--out "abba-$engine" --quiet; then
		t=$(ls "abba-$engine"/*.trace | head -1)
		grep -q "^kernel-source " "$t" || fail "$engine: the trace has no kernel-source"
	fi
done

# ---- ksrc build --------------------------------------------------------------------------------
if expect_rc 0 "ksrc build lists the files compiled" -- "$LS" ksrc build --tree "$TREE" --json; then
	grep -qx "  kernel/locking/qspinlock.c" "$tmp/out" || fail "ksrc: qspinlock.c not listed"
	grep -qx "  lib/llist.c" "$tmp/out" || fail "ksrc: llist.c not listed"
	json "j['fresh']" | grep -qx False || fail "ksrc: the second build was not found in the cache"
fi
sed -i 's|#include <linux/prefetch.h>|#include <linux/prefetch.h>\n#include <linux/slab.h>|' \
	changed/kernel/locking/qspinlock.c
line=$(grep -n "linux/slab.h" changed/kernel/locking/qspinlock.c | cut -d: -f1)
if expect_rc 2 "ksrc build names a header the shims lack" -- "$LS" ksrc build --tree changed; then
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing header: not one line: $(cat "$tmp/err")"
	grep -q "kernel/locking/qspinlock.c:$line: the shims lack <linux/slab.h>" "$tmp/err" ||
		fail "missing header: $(cat "$tmp/err")"
fi
sed -i 's|#include <linux/slab.h>||; s|prefetchw(next);|prefetchw(next); kfree(next);|' \
	changed/kernel/locking/qspinlock.c
expect_rc 2 "ksrc build names a function the shims lack" -- "$LS" ksrc build --tree changed &&
	{ grep -q "kernel/locking/qspinlock.c:[0-9]*: the shims lack kfree()" "$tmp/err" ||
		fail "missing function: $(cat "$tmp/err")"; }
expect_rc 2 "fuzz --kernel-tree on a tree the shims cannot compile is refused" -- \
	"$LS" fuzz demo/abba:buggy --kernel-tree changed --execs 10 --out refused
expect_rc 2 "ksrc build refuses a directory that is no kernel tree" -- "$LS" ksrc build --tree .
expect_rc 2 "ksrc build refuses a file it has no backend for" -- \
	"$LS" ksrc build --tree "$TREE" kernel/fork.c

# ---- the differential check --------------------------------------------------------------------
# Every target whose variants take a spinlock or run irq_work (llist): verdicts and bug kinds on
# the hand models and on the tree, same seed.
if expect_rc 0 "check --differential: hand models and the kernel's source agree" -- \
	"$LS" check --kernel-tree "$TREE" --differential --quiet --json \
	'demo/*' 'kptr/*' 'maps/*' 'bpf/*' 'buildid/*' 'contention/*'; then
	json "j['not_met']" | grep -qx 0 || fail "differential: $(json "j['not_met']") variants differ"
fi

# ---- bench --kernel-tree -----------------------------------------------------------------------
# The fuzz engines measure the tree's code, named with its hash; stress, which runs the hand
# models, is left out rather than set beside it.
if expect_rc 0 "bench --kernel-tree measures the fuzz engines on the tree" -- \
	"$LS" bench demo/abba:buggy --kernel-tree "$TREE" --engines stress,random --seeds 1 \
	--cap 5 --rate 0 --quiet; then
	grep -q "ran the kernel's own files from .*(kernel-source [0-9a-f]\{16\})" "$tmp/out" ||
		fail "bench --kernel-tree: no line naming the tree: $(head -3 "$tmp/out")"
	grep -q "^| demo/abba:buggy | deadlock | hand models only | .* 1 of 1 |" "$tmp/out" ||
		fail "bench --kernel-tree: the row is not as expected: $(grep '^| demo' "$tmp/out")"
fi
expect_rc 2 "bench refuses a --kernel-tree the shims cannot compile" -- \
	"$LS" bench demo/abba:buggy --kernel-tree changed --engines random --seeds 1 --quiet

# ---- the source tree ---------------------------------------------------------------------------
[ "$(git -C "$SRC" status --porcelain 2>/dev/null)" = "$status_before" ] ||
	fail "the suite changed the source tree's git status"
ok "git status of the source tree unchanged"
finish ksrc
