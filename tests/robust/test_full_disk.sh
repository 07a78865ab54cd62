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

# A bug's trace already saved, then the disk fills: a later campaign's smaller trace of it cannot
# replace it, and the trace and report there stay as they were, a pair, and count as saved.
"${inside[@]}" sh -c '
	mount -t tmpfs -o size=64k tmpfs disk || exit 99
	"$1" fuzz demo/nmi-aa:buggy --execs 9 --jobs 1 --out disk/c --quiet >/dev/null 2>&1
	cp disk/c/*.trace before.trace && cp disk/c/*.txt before.txt
	dd if=/dev/zero of=disk/filler bs=4096 >/dev/null 2>&1
	"$1" fuzz demo/nmi-aa:buggy --execs 2000 --jobs 1 --out disk/c --quiet --json >out2 2>err2
	echo $? >rc2
	cmp -s disk/c/*.trace before.trace && echo trace >same
	cmp -s disk/c/*.txt before.txt && echo report >>same
	find disk -name ".*.tmp.*" >tmps2
' sh "$LS"
[ "$(cat rc2 2>/dev/null)" = 1 ] || fail "the second campaign exited $(cat rc2 2>/dev/null), want 1"
grep -q "cannot save a smaller trace of .*No space left on device; the trace already there stays" err2 ||
	fail "no smaller trace was refused (the test shows nothing): $(head -3 err2)"
[ "$(tr '\n' ' ' <same 2>/dev/null)" = "trace report " ] ||
	fail "the trace or report already there changed: $(cat same 2>/dev/null)"
[ "$(json_in out2 'all(f["saved"] for f in j["findings"])' 2>/dev/null)" = True ] ||
	fail "the bug whose trace stayed is not counted as saved: $(tail -1 out2)"
[ -s tmps2 ] && fail "temporary files left: $(cat tmps2)"
ok "full disk: a smaller trace that cannot replace the saved one leaves it and its report"

finish robust-full-disk
