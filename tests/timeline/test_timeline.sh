#!/usr/bin/env bash
# Suite `timeline`: `lockstep replay TRACE --html FILE` on the shipped findings in tests/findings/: the
# replay's output and exit status unchanged, two renders byte-identical, nothing fetched from
# anywhere, the page's report what replay printed, per-CPU lock instances named by their CPU; then,
# in headless Chromium, one lane per CPU, the NMI's band, and the highlighted wait-for cycle naming
# its locks, in the DOM after the page's script ran; the rows of contexts outside the finding folded
# until "show all contexts" is clicked; no cell cut off at 1000 and 1400 px; a screenshot.  Pages
# are written under a scratch directory, never into the source tree.
# Usage: test_timeline.sh PATH/TO/lockstep SOURCE_DIR
set -u

LS=${1:?usage: test_timeline.sh LOCKSTEP SOURCE_DIR}
SRC=${2:?usage: test_timeline.sh LOCKSTEP SOURCE_DIR}
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

ABBA=$SRC/tests/findings/deadlock-9897ee4b79c1.trace		# demo/abba: ABBA deadlock, 2 CPUs
NMI=$SRC/tests/findings/deadlock-5863c16e5e67.trace		# demo/nmi-aa: NMI AA deadlock
KPTR=$SRC/tests/findings/deadlock-877941c8138a.trace		# kptr/dtor-nmi:inline: NMI AA on a per-CPU lock
LOCKDEP=$SRC/tests/findings/ABBA-2d8c8342bce8.trace		# demo/abba: the validator's ABBA, no hang
names="abba nmi kptr lockdep"
trace_of() {
	case $1 in
	abba) echo "$ABBA" ;; nmi) echo "$NMI" ;; kptr) echo "$KPTR" ;; lockdep) echo "$LOCKDEP" ;;
	esac
}

# The <pre> of the page, unescaped: what replay printed.
page_report() {
	python3 -c 'import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<aside id=\"report\"><h2>report</h2><pre>(.*?)</pre>", s, re.S)
sys.stdout.write(html.unescape(m.group(1)) if m else "NO REPORT\n")' "$1"
}

for n in $names; do
	t=$(trace_of "$n")
	expect_rc 0 "$n: replay without --html" -- "$LS" replay "$t" || continue
	cp "$tmp/out" "$tmp/$n.plain"
	expect_rc 0 "$n: replay --html" -- "$LS" replay "$t" --html "$tmp/$n.html" || continue
	cmp -s "$tmp/out" "$tmp/$n.plain" || fail "$n: --html changed what replay prints"
	[ -s "$tmp/$n.html" ] || { fail "$n: no page written"; continue; }
	expect_rc 0 "$n: a second render (--quiet)" -- "$LS" replay "$t" --quiet --html "$tmp/$n.2.html"
	cmp -s "$tmp/$n.html" "$tmp/$n.2.html" || fail "$n: two renders of one trace differ"
	if grep -Eiq 'https?:|src=|@import|url\(|<link' "$tmp/$n.html"; then
		fail "$n: the page refers to something outside it: $(grep -Eio '.{20}(https?:|src=|@import|url\(|<link).{20}' "$tmp/$n.html" | head -1)"
	fi
	page_report "$tmp/$n.html" >"$tmp/$n.report"
	cmp -s "$tmp/$n.report" "$tmp/$n.plain" || fail "$n: the page's report is not what replay printed"
	grep -q '<script>' "$tmp/$n.html" || fail "$n: no inline script"
done
ls -A "$tmp" | grep -q '\.tmp\.\|\.probe\.' && fail "a temporary file was left behind: $(ls -A "$tmp")"

# The highlight as written: the cycle's locks and its waiting rows.
grep -q 'class="hot-lock" data-lock="L[0-9]*">lock_a<' "$tmp/abba.html" &&
	grep -q 'class="hot-lock" data-lock="L[0-9]*">lock_b<' "$tmp/abba.html" ||
	fail "abba: the cycle's locks lock_a and lock_b are not highlighted"
for c in t0 t1; do
	grep -q "<tr class=\"row hot\"[^>]*data-ctx=\"$c\"><td class=\"n\">[0-9]*</td><td class=\"t\">[0-9]*</td>.*<td>park</td>" "$tmp/abba.html" ||
		fail "abba: $c's waiting step is not highlighted"
done
grep -q 'class="hot-lock" data-lock="L[0-9]*">lock_a<' "$tmp/lockdep.html" &&
	grep -q 'class="hot-lock" data-lock="L[0-9]*">lock_b<' "$tmp/lockdep.html" ||
	fail "lockdep: the report's classes lock_a and lock_b are not highlighted"
grep -q '<i class="b bn' "$tmp/nmi.html" || fail "nmi: no NMI band"
ok "the highlight and the NMI band are in the pages"

# Per-CPU instances of one lock: kptr's two &rcu_data[cpu].nocb_lock are each used on one CPU only,
# so they are named by it; a lock alone under its name keeps its bare name.
legend() { sed -n '/<section id="locks">/,/<\/section>/p' "$tmp/$1.html"; }
for cpu in 0 1; do
	legend kptr | grep -q "<span class=\"ky\">L[0-9]* </span>&amp;rcu_data\[cpu\]\.nocb_lock (cpu$cpu)</span>" ||
		fail "kptr: the per-CPU lock used on cpu$cpu is not named '(cpu$cpu)': $(legend kptr | grep nocb_lock | head -2)"
done
grep -q 'nocb_lock #[0-9]' "$tmp/kptr.html" && fail "kptr: a per-CPU instance is still numbered: $(grep -o '[^>]*nocb_lock #[0-9]' "$tmp/kptr.html" | head -1)"
grep -q 'class="hot-lock" data-lock="L[0-9]*">&amp;rcu_data\[cpu\]\.nocb_lock (cpu0)<' "$tmp/kptr.html" ||
	fail "kptr: the cycle's lock is not named as cpu0's instance"
legend nmi | grep -q '<span class="ky">L0 </span>lock</span>' || fail "nmi: the only lock is not named plainly 'lock'"
ok "per-CPU lock instances are named by their CPU, a lone lock by its name"

# Folding needs the script: without it every row shows, and the markers stay hidden.
grep -q '<body>' "$tmp/kptr.html" || fail "kptr: the static <body> has attributes: folding is not the script's"
grep -q 'class="row other"' "$tmp/kptr.html" || fail "kptr: no row is marked as outside the finding"
grep -q '#tl tr.fold,body.folded #tl tr.other{display:none}' "$tmp/kptr.html" ||
	fail "kptr: rows outside the finding are hidden other than under body.folded, the class the script adds"
for n in abba lockdep; do
	grep -q 'class="row other\|class="fold"' "$tmp/$n.html" && fail "$n: every context takes part, yet some rows fold"
done
ok "the static pages fold nothing; only kptr and nmi have rows to fold"

# Refused before anything runs: exit 2, one line on stderr, nothing written.
for bad in "$tmp/no/such/dir/x.html" "$tmp"; do
	expect_rc 2 "--html $bad is refused" -- "$LS" replay "$ABBA" --html "$bad"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--html $bad: $(wc -l <"$tmp/err") lines on stderr, want 1"
	[ -s "$tmp/out" ] && fail "--html $bad: the replay ran: $(head -1 "$tmp/out")"
done

# A raw fuzzer input (--target) gets a page too.
printf '\000\001\000\003' >"$tmp/raw.in"
"$LS" replay --target demo/abba:buggy "$tmp/raw.in" --out "$tmp/raw" --html "$tmp/raw.html" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
{ [ "$rc" -le 1 ] && [ -s "$tmp/raw.html" ]; } || fail "replay --target --html: exit $rc, page: $(ls "$tmp/raw.html" 2>&1)"

if [ "$fails" -ne 0 ]; then
	finish timeline
fi

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
	echo "SKIP: no chromium to render the pages in (./setup.sh installs it); the text checks passed"
	exit 77
fi

# The DOM after the page's script ran.  --no-sandbox: Chromium refuses to run as root without it.
for n in $names; do
	timeout 60 "$chrome" --headless --disable-gpu --no-sandbox --no-first-run \
		--user-data-dir="$tmp/chrome" --dump-dom "file://$tmp/$n.html" >"$tmp/$n.dom" 2>"$tmp/chrome.err"
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/$n.dom" ]; then
		fail "$n: chromium exit $rc: $(grep -v dbus "$tmp/chrome.err" | head -3)"
		continue
	fi
	grep -q '<body[^>]* data-js="ran">' "$tmp/$n.dom" || { fail "$n: the page's script did not run"; continue; }
	cpus=$(grep -Ec '^CPU[0-9]+:' "$tmp/$n.plain")
	lanes=$(grep -o '<th class="lane" data-cpu="[0-9]*"' "$tmp/$n.dom" | sort -u | wc -l)
	[ "$cpus" -ge 1 ] && [ "$lanes" -eq "$cpus" ] || fail "$n: $lanes lanes, the report shows $cpus CPUs"
	grep -q "<p id=\"summary\" data-lanes=\"$cpus\"" "$tmp/$n.dom" ||
		fail "$n: the script counted other lanes: $(grep -o '<p id="summary"[^>]*>' "$tmp/$n.dom")"
	ok "$n: $lanes lanes, one per CPU, and the script ran"
done
nmi_bands() { grep -o 'data-nmi-bands="[0-9]*"' "$tmp/$1.dom" | grep -o '[0-9][0-9]*'; }
[ "$(nmi_bands nmi)" -gt 0 ] 2>/dev/null || fail "nmi: no NMI band in the DOM"
[ "$(nmi_bands kptr)" -gt 0 ] 2>/dev/null || fail "kptr: no NMI band in the DOM"
[ "$(nmi_bands abba)" = 0 ] || fail "abba: NMI bands where no NMI ran: $(nmi_bands abba)"
grep -q 'highlighted: lock_a, lock_b\.' "$tmp/abba.dom" ||
	fail "abba: the script did not find the cycle's locks: $(grep -o '<p id="summary".*</p>' "$tmp/abba.dom")"
grep -q 'data-hot-rows="2" data-hot-bars="[1-9]' "$tmp/abba.dom" ||
	fail "abba: want the 2 waiting steps and the cycle's bars highlighted: $(grep -o '<p id="summary"[^>]*>' "$tmp/abba.dom")"
grep -q 'highlighted: lock\.' "$tmp/nmi.dom" || fail "nmi: the cycle's lock is not highlighted"
grep -q 'highlighted: lock_a, lock_b\.' "$tmp/lockdep.dom" || fail "lockdep: the report's locks are not highlighted"
ok "the DOM has the NMI bands and the highlighted locks"

# What a reader sees, measured in Chromium: a copy of each page with a probe run after the page's
# script; it notes which contexts' rows are displayed by default, after one click on the toggle and
# after a second, and where the table's cells and the report are, as JSON in <pre id="probe">.
cat >"$tmp/probe.js" <<'JS'
<script>
(function(){
var q=function(s){return Array.prototype.slice.call(document.querySelectorAll(s));};
var shown=function(e){return e.getClientRects().length>0;};
var rows=function(){var o={};q('#tl tr.row').forEach(function(tr){
  var c=tr.getAttribute('data-ctx');o[c]=o[c]||{shown:0,hidden:0};o[c][shown(tr)?'shown':'hidden']++;});
  return {rows:o,markers:q('#tl tr.fold').filter(shown).map(function(t){return t.textContent;})};};
var layout=function(){var vw=document.documentElement.clientWidth,wrap=document.getElementById('tlwrap');
  var w=wrap.getBoundingClientRect(),rep=document.getElementById('report').getBoundingClientRect();
  var th=q('#tl thead th'),site=th.filter(function(e){return e.textContent==='site';})[0];
  return {vw:vw,pagewidth:document.documentElement.scrollWidth,
    clipped:q('#tl th,#tl td').filter(function(c){return shown(c)&&c.scrollWidth>c.clientWidth+1;})
      .map(function(c){return (c.className||c.tagName)+' '+c.scrollWidth+'>'+c.clientWidth;}),
    site_right:site?site.getBoundingClientRect().right:-1,wrap_right:w.right,
    overlap:!(rep.top>=w.bottom-1||rep.left>=w.right-1)};};
var r={fold:rows(),layout:layout()},b=document.getElementById('fold-toggle');
if(b){r.label=b.textContent;b.click();r.all=rows();r.label2=b.textContent;b.click();r.again=rows();}
var p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify(r);document.body.appendChild(p);
})();
</script>
JS
mkdir -p "$tmp/look"
probe() { # probe NAME WIDTH: the probe's JSON for page NAME in a window WIDTH px wide
	python3 -c 'import sys
page, js, out = sys.argv[1:]
s = open(page, encoding="utf-8").read()
open(out, "w", encoding="utf-8").write(s.replace("</body>", open(js).read() + "</body>"))' \
		"$tmp/$1.html" "$tmp/probe.js" "$tmp/look/$1.html"
	timeout 60 "$chrome" --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars \
		--user-data-dir="$tmp/chrome" --window-size="$2,900" --dump-dom "file://$tmp/look/$1.html" \
		2>"$tmp/chrome.err" | python3 -c 'import html, re, sys
m = re.search(r"<pre id=\"probe\">(.*?)</pre>", sys.stdin.read(), re.S)
print(html.unescape(m.group(1)) if m else "{}")' >"$tmp/look/$1.$2.json"
}
# check NAME WIDTH "PYTHON CONDITION" WHAT: fails with WHAT unless the condition holds of the JSON p.
check() {
	python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
rows = lambda state: p.get(state, {}).get("rows", {})
hidden = lambda state: sorted(c for c, n in rows(state).items() if n["hidden"])
never_hidden = lambda state: sorted(c for c, n in rows(state).items() if not n["hidden"])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/look/$1.$2.json" "$3" 2>"$tmp/check.err" ||
		fail "$1 at $2 px: $4: $(head -c 600 "$tmp/look/$1.$2.json") $(tail -1 "$tmp/check.err")"
}
for n in $names; do
	probe "$n" 1000
done
probe kptr 1400

# Folded by default: the rows of contexts outside the finding; its participants' rows never.
check kptr 1000 'hidden("fold") == ["nmi_handler@cpu1", "prog1"] and never_hidden("fold") == ["nmi_handler@cpu0", "prog0"]' \
	"want prog1's and nmi_handler@cpu1's rows hidden by default, prog0's and nmi_handler@cpu0's shown"
check kptr 1000 'p["label"] == "show all contexts" and hidden("all") == [] and never_hidden("again") == ["nmi_handler@cpu0", "prog0"] and hidden("again") == ["nmi_handler@cpu1", "prog1"]' \
	"want every row shown after one click on 'show all contexts', folded again after a second"
check kptr 1000 'any("31 rows of prog1, nmi_handler@cpu1 folded" in m for m in p["fold"]["markers"]) and p["all"]["markers"] == []' \
	"want a marker naming the folded run while folded, none when all is shown"
check nmi 1000 'hidden("fold") == ["nmi_handler@cpu1", "t1"] and never_hidden("fold") == ["nmi_handler@cpu0", "t0"] and hidden("all") == []' \
	"want t1's and nmi_handler@cpu1's rows folded until the toggle, t0's and nmi_handler@cpu0's always shown"
for n in abba lockdep; do
	check "$n" 1000 'hidden("fold") == [] and "label" not in p and p["fold"]["markers"] == []' \
		"every context takes part: want nothing folded and no toggle"
done
ok "rows outside the finding fold by default and show after one click; participants' rows never hide"

# From 1000 px wide: no cell cut off, the site column inside the window and beside nothing, the
# report clear of the timeline.
for look in "abba 1000" "nmi 1000" "kptr 1000" "lockdep 1000" "kptr 1400"; do
	read -r n w <<<"$look"
	check "$n" "$w" 'p["layout"]["clipped"] == []' "cells cut off"
	check "$n" "$w" '0 < p["layout"]["site_right"] <= min(p["layout"]["wrap_right"], p["layout"]["vw"]) + 1' \
		"the site column ends outside the window or its container"
	check "$n" "$w" 'not p["layout"]["overlap"] and p["layout"]["pagewidth"] <= p["layout"]["vw"]' \
		"the report overlaps the timeline, or the page is wider than the window"
done
ok "at 1000 and 1400 px no cell is cut off and the site column is in view"

# The screenshot docs/timeline.png is made with, into the scratch directory.
bash "$(dirname "$0")/screenshot.sh" "$tmp/kptr.html" "$tmp/kptr.png" 1400 1000 ||
	fail "screenshot.sh failed"
python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
ok = b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (1400, 1000) and len(b) < 200000
sys.exit(0 if ok else 1)' "$tmp/kptr.png" 2>/dev/null ||
	fail "kptr: the screenshot is not a 1400x1000 PNG under 200 KB: $(ls -l "$tmp/kptr.png" 2>&1)"
ok "a 1400x1000 screenshot of the kptr page"

finish timeline
