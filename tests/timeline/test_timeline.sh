#!/usr/bin/env bash
# Suite `timeline`: `lockstep replay TRACE --html FILE` on the shipped findings in tests/findings/: the
# replay's output and exit status unchanged, two renders byte-identical, nothing fetched from
# anywhere, the page's report what replay printed; then, in headless Chromium, one lane per CPU,
# the NMI's band, and the highlighted wait-for cycle naming its locks, in the DOM after the page's
# script ran.  Pages are written under a scratch directory, never into the source tree.
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
	grep -q '<body data-js="ran">' "$tmp/$n.dom" || { fail "$n: the page's script did not run"; continue; }
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

finish timeline
