#!/usr/bin/env bash
# Suite `benchcmd`: `lockstep bench` and what it needs from `lockstep fuzz`.
#  - `bench --short` exits 0 and prints a Markdown table with a row per short-mode variant and a
#    column per engine, writes the same table to --md and a CSV with one row per run (random
#    finds demo/abba:buggy on every seed, with a time), prints the scheduler's ns per step beside
#    the fiber switch, and writes nothing into the source tree or its TMPDIR once done;
#  - `fuzz --stop-on-bug --json` stops at the first bug and says when (first_bug_s,
#    first_bug_exec), and says null when there is none;
#  - `fuzz --engine afl` on demo/abba:buggy with the validator on, where every seed input crashes
#    and afl-fuzz refuses to start, reports that crash as the finding (skipped without the afl
#    harness); libFuzzer with --stop-on-bug stops at its first crash and counts its executions.
# Usage: test_benchcmd.sh LOCKSTEP SOURCE_DIR [LOCKSTEP_AFL] [LOCKSTEP_LIBFUZZER]
set -u

LS=$(realpath "${1:?usage: test_benchcmd.sh LOCKSTEP SOURCE_DIR [AFL] [LIBFUZZER]}")
SRC=$(realpath "${2:?}")
AFL=${3:-}
LIBFUZZER=${4:-}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

# ---- bench --short ---------------------------------------------------------------------------
# Run from the source tree, with its own TMPDIR: neither may keep anything of it.
mkdir -p "$tmp/tmpdir"
touch "$tmp/marker"
crashes_before=$(ls -A "$SRC/crashes" 2>/dev/null | sort)
top_before=$(ls -A "$SRC" | sort)
start=$(date +%s)
(cd "$SRC" && TMPDIR="$tmp/tmpdir" "$LS" bench --short --md "$tmp/bench.md" --csv "$tmp/bench.csv" \
	--svg "$tmp/bench.svg" --json >"$tmp/out" 2>"$tmp/err")
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -ne 0 ]; then
	fail "bench --short: exit $rc, want 0"
	tail -5 "$tmp/err" >&2
else
	ok "bench --short exits 0 (${took} s)"
fi
[ "$took" -le 60 ] || fail "bench --short took $took s"
engines="stress random pct afl libfuzzer"
header=$(grep -m1 '^| variant | expected |' "$tmp/out")
for e in $engines; do
	grep -q "| $e |" <<<"$header" || fail "bench table: no column for $e in: $header"
done
for v in demo/abba:buggy demo/nmi-aa:buggy; do
	n=$(grep -c "^| $v | deadlock |" "$tmp/out")
	[ "$n" -ge 1 ] || fail "bench table: no row for $v"
done
grep -Eq '^\| demo/abba:buggy \| deadlock \|[^|]*\| [0-9.]+ (us|ms|s) / 1 / 1 of 1 \|' "$tmp/out" ||
	fail "bench table: random did not find demo/abba:buggy at its first execution: $(grep '^| demo/abba' "$tmp/out" | head -1)"
ok "bench table: a row per short-mode variant, a column per engine"
cmp -s <(sed -n '/^# lockstep bench/,/^{/p' "$tmp/out" | grep -v '^{') "$tmp/bench.md" ||
	fail "bench --md: the file differs from the printed report"
python3 - "$tmp/bench.csv" <<'PY' || fail "bench --csv: see above"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = ["variant", "expected", "engine", "seed", "status", "found", "first_bug_s", "first_bug_exec",
        "first_bug_kind", "elapsed_s", "wall_s", "execs", "execs_per_s", "cap_s", "exit_code", "note"]
cols = list(rows[0].keys()) if rows else []
if cols != want:
    sys.exit("columns %s, want %s" % (cols, want))
engines = {r["engine"] for r in rows}
if engines != {"stress", "random", "pct", "afl", "libfuzzer"}:
    sys.exit("engines %s" % sorted(engines))
variants = {r["variant"] for r in rows}
if variants != {"demo/abba:buggy", "demo/nmi-aa:buggy"}:
    sys.exit("variants %s" % sorted(variants))
rnd = [r for r in rows if r["variant"] == "demo/abba:buggy" and r["engine"] == "random"]
if not rnd:
    sys.exit("no random run on demo/abba:buggy")
for r in rnd:
    if r["status"] != "found" or r["found"] != "1":
        sys.exit("random on demo/abba:buggy seed %s: %s" % (r["seed"], r["status"]))
    t = float(r["first_bug_s"])
    if not (0 <= t <= float(r["cap_s"])):
        sys.exit("random on demo/abba:buggy: first_bug_s %s" % r["first_bug_s"])
    if int(r["first_bug_exec"]) < 1 or float(r["execs_per_s"]) <= 0:
        sys.exit("random on demo/abba:buggy: first_bug_exec %s, execs_per_s %s"
                 % (r["first_bug_exec"], r["execs_per_s"]))
print("ok   bench --csv: %d rows, the expected columns, random finds demo/abba:buggy on every seed" % len(rows))
PY
# --svg draws what the CSV says: with one seed per cell, each bar is its run's time to the first
# bug, a missed run a bar to the cap ("inf"), a run that measured nothing no bar.
python3 - "$tmp/bench.csv" "$tmp/bench.svg" <<'PY' || fail "bench --svg: see above"
import csv, math, sys
import xml.etree.ElementTree as ET
rows = list(csv.DictReader(open(sys.argv[1])))
bars = {}
for r in ET.parse(sys.argv[2]).getroot().iter("{http://www.w3.org/2000/svg}rect"):
    if r.get("data-row") is not None:
        bars[(r.get("data-row"), r.get("data-col").split(" ")[0])] = r.get("data-s")
want = {}
for r in rows:
    key = (r["variant"], r["engine"])
    if r["status"] == "found":
        want[key] = float(r["first_bug_s"])
    elif r["status"] == "missed":
        want[key] = math.inf
if set(bars) != set(want):
    sys.exit("bars for %s, want %s" % (sorted(bars), sorted(want)))
for key, s in want.items():
    got = float(bars[key])
    if not (got == s or abs(got - s) <= 1e-5 * s):
        sys.exit("%s: bar %s s, the CSV says %s s" % (key, bars[key], s))
if not any(s > 0 and math.isfinite(s) for s in want.values()):
    sys.exit("no bar of a bug found: the picture shows nothing")
print("ok   bench --svg: a bar per measured run, each its time to the first bug (%d bars)" % len(bars))
PY
line=$(grep -m1 '^Scheduler: ' "$tmp/out")
if [[ "$line" =~ ^Scheduler:\ ([0-9.]+)\ ns\ per\ step\ staying\ on\ a\ task,\ ([0-9.]+)\ ns\ per\ step\ switching\ tasks,\ bare\ fiber\ switch\ ([0-9.]+)\ ns ]] &&
	python3 -c "import sys; sys.exit(0 if all(float(x) > 0 for x in sys.argv[1:]) else 1)" \
		"${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"; then
	ok "bench: the scheduler's ns per step beside the fiber switch: ${BASH_REMATCH[*]:1}"
else
	fail "bench: no scheduler line with positive numbers: $line"
fi
[ "$(json 'j["command"]')" = bench ] || fail "bench --json: the last line is not its summary"
[ "$(json 'j["ns_per_step_switching"] > 0')" = True ] || fail "bench --json: ns_per_step_switching"
[ "$(ls -A "$SRC/crashes" 2>/dev/null | sort)" = "$crashes_before" ] ||
	fail "bench wrote into $SRC/crashes"
new_top=$(comm -13 <(echo "$top_before") <(ls -A "$SRC" | sort) | grep -v '^build' || true)
[ -z "$new_top" ] || fail "bench left files in the source tree: $new_top"
found_src=$(find "$SRC" -path "$SRC/build*" -prune -o -path "$SRC/.git" -prune -o \
	\( -name 'crash-*' -o -name 'id:*' -o -name '*.trace' -newer "$tmp/marker" -o \
	-name 'lockstep-bench-*' -o -name 'lockstep-fuzz-*' \) -print 2>/dev/null | head -5)
[ -z "$found_src" ] || fail "bench left files in the source tree: $found_src"
[ -z "$(ls -A "$tmp/tmpdir")" ] || fail "bench left files in its TMPDIR: $(ls -A "$tmp/tmpdir")"
ok "bench wrote nothing into the source tree and left nothing in TMPDIR"

expect_rc 2 "bench refuses a clean variant" -- "$LS" bench demo/abba:ordered --short
expect_rc 2 "bench refuses an unknown engine" -- "$LS" bench --short --engines random,nope
expect_rc 2 "bench refuses --seeds 0" -- "$LS" bench --short --seeds 0

# --engines and --targets restrict the table.
expect_rc 0 "bench --engines random --targets 'demo/nmi*'" -- \
	"$LS" bench --engines random --targets 'demo/nmi*' --seeds 2 --cap 1 --quiet --json
[ "$(json 'sorted({r["variant"] for r in j["results"]})')" = "['demo/nmi-aa:buggy']" ] ||
	fail "--targets 'demo/nmi*': variants $(json 'sorted({r["variant"] for r in j["results"]})')"
[ "$(json '[r["engine"] for r in j["results"]]')" = "['random']" ] ||
	fail "--engines random: engines $(json '[r["engine"] for r in j["results"]]')"
[ "$(json 'j["results"][0]["found"]')" = 2 ] || fail "random misses demo/nmi-aa:buggy in 1 s"

# ---- fuzz --stop-on-bug -----------------------------------------------------------------------
cd "$tmp" || exit 1
for jobs in 1 2; do
	expect_rc 1 "fuzz --stop-on-bug --jobs $jobs finds the kptr leak" -- \
		"$LS" fuzz kptr/dtor-nmi:racy-empty-check --no-lockdep --stop-on-bug --jobs "$jobs" \
		--time 30 --out "sob$jobs" --json --quiet || continue
	[ "$(json 'j["elapsed_s"] < 5')" = True ] ||
		fail "--stop-on-bug --jobs $jobs ran $(json 'j["elapsed_s"]') s of its 30"
	[ "$(json 'isinstance(j["first_bug_s"], float) and 0 <= j["first_bug_s"] <= j["elapsed_s"]')" = True ] ||
		fail "--stop-on-bug --jobs $jobs: first_bug_s $(json 'j["first_bug_s"]')"
	[ "$(json 'j["first_bug_exec"] >= 1 and j["first_bug_kind"] == "invariant"')" = True ] ||
		fail "--stop-on-bug --jobs $jobs: first_bug_exec $(json 'j["first_bug_exec"]'), kind $(json 'j["first_bug_kind"]')"
	# Execution i is seed i: the first bug is at the smallest index any worker found one.
	[ "$(json 'j["first_bug_exec"] == min(f["first_exec"] for f in j["findings"] if f["bug"]) + 1')" = True ] ||
		fail "--stop-on-bug --jobs $jobs: first_bug_exec is not the first bug's execution + 1"
	if [ "$jobs" = 1 ]; then
		[ "$(json 'j["execs"] == j["first_bug_exec"]')" = True ] ||
			fail "--stop-on-bug --jobs 1 ran $(json 'j["execs"]') executions past its first bug at $(json 'j["first_bug_exec"]')"
	fi
	ok "fuzz --stop-on-bug --jobs $jobs: first bug at execution $(json 'j["first_bug_exec"]'), $(json 'j["first_bug_s"]') s; stopped at $(json 'j["elapsed_s"]') s"
done
expect_rc 0 "fuzz --stop-on-bug on a clean variant runs its budget" -- \
	"$LS" fuzz demo/abba:ordered --stop-on-bug --jobs 1 --execs 3000 --out clean --json --quiet
[ "$(json 'j["first_bug_s"] is None and j["first_bug_exec"] is None and j["execs"] == 3000')" = True ] ||
	fail "fuzz --stop-on-bug on demo/abba:ordered: $(tail -1 "$tmp/out")"
# Without the flag the campaign runs on, and still says when its first bug came.
expect_rc 1 "fuzz without --stop-on-bug runs its budget" -- \
	"$LS" fuzz demo/abba:buggy --jobs 1 --execs 2000 --out nostop --json --quiet
[ "$(json 'j["execs"] == 2000 and j["first_bug_exec"] == 1')" = True ] ||
	fail "fuzz demo/abba:buggy --execs 2000: execs $(json 'j["execs"]'), first_bug_exec $(json 'j["first_bug_exec"]')"

# ---- external engines --------------------------------------------------------------------------
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS
if [ -z "$AFL" ] || [ ! -x "$AFL" ]; then
	echo "SKIP (part): lockstep-afl not built: the afl all-seeds-crash check does not run"
elif ! command -v afl-fuzz >/dev/null; then
	echo "SKIP (part): afl-fuzz not on PATH: the afl all-seeds-crash check does not run"
else
	# With the validator on, the empty input is an ABBA report: every seed crashes.
	"$LS" fuzz demo/abba:buggy --engine afl --jobs 1 --time 5 --out afl --json --quiet \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q "PROGRAM ABORT" "$tmp"/err 2>/dev/null &&
		! grep -q "valid input seed" "$tmp/err"; then
		echo "SKIP (part): afl-fuzz cannot run here: $(grep -m1 -A1 'PROGRAM ABORT' "$tmp/err")"
	elif [ "$rc" -ne 1 ]; then
		fail "fuzz --engine afl on demo/abba:buggy, every seed crashing: exit $rc, want 1"
		tail -5 "$tmp/out" "$tmp/err" >&2
	elif [ "$(json 'any(f["bug"] and f["kind"] == "lockdep" for f in j["findings"])')" != True ] ||
		[ "$(json 'isinstance(j["first_bug_s"], float) and j["first_bug_s"] < 5')" != True ]; then
		fail "fuzz --engine afl, every seed crashing: $(tail -1 "$tmp/out")"
	else
		ok "fuzz --engine afl: afl-fuzz refused the crashing seed, which is the finding ($(json 'j["first_bug_s"]') s)"
	fi
	ls afl/deadlock-*.trace >/dev/null 2>&1 || fail "fuzz --engine afl: no trace of the ABBA bug in --out"
fi
if [ -z "$LIBFUZZER" ] || [ ! -x "$LIBFUZZER" ]; then
	echo "SKIP (part): lockstep-libfuzzer not built: the libFuzzer --stop-on-bug check does not run"
else
	expect_rc 1 "fuzz --engine libfuzzer --stop-on-bug finds the deadlock" -- \
		"$LS" fuzz demo/abba:buggy --engine libfuzzer --no-lockdep --stop-on-bug --jobs 1 \
		--time 30 --seed 3 --out lf --json --quiet &&
	{ [ "$(json 'j["elapsed_s"] < 20 and j["first_bug_exec"] >= 1 and j["execs"] >= j["first_bug_exec"] and j["first_bug_kind"] == "deadlock"')" = True ] ||
		fail "fuzz --engine libfuzzer --stop-on-bug: $(tail -1 "$tmp/out")"; }
fi

finish benchcmd
