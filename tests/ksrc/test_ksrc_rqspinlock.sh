#!/usr/bin/env bash
# Suite `ksrc`, rqspinlock: the kernel's own kernel/bpf/rqspinlock.c (v6.15 on), which Debian's
# 6.12 source does not have.  Runs when LOCKSTEP_KERNEL_TREE names a tree that has it; skipped
# (exit 77) otherwise.  What holds on every version since v6.15:
#   - the tree builds with an rqspinlock backend;
#   - two CPUs taking two rqspinlocks in opposite orders (rqspinlock/abba) get -EDEADLK from the
#     kernel's ABBA check (an `averted` finding) and never hang;
#   - rqspinlock under contention without NMIs (contention/locks:rqspinlock) is clean;
#   - the finding's trace replays against the tree;
#   - check --differential finds the hand model of the tree's version (LOCKSTEP_KERNEL_TREE_VARIANT)
#     and the tree's code in agreement on every rqspinlock target.
# Usage: test_ksrc_rqspinlock.sh LOCKSTEP
set -u

LS=$(realpath "${1:?usage: test_ksrc_rqspinlock.sh LOCKSTEP}")
TREE=${LOCKSTEP_KERNEL_TREE:-}
if [ -z "$TREE" ] || [ ! -f "$TREE/kernel/bpf/rqspinlock.c" ]; then
	echo "skip: LOCKSTEP_KERNEL_TREE names no tree with kernel/bpf/rqspinlock.c (v6.15 on)"
	exit 77
fi
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1
export LOCKSTEP_CACHE_DIR="$tmp/cache"

if expect_rc 0 "ksrc build compiles rqspinlock.c" -- "$LS" ksrc build --tree "$TREE"; then
	grep -q "rqspinlock" "$tmp/out" || fail "ksrc: no rqspinlock backend: $(head -1 "$tmp/out")"
	grep -qx "  kernel/bpf/rqspinlock.c" "$tmp/out" || fail "ksrc: rqspinlock.c not listed"
fi
# An averted deadlock is a finding but no bug (exit 0): what rqspinlock is for.
if expect_rc 0 "the kernel's ABBA check averts rqspinlock/abba" -- \
	"$LS" fuzz rqspinlock/abba:current --kernel-tree "$TREE" --execs 20000 --out abba --json; then
	kinds=$(json "','.join(sorted(set(f['kind'] for f in j['findings'])))")
	[ "$kinds" = averted ] || fail "rqspinlock/abba: found $kinds, want averted only"
	trace=$(ls abba/*.trace | head -1)
	expect_rc 0 "its trace replays against the tree" -- \
		"$LS" replay "$trace" --kernel-tree "$TREE" --quiet
fi
expect_rc 0 "contention/locks:rqspinlock is clean on the kernel's rqspinlock" -- \
	"$LS" fuzz contention/locks:rqspinlock --kernel-tree "$TREE" --execs 20000 --out clean --quiet
# The hand model of the tree's version and the tree's code reach the same verdicts and kinds of
# outcome: LOCKSTEP_KERNEL_TREE_VARIANT names the hand model's variant for the tree (v6.15,
# v6.19, ...; current by default).
VARIANT=${LOCKSTEP_KERNEL_TREE_VARIANT:-current}
expect_rc 0 "check --differential: rqspinlock/*:$VARIANT agrees with the tree" -- \
	"$LS" check "rqspinlock/*:$VARIANT" --kernel-tree "$TREE" --differential
finish ksrc-rqspinlock
