#!/usr/bin/env bash
# Suite `litmus`: the memory models against the kernel's litmus tests.  `lockstep litmus` explores
# every test of targets/litmus/ under sc, tso and relaxed and exits 0 only when each verdict is
# the one the test states: sequential consistency's, x86-TSO's, and LKMM's (herd7) except where
# the test declares that lockstep's operational model differs by design (docs/memory-models.md).
# This checks that it ran every test to a verdict, that relaxed agrees with LKMM on all but the
# declared ones, and that no test's outcome shows under sc.
# Usage: test_litmus.sh LOCKSTEP
set -u
LS=${1:?usage: test_litmus.sh LOCKSTEP}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$LS" litmus --json >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "lockstep litmus exited $rc: $(cat "$tmp/err")"
python3 - "$tmp/out" <<'PY' || fails=$((fails + 1))
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
tests = j["tests"]
bad = []
if len(tests) < 30:
    bad.append("only %d litmus tests" % len(tests))
lkmm_agree = 0
for t in tests:
    models = {m["model"]: m for m in t["models"]}
    for name in ("sc", "tso", "relaxed"):
        m = models.get(name)
        if not m or not m["complete"] or not m["ok"]:
            bad.append("%s under %s: %s" % (t["name"], name, m))
    if models["relaxed"]["verdict"] == t["lkmm"]:
        lkmm_agree += 1
    elif not t["differs"]:
        bad.append("%s: relaxed says %s, LKMM %s, and no difference is declared"
                   % (t["name"], models["relaxed"]["verdict"], t["lkmm"]))
    # A test whose outcome is allowed under sc would not test a memory model.
    if models["sc"]["verdict"] != "Never":
        bad.append("%s: its outcome shows under sc" % t["name"])
if j["mismatches"] or j["unfinished"]:
    bad.append("mismatches %d, unfinished %d" % (j["mismatches"], j["unfinished"]))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
print("litmus: %d tests; relaxed agrees with LKMM on %d, %d declared differences"
      % (len(tests), lkmm_agree, len(tests) - lkmm_agree))
sys.exit(1 if bad else 0)
PY

# One test under one model; the stated verdicts; bad usage; and a search cut short, which has no
# verdict and so exits 1 rather than counting as stated.
"$LS" litmus 'SB+poonceonces' --memory-model tso >"$tmp/sb" 2>&1
[ $? -eq 0 ] && grep -q 'tso Sometimes' "$tmp/sb" || fail "SB+poonceonces under tso: $(cat "$tmp/sb")"
"$LS" litmus --list | grep -q '^SB+poonceonces .*sc Never .*tso Sometimes .*LKMM Sometimes' ||
	fail "--list does not state SB+poonceonces's verdicts"
"$LS" litmus 'no-such-test' >/dev/null 2>"$tmp/none"
[ $? -eq 2 ] || fail "an unknown pattern did not exit 2"
"$LS" litmus --memory-model bogus >/dev/null 2>"$tmp/bogus"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/bogus")" -eq 1 ] || fail "--memory-model bogus: $(cat "$tmp/bogus")"
# A search cut short has no verdict: exit 1, never "as stated".
"$LS" litmus 'IRIW+fencembonceonces+OnceOnce' --memory-model relaxed --max-executions 100 \
	>"$tmp/cut" 2>&1
[ $? -eq 1 ] && grep -q 'without a verdict' "$tmp/cut" || fail "a cut search: $(cat "$tmp/cut")"

[ "$fails" -eq 0 ] || { echo "litmus: $fails failure(s)" >&2; exit 1; }
echo "litmus: ok"
