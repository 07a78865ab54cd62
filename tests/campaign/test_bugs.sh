#!/usr/bin/env bash
# Suite `bugs`: a campaign counts bugs, not placements (src/bug.c).
#  - one bug with full symmetry (tests/campaign/one_bug.c, three CPUs, an interrupt on each that
#    takes the lock its task holds) is exactly one bug in 100,000 executions with --jobs 2,
#    whichever CPU and queue order it showed up in, and the validator's prediction of it with it;
#    its title is the kernel-style line; its placements are listed with their hits;
#  - the NMI and the hardirq forms are two bugs' worth of titles; the trylock form has none;
#  - the kept trace is the smallest (decisions, then steps) and does not depend on --jobs;
#  - the in-tree demos are one bug each, the ABBA's hang and lockdep's report of it together;
#  - a trace written before bug identities replays, says what bug it is, and --trace
#    upgrades it to one that names its bug and replays without the note.
# Usage: test_bugs.sh LOCKSTEP SOURCE_DIR
set -u

LS=$(realpath "${1:?usage: test_bugs.sh LOCKSTEP SOURCE_DIR}")
SRC=$(realpath "${2:?}")
CC=${CC:-cc}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1

if ! "$CC" -shared -fPIC -std=gnu11 -Wall -Wextra -Werror -I"$SRC/include" -o one_bug.so \
	"$SRC/tests/campaign/one_bug.c" 2>"$tmp/err"; then
	fail "building one_bug.so: $(head -5 "$tmp/err")"
	finish bugs
fi

# campaign SPEC WANT_RC OUT [ARGS...]: a campaign with --json; its summary in $tmp/out.
campaign() {
	local spec=$1 want=$2 out=$3
	shift 3
	expect_rc "$want" "fuzz $spec $*" -- "$LS" fuzz "$spec" --out "$out" --quiet --json "$@"
}

# ---- one bug, many placements -----------------------------------------------------------------
title_nmi='deadlock: NMI perf spins on pool_lock, which the task it interrupted holds or waits for'
title_irq='deadlock: hardirq tick spins on pool_lock, which the task it interrupted holds or waits for'
for v in nmi irq; do
	campaign ./one_bug.so:$v 1 "ob-$v" --execs 100000 --jobs 2 || continue
	n=$(json 'len(j["findings"])')
	pl=$(json 'sum(len(f["placements"]) for f in j["findings"])')
	[ "$n" = 1 ] && ok "one_bug:$v: 100,000 executions, one bug ($pl placements)" ||
		fail "one_bug:$v: $n bugs, want 1: $(json '[f["title"] for f in j["findings"]]')"
	[ "${pl:-0}" -ge 3 ] || fail "one_bug:$v: $pl placements: the test shows no folding"
	want=$title_nmi
	[ "$v" = irq ] && want=$title_irq
	[ "$(json 'j["findings"][0]["title"]')" = "$want" ] ||
		fail "one_bug:$v: title '$(json 'j["findings"][0]["title"]')', want '$want'"
	# Placements on every CPU, and the validator's report, under the one bug.
	for c in 0 1 2; do
		[ "$(json "any('@cpu$c' in p['signature'] for p in j['findings'][0]['placements'])")" = True ] ||
			fail "one_bug:$v: no placement on CPU$c"
	done
	[ "$(json 'sorted(set(p["kind"] for p in j["findings"][0]["placements"]))')" = "['deadlock', 'lockdep']" ] ||
		fail "one_bug:$v: placement kinds $(json 'sorted(set(p["kind"] for p in j["findings"][0]["placements"]))'), want the hang and the validator's"
	# The summary's hits are the placements' hits; the directory lists every placement.
	[ "$(json 'j["findings"][0]["hits"] == sum(p["hits"] for p in j["findings"][0]["placements"])')" = True ] ||
		fail "one_bug:$v: the bug's hits are not its placements' sum"
	[ "$(grep -c '^- `' "ob-$v/README.md")" = "$pl" ] ||
		fail "one_bug:$v: README.md lists $(grep -c '^- `' "ob-$v/README.md") placements, want $pl"
	[ "$(ls "ob-$v"/*.trace | wc -l)" = 1 ] || fail "one_bug:$v: $(ls "ob-$v"/*.trace | wc -l) traces"
	# The kept trace: the fewest decisions of any placement's execution, then steps.
	[ "$(json 'j["findings"][0]["kind"]')" = deadlock ] || fail "one_bug:$v: the kept trace is not the hang"
	cp "$tmp/out" "ob-$v.json"
done
campaign ./one_bug.so:fixed 0 ob-fixed --execs 100000 --jobs 2 &&
	[ "$(json 'len(j["findings"])')" = 0 ] && ok "one_bug:fixed: no bug in 100,000 executions"

# The kept trace does not depend on which worker got there first.
if campaign ./one_bug.so:nmi 1 ob-j1 --execs 20000 --jobs 1 &&
	campaign ./one_bug.so:nmi 1 ob-j3 --execs 20000 --jobs 3; then
	a=$(ls ob-j1/*.trace) b=$(ls ob-j3/*.trace)
	cmp -s "$a" "$b" && ok "the kept trace is the same with --jobs 1 and --jobs 3" ||
		fail "--jobs 1 kept $(grep -c '^@' "$a") decisions, --jobs 3 $(grep -c '^@' "$b")"
	# No placement's first execution has fewer decisions than the kept one.
	d=$(awk '/^decisions /{print $2}' "$a")
	[ "$d" -le 1 ] || fail "one_bug:nmi kept a trace of $d decisions; one NMI is enough"
fi

# A second campaign into the same directory keeps the trace (not smaller) and adds its hits.
before=$(awk -F'\t' '!/^[#+]/ { print $2 }' ob-j1/index.tsv)
cp ob-j1/*.trace kept.trace
campaign ./one_bug.so:nmi 1 ob-j1 --execs 20000 --jobs 2 &&
	cmp -s kept.trace ob-j1/*.trace &&
	[ "$(awk -F'\t' '!/^[#+]/ { print $2 }' ob-j1/index.tsv)" = $((before * 2)) ] &&
	ok "a second campaign keeps the bug's trace and doubles its hits" ||
	fail "second campaign: hits $before -> $(awk -F'\t' '!/^[#+]/ { print $2 }' ob-j1/index.tsv)"

# ---- the in-tree demos ------------------------------------------------------------------------
check_one() {
	local spec=$1 want=$2
	campaign "$spec" 1 "demo-${spec//[\/:]/-}" --execs 20000 --jobs 2 || return
	[ "$(json 'len(j["findings"])')" = 1 ] && [ "$(json 'j["findings"][0]["title"]')" = "$want" ] &&
		ok "$spec: one bug, '$want'" ||
		fail "$spec: $(json '[f["title"] for f in j["findings"]]'), want ['$want']"
}
check_one demo/abba:buggy 'possible circular locking dependency: lock_a -> lock_b (task, task)'
check_one demo/nmi-aa:buggy \
	'deadlock: NMI nmi_handler spins on lock, which the task it interrupted holds or waits for'

# In-tree variants with one root cause each are one bug (their headers give every count).
for spec in kptr/dtor-nmi:inline bpf/task-vma:mmap-lock-held maps/queue-stack:raw-spinlock \
	maps/lpm-trie:raw-spinlock; do
	campaign "$spec" 1 "one-${spec//[\/:]/-}" --execs 20000 --jobs 2 || continue
	[ "$(json 'len(j["findings"])')" = 1 ] && ok "$spec: one bug" ||
		fail "$spec: $(json '[f["title"] for f in j["findings"]]'), want one bug"
done

# ---- traces written before bug identities ------------------------------------------------------
old=$SRC/tests/findings/deadlock-5863c16e5e67.trace
expect_rc 0 "an old trace replays" -- "$LS" replay "$old" --quiet --trace upgraded.trace
grep -q "was written before lockstep named bugs; it is a placement of: deadlock: NMI nmi_handler spins on lock" "$tmp/err" ||
	fail "the old trace's replay does not name its bug: $(cat "$tmp/err")"
grep -q '^bug deadlock: ' upgraded.trace && grep -q '^title deadlock: NMI nmi_handler' upgraded.trace &&
	grep -q '^signature deadlock: t0 is interrupted by nmi_handler@cpu0,' upgraded.trace ||
	fail "--trace did not write the bug and the source's name: $(grep -E '^(signature|bug|title) ' upgraded.trace)"
expect_rc 0 "the upgraded trace replays" -- "$LS" replay upgraded.trace --quiet
[ -s "$tmp/err" ] && fail "the upgraded trace's replay still says: $(cat "$tmp/err")"

finish bugs
