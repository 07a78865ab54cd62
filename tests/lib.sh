# Shared by the shell suites (cli, oot, engines-explore, campaign, robust, ...): a scratch directory
# removed on exit, failure counting, running a command against its expected exit status, and
# reading its JSON summary.
# Source it after `set -u`; end the script with `finish NAME`.

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

ok() {
	echo "ok   $*"
}

# expect_rc WANT DESCRIPTION -- CMD...: runs CMD, stdout/stderr to $tmp/out, $tmp/err; on a wrong
# exit status says so with the end of stdout and the start of stderr.
expect_rc() {
	local want=$1 what=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, want $want ($*)"
		sed 's/^/  stdout: /' "$tmp/out" | tail -5 >&2
		sed 's/^/  stderr: /' "$tmp/err" | head -5 >&2
		return 1
	fi
	ok "$what"
}

# json EXPR: a Python expression over the JSON summary a command printed last ($tmp/out's last
# line), bound to j.
json() {
	json_in "$tmp/out" "$1"
}

# json_in FILE EXPR: the same over the last line of FILE.
json_in() {
	tail -n 1 "$1" | python3 -c "import json, sys; j = json.load(sys.stdin); print($2)"
}

# finish NAME: the script's exit status, 1 if anything failed.
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$1: $fails failure(s)" >&2
		exit 1
	fi
	exit 0
}
