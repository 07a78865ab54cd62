#!/usr/bin/env bash
# Suite `fuzz`, seeds: seeds/ is exactly what seeds/make-seeds.sh writes for the in-tree targets
# (a corpus built by the script, not by hand, and regenerated when a target is added), every
# target has its folder, and the one-preemption seed reaches demo/abba:buggy's deadlock.
# Usage: test_seeds.sh LOCKSTEP SOURCE_DIR
set -u

LS=${1:?usage: test_seeds.sh LOCKSTEP SOURCE_DIR}
SRC=${2:?}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

if ! bash "$SRC/seeds/make-seeds.sh" "$LS" "$tmp/seeds" 2>"$tmp/err"; then
	fail "make-seeds.sh failed: $(head -3 "$tmp/err")"
	finish seeds
fi
if diff -r -x README.md -x make-seeds.sh "$SRC/seeds" "$tmp/seeds" >"$tmp/diff"; then
	ok "seeds/ is what make-seeds.sh writes ($(find "$tmp/seeds" -type f | wc -l) inputs)"
else
	fail "seeds/ differs from make-seeds.sh's output (rerun seeds/make-seeds.sh): $(head -5 "$tmp/diff")"
fi
expect_rc 1 "seeds/demo/abba/switch-at-1 reaches the deadlock" -- \
	"$LS" replay --target demo/abba:buggy --no-lockdep --out "$tmp/out-dir" \
	"$SRC/seeds/demo/abba/switch-at-1"
grep -q "deadlock" "$tmp/out" || fail "switch-at-1: no deadlock in the output"
expect_rc 0 "seeds/demo/abba/none runs clean" -- \
	"$LS" replay --target demo/abba:buggy --no-lockdep --out "$tmp/out-dir" \
	"$SRC/seeds/demo/abba/none"
finish seeds
