#!/usr/bin/env bash
# Suite `fuzz`: `lockstep fuzz --engine libfuzzer|afl` runs the harness built next to lockstep for a
# few seconds on demo/abba:buggy, files its crash inputs as deduplicated traces that replay, and
# counts their hits in README.md; a clean variant exits 0; a missing harness is one line, exit 2.
# Each engine is skipped when its harness was not built (the suite is skipped if neither was).
# Usage: test_engines.sh PATH/TO/lockstep
set -u

LS=${1:?usage: test_engines.sh LOCKSTEP}
dir=$(dirname "$LS")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS
export AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1

ran=0
for engine in libfuzzer afl; do
	if [ ! -x "$dir/fuzz/lockstep-$engine" ]; then
		echo "skip --engine $engine: $dir/fuzz/lockstep-$engine not built"
		continue
	fi
	out="$tmp/$engine"
	"$LS" fuzz demo/abba:buggy --engine "$engine" --no-lockdep --jobs 2 --time 2 --seed 1 \
		--out "$out" --json --quiet >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$engine" = afl ] && [ "$rc" -eq 3 ] && grep -q "did not run" "$tmp/err"; then
		echo "skip --engine afl: afl-fuzz cannot run here: $(tail -3 "$tmp/err")"
		continue
	fi
	ran=$((ran + 1))
	if [ "$rc" -ne 1 ]; then
		fail "fuzz --engine $engine on demo/abba:buggy: exit $rc, want 1"
		tail -5 "$tmp/err" >&2
		continue
	fi
	ok "fuzz --engine $engine finds demo/abba:buggy"
	tail -1 "$tmp/out" | grep -q "\"engine\":\"$engine\".*\"kind\":\"deadlock\".*\"bug\":true" ||
		fail "fuzz --engine $engine: no deadlock in the JSON summary"
	n=$(ls "$out"/*.trace 2>/dev/null | wc -l)
	[ "$n" -eq 1 ] && ok "fuzz --engine $engine: one trace per bug" ||
		fail "fuzz --engine $engine: $n traces in --out, want 1"
	inputs=$(json 'j["crash_inputs"]')
	grep -q "| deadlock | .* | ${inputs} | .* | \[deadlock-a077c0cb3e56.trace\]" "$out/README.md" &&
		ok "fuzz --engine $engine: README.md counts the $inputs crash inputs as hits" ||
		fail "fuzz --engine $engine: README.md has no row with $inputs hits"
	expect_rc 0 "the trace from --engine $engine replays" -- \
		"$LS" replay "$out/deadlock-a077c0cb3e56.trace"
done
[ "$ran" -eq 0 ] && { echo "SKIP: neither fuzz harness could run"; exit 77; }

if [ -x "$dir/fuzz/lockstep-libfuzzer" ]; then
	expect_rc 0 "fuzz --engine libfuzzer on demo/abba:ordered finds nothing" -- \
		"$LS" fuzz demo/abba:ordered --engine libfuzzer --jobs 1 --time 1 --out "$tmp/clean"
fi

# A lockstep with no harness next to it: one line, exit 2.
mkdir -p "$tmp/bare"
cp "$LS" "$tmp/bare/lockstep"
expect_rc 2 "a missing harness is exit 2" -- \
	"$tmp/bare/lockstep" fuzz demo/abba:buggy --engine libfuzzer --time 1
[ "$(grep -c . "$tmp/err")" -eq 1 ] && grep -q "lockstep-libfuzzer, which is not built" "$tmp/err" ||
	fail "missing harness: stderr is not one line: $(head -3 "$tmp/err")"
expect_rc 2 "--engine afl with --execs is a usage error" -- \
	"$LS" fuzz demo/abba:buggy --engine afl --execs 10

finish fuzz
