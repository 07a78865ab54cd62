#!/usr/bin/env bash
# Suite `memory`, the command line: the weak memory models find the qspinlock bugs they exist for
# (targets/qspinlock/mcs.c), and only under the model each needs.
#  - qspinlock/mcs:no-node-init-barrier (no smp_wmb() before xchg_tail()) is a deadlock that
#    `fuzz --memory-model relaxed` finds with the random walk and with pct from seed 0 within
#    FOUND_EXECS executions, and `explore` within the smallest bounds that reach it (no preemption,
#    one NMI, one memory-model choice); its trace records the model, replays (exit 0), `minimize`
#    keeps it, and the replay's --html timeline shows a store's issue and, later, the row where it
#    became visible (class "vis", op "drain"); under --memory-model sc and tso the same budget is
#    clean (explore under sc completes; under tso its search takes 33 s, so it is cut at 100,000
#    schedules);
#  - qspinlock/nmi-node:no-count-barrier (no barrier() after node->count++) is found with
#    --compiler-reorder, and clean without it in the same budget;
#  - the fixed variant of both targets is clean under every model, with and without
#    --compiler-reorder;
#  - `lockstep litmus --memory-model tso 'SB*' 'MP*'` gives every stated verdict (exit 0);
#  - a trace whose memory-model line names no model, and --memory-model bogus, are refused with
#    exit 2 and one line;
#  - none of it writes into the source tree (`git status --porcelain` is unchanged).
# Budgets were measured in the debugoptimized build: the deadlock comes at execution 19 with
# random and 376 with pct, explore's after 29,982 schedules (0.3 s); no-count-barrier's at
# execution 2,740 with random (pct finds nothing in 20,000).  The script takes about 10 s there
# and 20 s under ASan.
# Usage: test_memory_cli.sh LOCKSTEP SOURCE_DIR
set -u

LS=$(realpath "${1:?usage: test_memory_cli.sh LOCKSTEP SOURCE_DIR [FALSE_REPORTS.so]}")
SRC=$(realpath "${2:?usage: test_memory_cli.sh LOCKSTEP SOURCE_DIR [FALSE_REPORTS.so]}")
FALSE_REPORTS=${3:+$(realpath "$3")}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

status_before=$(git -C "$SRC" status --porcelain 2>/dev/null)
cd "$tmp" || exit 1

FOUND_EXECS=5000	# no-node-init-barrier: found at 19 (random) and 376 (pct)
REORDER_EXECS=100000	# no-count-barrier: found at 18,291 of seed 0 (random, --jobs 2)
EXPLORE="--preemptions 0 --nmis 1 --reorder-budget 1 --slow 0"	# found after 29,982 schedules
FIXED_EXECS=5000
JOBS=2

# fuzz NAME WANT_RC SPEC [ARGS...]: a campaign from seed 0 into $tmp/NAME, its JSON summary in
# $tmp/NAME.json.  Every campaign stops at its first bug: a clean one runs its whole budget, and
# one that should be clean but is not (a crash in every execution, say) fails at once.
fuzz() {
	local name=$1 want=$2 spec=$3
	shift 3
	expect_rc "$want" "fuzz $spec $*" -- "$LS" fuzz "$spec" --seed 0 --jobs "$JOBS" \
		--out "$tmp/$name" --quiet --json --stop-on-bug "$@" || {
		grep -h '^title ' "$tmp/$name"/*.trace 2>/dev/null | head -3 | sed 's/^/  /' >&2
		return 1
	}
	cp "$tmp/out" "$tmp/$name.json"
}

# ---- qspinlock/mcs:no-node-init-barrier: relaxed only ------------------------------------------
BUG=qspinlock/mcs:no-node-init-barrier
for engine in random pct; do
	fuzz "relaxed-$engine" 1 "$BUG" --memory-model relaxed --engine "$engine" \
		--execs "$FOUND_EXECS" || continue
	kind=$(json 'j["first_bug_kind"]')
	at=$(json 'j["first_bug_exec"]')
	[ "$kind" = deadlock ] && ok "$BUG, relaxed, $engine: deadlock at execution $at" ||
		fail "$BUG, relaxed, $engine: first bug '$kind', want a deadlock"
	trace=$(json 'j["findings"][0]["trace"]')
	[ -f "$trace" ] || { fail "$BUG, relaxed, $engine: no trace at $trace"; continue; }
	grep -qx 'memory-model relaxed' "$trace" ||
		fail "$BUG, $engine: the trace has no 'memory-model relaxed' line"
	grep -qE '^@[0-9]+ (drain|old|emit) ' "$trace" ||
		fail "$BUG, $engine: the trace has no memory-model decision"
	expect_rc 0 "the $engine trace replays" -- "$LS" replay "$trace" --quiet

	# minimize keeps the bug: its output replays to the same bug, under the same model.
	min="$tmp/relaxed-$engine.min.trace"
	if expect_rc 0 "minimize keeps the $engine finding" -- "$LS" minimize "$trace" -o "$min" \
		--quiet; then
		expect_rc 0 "the minimized $engine trace replays" -- "$LS" replay "$min" --quiet
		[ "$(grep '^bug ' "$min")" = "$(grep '^bug ' "$trace")" ] ||
			fail "minimize changed the bug: $(grep '^bug ' "$min")"
		grep -qx 'memory-model relaxed' "$min" ||
			fail "the minimized trace has no 'memory-model relaxed' line"
		echo "  decisions: $(grep -c '^@' "$trace") -> $(grep -c '^@' "$min")"
	fi
	[ "$engine" = random ] && cp "$trace" "$tmp/found.trace"
done

# The timeline: a row where a store became visible (class "vis", op "drain") after the row that
# issued it (op "store", the same site, an earlier step).
if [ -f "$tmp/found.trace" ] &&
	expect_rc 0 "replay --html" -- "$LS" replay "$tmp/found.trace" --quiet --html "$tmp/t.html"; then
	if python3 - "$tmp/t.html" >"$tmp/html.out" 2>&1 <<'EOF'
import re, sys
rows = re.findall(r'<tr class="row([^"]*)"[^>]*data-step="(\d+)"[^>]*>(.*?)</tr>',
                  open(sys.argv[1]).read())
def site(body):
    m = re.search(r'<td class="st"><span>(?:visible to every CPU: )?(<b>.*?</b> in .*?)</span> '
                  r'<span>\((.*?)\)</span>', body)
    return m and m.groups()
drains = [(int(s), site(b)) for c, s, b in rows if 'vis' in c.split() and '<td>drain</td>' in b]
stores = [(int(s), site(b)) for c, s, b in rows if 'vis' not in c.split() and '<td>store</td>' in b]
if not drains:
    sys.exit('no row of class "vis" with op "drain"')
paired = [d for d in drains if d[1] and any(st[1] == d[1] and st[0] < d[0] for st in stores)]
if not paired:
    sys.exit('no drain row follows a store row of the same site: %r' % drains[:3])
print('%d drain rows, %d after their store\'s row' % (len(drains), len(paired)))
EOF
	then
		ok "the timeline marks a store's issue and its visibility ($(cat "$tmp/html.out"))"
	else
		fail "the timeline: $(cat "$tmp/html.out")"
	fi
fi

# explore: found within the smallest bounds; the same bounds are clean under sc (the search
# completes) and tso (cut at 100,000 schedules: its complete search takes 33 s).
# shellcheck disable=SC2086
if expect_rc 1 "explore $BUG --memory-model relaxed $EXPLORE" -- "$LS" explore "$BUG" \
	--memory-model relaxed $EXPLORE --out "$tmp/explore-relaxed" --quiet --json; then
	[ "$(json 'j["finding"]["kind"]')" = deadlock ] &&
		ok "explore: deadlock after $(json 'j["schedules"]') schedules" ||
		fail "explore found $(json 'j["finding"]'), want a deadlock"
	trace=$(json 'j["finding"]["trace"]')
	grep -qx 'memory-model relaxed' "$trace" || fail "explore's trace has no memory-model line"
	expect_rc 0 "explore's trace replays" -- "$LS" replay "$trace" --quiet
fi
# shellcheck disable=SC2086
if expect_rc 0 "explore $BUG --memory-model sc $EXPLORE" -- "$LS" explore "$BUG" \
	--memory-model sc $EXPLORE --out "$tmp/explore-sc" --quiet --json; then
	[ "$(json 'j["complete"]')" = True ] || fail "explore under sc did not complete"
fi
# shellcheck disable=SC2086
expect_rc 0 "explore $BUG --memory-model tso $EXPLORE --max-schedules 100000" -- "$LS" explore \
	"$BUG" --memory-model tso $EXPLORE --max-schedules 100000 --out "$tmp/explore-tso" --quiet \
	--json

# fuzz: the same budget under sc and tso is clean.
for mm in sc tso; do
	for engine in random pct; do
		fuzz "$mm-$engine" 0 "$BUG" --memory-model "$mm" --engine "$engine" \
			--execs "$FOUND_EXECS" || continue
		[ "$(json 'len(j["findings"])')" = 0 ] ||
			fail "$BUG under $mm ($engine): $(json '[f["title"] for f in j["findings"]]')"
	done
done

# ---- qspinlock/nmi-node:no-count-barrier: --compiler-reorder only ------------------------------
BUG=qspinlock/nmi-node:no-count-barrier
# The reused node shows as two queue heads: two owners at once (invariant) or a lost hand-over
# (deadlock), whichever the interleaving reaches first.
if fuzz reorder 1 "$BUG" --compiler-reorder --execs "$REORDER_EXECS"; then
	kind=$(json 'j["first_bug_kind"]')
	[ "$kind" = deadlock ] || [ "$kind" = invariant ] &&
		ok "$BUG, --compiler-reorder: $kind at execution $(json 'j["first_bug_exec"]')" ||
		fail "$BUG, --compiler-reorder: first bug '$kind', want a deadlock or two owners"
	trace=$(json 'j["findings"][0]["trace"]')
	grep -qx 'compiler-reorder' "$trace" || fail "$BUG: the trace has no compiler-reorder line"
	grep -qx 'memory-model sc' "$trace" || fail "$BUG: the trace has no 'memory-model sc' line"
	expect_rc 0 "the compiler-reorder trace replays" -- "$LS" replay "$trace" --quiet
fi
fuzz no-reorder 0 "$BUG" --execs "$REORDER_EXECS" &&
	[ "$(json 'len(j["findings"])')" = 0 ] || fail "$BUG without --compiler-reorder found something"

# ---- fixed: clean everywhere -------------------------------------------------------------------
for t in mcs nmi-node; do
	for mm in sc tso relaxed; do
		for cr in "" --compiler-reorder; do
			# shellcheck disable=SC2086
			fuzz "fixed-$t-$mm$cr" 0 "qspinlock/$t:fixed" --memory-model "$mm" $cr \
				--execs "$FIXED_EXECS"
		done
	done
done

# ---- correct locks stay clean: a model's own accesses are sequentially consistent ---------------
# Regression: the mutex and rwsem models call atomic.h's functions under their own site names
# (mutex_lock, down_read); those names were once read as relaxed orderings, and under relaxed
# contention/locks reported deadlocks and failed checks in correct code at once (execution 0 to
# 45 of seed 0).  They must stay clean.
for v in mutex mutex-trylock rwsem rwsem-trylock rwsem-downgrade spin raw-spin; do
	fuzz "locks-$v" 0 "contention/locks:$v" --memory-model relaxed --compiler-reorder \
		--execs "$FIXED_EXECS"
done

# ---- correct code the weak models once reported (false_reports.c) -----------------------------
if [ -n "$FALSE_REPORTS" ]; then
	# A trace records at most 63 bytes of a target's path, and a CI checkout's build directory can
	# be deeper than that: run the copy in the temporary directory by its relative path.
	cp "$FALSE_REPORTS" ./false_reports.so || fail "copying $FALSE_REPORTS"
	for v in irq-enable byte-then-word word-then-byte time-jump; do
		for mm in tso relaxed; do
			for cr in "" --compiler-reorder; do
				# shellcheck disable=SC2086
				fuzz "false-$v-$mm$cr" 0 "./false_reports.so:$v" --memory-model "$mm" $cr \
					--execs "$FIXED_EXECS"
			done
		done
	done
fi

# ---- litmus ------------------------------------------------------------------------------------
expect_rc 0 "litmus --memory-model tso 'SB*' 'MP*'" -- "$LS" litmus --memory-model tso 'SB*' 'MP*' &&
	grep -q '^SB+poonceonces .* tso Sometimes' "$tmp/out" ||
	fail "litmus: SB+poonceonces is not Sometimes under tso: $(grep '^SB+poonceonces' "$tmp/out")"

# ---- refusals ----------------------------------------------------------------------------------
# one_line WHAT: the last command's stderr is one line that says what is wrong.
one_line() {
	local n
	n=$(wc -l <"$tmp/err")
	[ "$n" -eq 1 ] || fail "$1: $n lines on stderr, want one: $(head -3 "$tmp/err")"
	grep -qi "$2" "$tmp/err" || fail "$1: the error does not mention $2: $(cat "$tmp/err")"
}
if [ -f "$tmp/found.trace" ]; then
	# An edited trace replays once its checksum line is gone; the bogus model must still fail.
	sed -e 's/^memory-model relaxed$/memory-model bogus/' -e '/^checksum /d' \
		"$tmp/found.trace" >"$tmp/bogus.trace"
	grep -qx 'memory-model bogus' "$tmp/bogus.trace" || fail "could not make the bogus trace"
	expect_rc 2 "a trace with 'memory-model bogus' is refused" -- "$LS" replay "$tmp/bogus.trace" &&
		one_line "replay of memory-model bogus" memory-model
	sed -e '/^checksum /d' "$tmp/found.trace" >"$tmp/edited.trace"
	expect_rc 0 "the same trace with the model intact and no checksum replays" -- \
		"$LS" replay "$tmp/edited.trace" --quiet
fi
for cmd in run fuzz explore; do
	expect_rc 2 "$cmd --memory-model bogus is refused" -- "$LS" $cmd qspinlock/mcs:fixed \
		--memory-model bogus --out "$tmp/bogus-$cmd" &&
		one_line "$cmd --memory-model bogus" memory-model
done
expect_rc 2 "litmus --memory-model bogus is refused" -- "$LS" litmus --memory-model bogus &&
	one_line "litmus --memory-model bogus" memory-model

# ---- the source tree ---------------------------------------------------------------------------
status_after=$(git -C "$SRC" status --porcelain 2>/dev/null)
if [ "$status_before" = "$status_after" ]; then
	ok "git status of the source tree unchanged"
else
	fail "git status of the source tree changed:"
	diff <(echo "$status_before") <(echo "$status_after") >&2
fi

finish memory-cli
