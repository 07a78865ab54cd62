#!/usr/bin/env bash
# Suite `campaign`: `lockstep fuzz` as a campaign of worker processes.
#  - --jobs N runs the same executions as one worker and keeps the same traces (the smallest
#    trace of each bug), byte for byte;
#  - a target that crashes (abort, SIGSEGV or a sanitizer report) or hangs becomes a `crash`
#    finding with hits, the campaign finishes its budget, and `replay` and `run --seed` of the
#    crash reproduce it without crashing themselves;
#  - SIGINT and SIGTERM stop a campaign that keeps its findings and prints its summary;
#  - the directory's README.md lists every finding, merged over campaigns, and its replay
#    commands work; the progress line counts interleavings.
# Usage: test_campaign.sh LOCKSTEP SOURCE_DIR
set -u

LS=$(realpath "${1:?usage: test_campaign.sh LOCKSTEP SOURCE_DIR}")
SRC=$(realpath "${2:?}")
CC=${CC:-cc}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1

# The findings of the JSON summary, one "signature|first_exec|seed" line each, sorted.
findings() {
	json '"\n".join(sorted("%s|%d|%d" % (f["signature"], f["first_exec"], f["seed"]) for f in j["findings"]))'
}

# Every `lockstep replay [--target OBJECT] FILE` of DIR/README.md replays; rows match the traces
# one to one.
check_readme() {
	local dir=$1 what=$2 bad=0
	[ -f "$dir/README.md" ] || { fail "$what: no $dir/README.md"; return; }
	local rows traces
	rows=$(grep -c '^| .*\.trace) | `lockstep replay ' "$dir/README.md")
	traces=$(find "$dir" -maxdepth 1 -name '*.trace' | wc -l)
	[ "$rows" -eq "$traces" ] || fail "$what: README.md has $rows rows for $traces traces"
	local args file
	while read -r -a args; do
		file=${args[${#args[@]}-1]}
		[ -f "$file" ] || { fail "$what: README.md names $file, which is missing"; bad=1; continue; }
		"$LS" replay "${args[@]}" --quiet >/dev/null 2>&1 ||
			{ fail "$what: lockstep replay ${args[*]}"; bad=1; }
	done < <(sed -n 's/.*`lockstep replay \([^`]*\)`.*/\1/p' "$dir/README.md")
	[ "$bad" -eq 0 ] && ok "$what: README.md lists the $traces findings and each replay command works"
}

# ---- --jobs: the same executions, the same kept traces -----------------------------------------
declare -A sets inter
for j in 1 2 3; do
	expect_rc 1 "fuzz demo/abba:buggy --jobs $j finds the deadlock" -- \
		"$LS" fuzz demo/abba:buggy --execs 20000 --jobs "$j" --out "abba$j" --quiet --json || continue
	sets[$j]=$(findings)
	inter[$j]=$(json 'j["interleavings"]')
	[ "$(json 'j["execs"]')" = 20000 ] || fail "--jobs $j ran $(json 'j["execs"]') executions, not 20000"
	[ "$(json 'j["jobs"]')" = "$j" ] || fail "--jobs $j: the JSON says jobs $(json 'j["jobs"]')"
	grep -q "deadlock: t0 waits in spin_lock on lock_b held by t1" <<<"${sets[$j]}" ||
		fail "--jobs $j: no demo deadlock among: ${sets[$j]}"
	grep -Eq 'fuzz: 20000 execs, [0-9]+ execs/s, [0-9]+ interleavings, [0-9]+ bugs?' "$tmp/err" ||
		fail "--jobs $j: no progress line with interleavings: $(tail -2 "$tmp/err")"
done
for j in 2 3; do
	[ "${sets[$j]-}" = "${sets[1]-}" ] ||
		fail "--jobs $j kept other findings than --jobs 1: ${sets[$j]-} vs ${sets[1]-}"
	[ "${inter[$j]-}" = "${inter[1]-}" ] ||
		fail "--jobs $j counted ${inter[$j]-} interleavings, --jobs 1 ${inter[1]-}"
	same=1
	for t in abba1/*.trace; do
		cmp -s "$t" "abba$j/${t#abba1/}" || { fail "--jobs $j kept another $t"; same=0; }
	done
	[ "$(ls abba1/*.trace | wc -l)" -eq "$(ls "abba$j"/*.trace | wc -l)" ] ||
		{ fail "--jobs $j kept another number of traces"; same=0; }
	[ "$same" -eq 1 ] && ok "--jobs $j keeps the same findings, first executions and traces as --jobs 1"
done
check_readme abba2 "--jobs 2"

# ---- the directory's README merges campaigns --------------------------------------------------
cp -r abba2 abba2.before
hits() { awk -F'\t' -v f="$2" '$1 == f { print $2 }' "$1/index.tsv"; }
deadlock=$(basename "$(ls abba2/deadlock-*.trace | head -1)")
before=$(hits abba2 "$deadlock")
expect_rc 1 "a second campaign into the same directory" -- \
	"$LS" fuzz demo/abba:buggy --execs 20000 --jobs 2 --out abba2 --quiet
after=$(hits abba2 "$deadlock")
[ -n "$before" ] && [ "$after" = $((before * 2)) ] ||
	fail "the deadlock's hits went from '$before' to '$after', not twice as many"
for t in abba2.before/*.trace; do
	cmp -s "$t" "abba2/${t#abba2.before/}" || fail "a later campaign replaced $t"
done
expect_rc 1 "a campaign on another target into the same directory" -- \
	"$LS" fuzz demo/nmi-aa:buggy --execs 2000 --jobs 2 --out abba2 --quiet
grep -q '| demo/abba:buggy |' abba2/README.md && grep -q '| demo/nmi-aa:buggy |' abba2/README.md ||
	fail "README.md does not list both targets' findings"
expect_rc 1 "run --seed 15 into the same directory" -- \
	"$LS" run demo/abba:buggy --seed 15 --out abba2 --quiet
[ "$(hits abba2 "$deadlock")" = $((after + 1)) ] || fail "run did not count its hit in index.tsv"
# Its trace (seed 15, two decisions) is no smaller than the kept one: the row keeps that.
grep -Eq "\| [0-9]+ \| $((after + 1)) \| execution 40, seed 40, 1 decision, 6 steps \|" abba2/README.md ||
	fail "README.md row of $deadlock: $(grep "$deadlock" abba2/README.md)"
check_readme abba2 "merged campaigns"

# ---- crashes ----------------------------------------------------------------------------------
if ! "$CC" -shared -fPIC -std=gnu11 -Wall -Wextra -Werror -I"$SRC/include" -o crashy.so \
	"$SRC/tests/campaign/crashy.c" 2>"$tmp/err"; then
	fail "building crashy.so: $(head -5 "$tmp/err")"
else
	# In the ASan build a SIGSEGV becomes a sanitizer report (and abort_on_error an abort): filed
	# as "crash: sanitizer report".  Unsymbolized, a report costs milliseconds, not 100.
	saved_asan=${ASAN_OPTIONS-}
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}symbolize=0"
	abort_sig='crash: SIGABRT: t1 after READ_ONCE(flag) in t1_fn'
	for j in 1 2; do
		expect_rc 1 "fuzz ./crashy.so:segv --jobs $j files the crashes and goes on" -- \
			"$LS" fuzz ./crashy.so:segv --execs 2000 --jobs "$j" --out "crash$j" --quiet --json ||
			continue
		[ "$(json 'j["execs"]')" = 2000 ] ||
			fail "crashy --jobs $j: $(json 'j["execs"]') executions, not the budget's 2000"
		n=$(json 'sum(1 for f in j["findings"] if f["kind"] == "crash" and f["hits"] > 1)')
		[ "$n" = 2 ] || fail "crashy --jobs $j: $n crash findings with hits > 1, want 2: $(findings)"
		json '"\n".join(f["signature"] for f in j["findings"])' >sigs
		grep -qxF "$abort_sig" sigs || fail "crashy --jobs $j: no '$abort_sig': $(cat sigs)"
		grep -Eqx 'crash: (SIGSEGV|sanitizer report): t1 after READ_ONCE\(flag\) in t1_fn' sigs ||
			fail "crashy --jobs $j: no SIGSEGV crash: $(cat sigs)"
		json '"\n".join("%s %d" % (f["signature"], f["hits"]) for f in j["findings"])' | sort >"hits$j"
	done
	cmp -s hits1 hits2 || fail "crash hits differ between --jobs 1 and 2: $(cat hits1 hits2)"
	for t in crash1/*.trace; do
		cmp -s "$t" "crash2/${t#crash1/}" || fail "--jobs 2 kept another $t"
	done
	for t in crash2/crash-*.trace; do
		expect_rc 0 "replay of $(basename "$t") reproduces the crash" -- \
			"$LS" replay --target ./crashy.so "$t" --trace again.trace || continue
		grep -q "^replay: reproduced crash: crash: " "$tmp/out" ||
			fail "replay $t: $(tail -1 "$tmp/out")"
		grep -q "WARNING: lockstep: crash: " "$tmp/out" || fail "replay $t printed no crash report"
		cmp -s "$t" again.trace || fail "the re-recorded $t differs"
		seed=$(sed -n 's/^seed //p' "$t")
		expect_rc 1 "run ./crashy.so:segv --seed $seed files the same crash" -- \
			"$LS" run ./crashy.so:segv --seed "$seed" --out "run$seed" --quiet
		cmp -s "$t" "run$seed/$(basename "$t")" || fail "run --seed $seed wrote another trace"
	done
	check_readme crash2 "crashes"
	expect_rc 0 "fuzz ./crashy.so:clean finds nothing" -- \
		"$LS" fuzz ./crashy.so:clean --execs 3000 --jobs 2 --out clean --quiet

	# Every execution dies in init(): one finding, each execution a hit, every worker replaced.
	expect_rc 1 "fuzz ./crashy.so:init files every execution and finishes its budget" -- \
		"$LS" fuzz ./crashy.so:init --execs 40 --jobs 2 --out init --quiet --json
	[ "$(json '[(f["signature"], f["hits"], f["first_exec"]) for f in j["findings"]]')" = \
		"[('crash: SIGABRT: before the first scheduling point', 40, 0)]" ] ||
		fail "init: findings $(json 'j["findings"]')"
	[ "$(json 'j["execs"]')" = 40 ] || fail "init: $(json 'j["execs"]') executions, not 40"

	# A hang: execution 15 spins forever; its worker is killed, and so is the recorder's run.
	expect_rc 1 "fuzz ./crashy.so:hang files the hang and finishes its budget" -- \
		"$LS" fuzz ./crashy.so:hang --execs 16 --jobs 1 --hang-timeout 1 --out hang --quiet --json
	[ "$(json '[f["signature"] for f in j["findings"]]')" = \
		"['crash: hang: t1 after READ_ONCE(flag) in t1_fn']" ] ||
		fail "hang: findings $(findings)"
	[ "$(json 'j["execs"]')" = 16 ] || fail "hang: $(json 'j["execs"]') executions, not 16"
	for t in hang/crash-*.trace; do
		expect_rc 0 "replay of the hang reproduces it" -- \
			"$LS" replay --target ./crashy.so "$t" --hang-timeout 1 --quiet
	done
	export ASAN_OPTIONS="$saved_asan"
fi

# ---- SIGINT and SIGTERM keep what was found ----------------------------------------------------
for sig in INT TERM; do
	"$LS" fuzz demo/abba:buggy --time 60 --jobs 2 --out "sig$sig" --quiet --json >"sig$sig.out" \
		2>"sig$sig.err" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		ls "sig$sig"/deadlock-*.trace >/dev/null 2>&1 && break
		sleep 0.1
	done
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 1 ] || fail "SIG$sig: exit $rc, want 1: $(tail -3 "sig$sig.err")"
	grep -q "(stopped by signal)" "sig$sig.out" || fail "SIG$sig: no summary line"
	[ "$(json_in "sig$sig.out" 'j["stopped_by_signal"]' 2>/dev/null)" = True ] ||
		fail "SIG$sig: no JSON saying stopped_by_signal"
	ls "sig$sig"/deadlock-*.trace >/dev/null 2>&1 || fail "SIG$sig: the deadlock's trace is gone"
	if pgrep -f -- "--out sig$sig" >/dev/null; then
		fail "SIG$sig: processes of the campaign are still running"
	fi
	check_readme "sig$sig" "stopped by SIG$sig"
done

# ---- engines and options ----------------------------------------------------------------------
expect_rc 1 "fuzz --engine pct finds the demo deadlock" -- \
	"$LS" fuzz demo/abba:buggy --engine pct --execs 2000 --jobs 2 --out pct --quiet
grep -q "^pct: n=" "$tmp/out" || fail "--engine pct printed no bound: $(tail -2 "$tmp/out")"
# --plot draws the campaign: executions, distinct interleavings and bugs over its time, each
# series ending at what the summary counts.
expect_rc 1 "fuzz --plot" -- "$LS" fuzz demo/abba:buggy --execs 20000 --jobs 2 --out plot \
	--plot plot.svg --quiet --json
python3 - "$tmp/out" plot.svg <<'PY' && ok "fuzz --plot: three series, ending at the summary's counts" || fail "fuzz --plot: see above"
import json, sys
import xml.etree.ElementTree as ET
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
series = {p.get("data-series"): p for p in
          ET.parse(sys.argv[2]).getroot().iter("{http://www.w3.org/2000/svg}polyline")}
want = {"executions": j["execs"], "distinct interleavings": j["interleavings"],
        "bugs": len(j["findings"])}
if set(series) != set(want):
    sys.exit("series %s, want %s" % (sorted(series), sorted(want)))
for name, last in want.items():
    points = series[name].get("points").split()
    if len(points) < 2 or float(series[name].get("data-last")) != last:
        sys.exit("%s: %d points ending at %s, want %s" % (name, len(points), series[name].get("data-last"), last))
PY
expect_rc 2 "fuzz --plot with an external engine is refused" -- \
	"$LS" fuzz demo/abba:buggy --engine afl --plot p.svg
expect_rc 2 "fuzz --engine bogus is refused" -- "$LS" fuzz demo/abba:buggy --engine bogus
expect_rc 2 "fuzz --jobs 0 is refused" -- "$LS" fuzz demo/abba:buggy --jobs 0

# Three campaigns writing one directory at the same time keep every row and every hit: the index
# sums to what the same campaigns count in separate directories.
hit_sum() {
	awk -F'\t' '!/^[#+]/ { s += $2 } END { print s + 0 }' "$1/index.tsv"
}
"$LS" fuzz demo/abba:buggy --execs 20000 --jobs 1 --quiet --out shared >/dev/null 2>&1 &
a=$!
"$LS" fuzz demo/nmi-aa:buggy --execs 20000 --jobs 1 --quiet --out shared >/dev/null 2>&1 &
b=$!
"$LS" fuzz kptr/dtor-nmi:inline --execs 2000 --jobs 1 --quiet --out shared >/dev/null 2>&1 &
c=$!
wait "$a" "$b" "$c"
"$LS" fuzz demo/abba:buggy --execs 20000 --jobs 1 --quiet --out apart1 >/dev/null 2>&1
"$LS" fuzz demo/nmi-aa:buggy --execs 20000 --jobs 1 --quiet --out apart2 >/dev/null 2>&1
"$LS" fuzz kptr/dtor-nmi:inline --execs 2000 --jobs 1 --quiet --out apart3 >/dev/null 2>&1
traces=$(find shared -name '*.trace' | wc -l)
rows=$(grep -vc '^[#+]' shared/index.tsv)
apart=$(($(hit_sum apart1) + $(hit_sum apart2) + $(hit_sum apart3)))
if [ "$traces" -gt 0 ] && [ "$rows" -eq "$traces" ] && [ "$(hit_sum shared)" -eq "$apart" ]; then
	ok "concurrent campaigns in one directory: $rows rows, $apart hits, as apart"
else
	fail "concurrent campaigns: $traces traces, $rows index rows, $(hit_sum shared) hits vs $apart apart"
fi

if [ "$fails" -ne 0 ]; then
	trap - EXIT
	echo "campaign: $fails failure(s); files kept in $tmp" >&2
	exit 1
fi
exit 0
