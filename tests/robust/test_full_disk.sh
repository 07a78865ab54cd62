#!/usr/bin/env bash
# Suite `robust`, full-disk: a campaign whose findings directory fills up (a 64 KiB tmpfs, in a
# mount namespace of the test's own) keeps finding and reporting: each finding it cannot save is
# printed with the reason, the summary and the JSON say which were not saved, the directory holds
# no report without its trace and no temporary file, and the campaign ends with its own exit code.
# Skipped (77) where the test cannot mount a tmpfs.
# Usage: test_full_disk.sh LOCKSTEP
set -u

LS=$(realpath "${1:?usage: test_full_disk.sh LOCKSTEP}")
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"
cd "$tmp" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}symbolize=0"
mkdir disk

# In a user and mount namespace when unprivileged; the mount is gone when the shell ends.
inside=(unshare -rm)
[ "$(id -u)" -eq 0 ] && inside=(unshare -m)
if ! "${inside[@]}" sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh disk 2>/dev/null; then
	echo "skip: cannot mount a tmpfs here (no user or mount namespaces)"
	exit 77
fi

# demo/nmi-aa:buggy is one bug whose trace is replaced by smaller ones as the campaign goes:
# with all but one page of the 64 KiB taken, its report and traces do not fit.
"${inside[@]}" sh -c '
	mount -t tmpfs -o size=64k tmpfs disk || exit 99
	head -c 61440 /dev/zero >disk/filler 2>/dev/null
	"$1" fuzz demo/nmi-aa:buggy --execs 20000 --jobs 2 --out disk/c --quiet --json >out 2>err
	echo $? >rc
	rm -f disk/filler
	find disk -name "*.txt" | sort >txts
	find disk -name "*.trace" | sort >traces
	find disk -name ".*.tmp.*" >tmps
	df -k disk | tail -1 >df
' sh "$LS"
rc=$(cat rc 2>/dev/null)
if [ "$rc" = 99 ]; then
	echo "skip: the tmpfs could not be mounted"
	exit 77
fi
[ "$rc" = 1 ] || fail "the campaign on a full disk exited ${rc:-?}, want 1: $(head -3 err)"
grep -q "cannot save .*No space left on device; the finding is reported here only" err ||
	fail "no finding was refused by the full disk (the test shows nothing): $(head -3 err)"
json=$(tail -n 1 out)
saved=$(python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(sum(f["saved"] for f in j["findings"]), sum(not f["saved"] for f in j["findings"]))' "$json") ||
	fail "no JSON summary: $(tail -2 out)"
read -r yes no <<<"$saved"
[ "${no:-0}" -gt 0 ] || fail "the JSON says every finding was saved: $saved"
grep -q "(not saved: No space left on device)" out ||
	fail "the summary does not say which findings were not saved"
while read -r t; do
	grep -qxF "${t%.txt}.trace" traces || fail "report $t without its trace"
done <txts
[ -s tmps ] && fail "temporary files left: $(cat tmps)"
ok "full disk: $yes findings saved, $no reported only; exit 1, no report without its trace"

finish robust-full-disk
