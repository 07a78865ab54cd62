#!/usr/bin/env bash
# How many bugs each in-tree variant that expects a finding yields: `lockstep fuzz` with a fixed
# budget and seed on every such variant, counting the distinct bugs of its summary (src/bug.c)
# that are bugs for the variant, then every distinct bug whatever its kind, with their titles.
# The counts are what each target's header states as its variants' root causes.
# Usage: bench/bug_counts.sh BUILD_DIR [EXECS] [SPEC...]   (default 20000 executions, --jobs 2)
set -u
build=${1:?usage: bug_counts.sh BUILD_DIR [EXECS] [SPEC...]}
execs=${2:-20000}
shift 2 2>/dev/null || shift $#
ls=$build/lockstep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
	mapfile -t specs < <("$ls" list | awk '/^[^ ].*: / { t = $1; sub(":$", "", t) }
		/^  [^ ]+ +expect / && $3 != "never" { print t ":" $1 }')
else
	specs=("$@")
fi
printf '%-50s %8s %5s %5s  %s\n' variant execs bugs all titles
for spec in "${specs[@]}"; do
	out=$tmp/out
	"$ls" fuzz "$spec" --execs "$execs" --jobs 2 --seed 0 --quiet --json -o "$tmp/d" \
		>"$out" 2>/dev/null
	python3 - "$spec" "$out" <<'PY'
import json, sys
spec, path = sys.argv[1], sys.argv[2]
try:
    j = json.loads(open(path).read().strip().splitlines()[-1])
except Exception:
    print("%-50s  (no summary)" % spec)
    sys.exit(0)
f = j["findings"]
bugs = [x for x in f if x["bug"]]
print("%-50s %8d %5d %5d  %s" % (spec, j["execs"], len(bugs), len(f),
      " | ".join(("" if x["bug"] else "(expected) ") + x["title"] for x in f)))
PY
	rm -rf "$tmp/d"
done
