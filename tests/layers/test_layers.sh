#!/usr/bin/env bash
# Suite `layers`: the include rule of docs/architecture.md (check_includes.py) holds over the
# source tree, and the checker reports each kind of violation (tests/layers/fixture holds one of
# each: seven).
# Usage: test_layers.sh SOURCE_DIR
set -u
SRC=$(realpath "${1:?usage: test_layers.sh SOURCE_DIR}")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

expect_rc 0 "the source tree keeps the include rule" -- \
	python3 "$SRC/tests/layers/check_includes.py" "$SRC"
if expect_rc 1 "the fixture's violations are found" -- \
	python3 "$SRC/tests/layers/check_includes.py" "$SRC/tests/layers/fixture" 0; then
	n=$(grep -c '^[a-z].*:[0-9]*: ' "$tmp/out")
	[ "$n" -eq 7 ] || fail "the fixture: $n violations reported, want 7: $(cat "$tmp/out")"
	for f in include/lockstep/api.h sched/machine.c src/model/lock.c targets/demo/scenario.c \
		src/exec.c src/lockdep/validator.c src/report.c; do
		grep -q "^$f:2: " "$tmp/out" || fail "the fixture: $f's violation not reported"
	done
fi
finish layers
