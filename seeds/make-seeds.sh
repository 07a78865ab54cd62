#!/usr/bin/env bash
# Writes the starting corpora of seeds/: one folder per in-tree target (seeds/demo/abba, ...),
# the same inputs for every target, in the harness's encoding (fuzz/harness.c: byte pairs
# (gap, choice): run `gap` points on the default, then take choice `choice % n` at the next):
#   none          the empty input: every context runs on without preemption;
#   switch-at-G   one pair (G, 1): at the point after G defaults, the first alternative to the
#                 default (a switch to another context, or an interrupt where none can run),
#                 then no more: one preemption, early or late, G = 0, 1, 2, 3, 5, 8, 13, 21, 34.
# These reach each scenario's states without preemption and with one; the fuzzer mutates from
# there.  Regenerate after adding a target: seeds/make-seeds.sh build/lockstep
set -eu

LS=${1:?usage: make-seeds.sh PATH/TO/lockstep [OUT_DIR]}
OUT=${2:-$(dirname "$0")}

"$LS" list --json | tail -n 1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["targets"]:
    print(t["name"])
' | while read -r target; do
	dir=$OUT/$target
	mkdir -p "$dir"
	: >"$dir/none"
	for gap in 0 1 2 3 5 8 13 21 34; do
		printf "$(printf '\\%03o\\001' "$gap")" >"$dir/switch-at-$gap"
	done
done
