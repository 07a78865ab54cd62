#!/usr/bin/env bash
# A PNG of one timeline page as headless Chromium draws it at a fixed window size, after the page's
# script ran (contexts outside the finding folded).  docs/timeline.png is this script's output,
# at 1400 1150, for the page of tests/findings/deadlock-877941c8138a.trace (the kptr NMI AA
# deadlock); the suite `timeline` makes one into its scratch directory to check it still can.
# Usage: screenshot.sh PAGE.html OUT.png [WIDTH HEIGHT]   (exit 77: no Chromium)
set -u

page=${1:?usage: screenshot.sh PAGE.html OUT.png [WIDTH HEIGHT]}
out=${2:?usage: screenshot.sh PAGE.html OUT.png [WIDTH HEIGHT]}
width=${3:-1400}
height=${4:-1000}

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chrome" ] || { echo "screenshot.sh: no chromium" >&2; exit 77; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium refuses to run as root without it.
timeout 60 "$chrome" --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars \
	--user-data-dir="$profile" --window-size="$width,$height" --screenshot="$out" \
	"file://$(realpath "$page")" >/dev/null 2>"$profile/err"
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$out" ]; then
	echo "screenshot.sh: chromium exit $rc: $(grep -v dbus "$profile/err" | head -3)" >&2
	exit 1
fi
