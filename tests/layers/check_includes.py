#!/usr/bin/env python3
"""Suite `layers`: the include rule of docs/architecture.md, checked over every #include.

Each source file's quoted includes are resolved to a path in the repository (relative to the
file, then to the include directories sched/, src/ and include/), and <lockstep/...> includes to
include/lockstep/.  A file may include only what its layer allows:

  include/lockstep/  the public API targets build against: only include/lockstep/
  sched/             the machine: words, contexts, time and choices: sched/ and the public
                     runtime and target declarations, never models, the validator, reports,
                     targets or the CLI
  src/lockdep/       the validator: sched/, the public API, buf and version
  src/model/         the model library: the public API, the runtime below it and the
                     validator's hooks, never the executor, traces, reports or the CLI
  targets/           scenarios: the public API and their own headers; targets.c (the registry)
                     also trace.h and buf.h
  src/campaign/      campaigns: the executor and everything below, never the CLI
  src/ (exec, trace, report, findings, timeline, buf)  the executor: everything below it and
                     the target registry, never campaigns or the CLI
  fuzz/, src/native/ front ends below the CLI: everything but src/cli/
  src/cli/, tests/, bench/  anything
Prints each violation as FILE:LINE: INCLUDE (RULE) and exits 1 if there is one.
Usage: check_includes.py [ROOT [MIN_FILES]] (fewer files than MIN_FILES, 50, is an error: the
wrong directory checks nothing).  tests/layers/fixture holds one violation of each kind, which
the suite checks are all reported.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
MIN_FILES = int(sys.argv[2]) if len(sys.argv) > 2 else 50
INCLUDE_DIRS = ["sched", "src", "include"]
PUBLIC = "include/lockstep/"
RUNTIME = [PUBLIC + "runtime.h", PUBLIC + "target.h"]

# (prefix of the including file, allowed prefixes of included files, what the rule says)
RULES = [
    ("include/lockstep/", [PUBLIC], "the public API includes only the public API"),
    ("sched/", ["sched/"] + RUNTIME + ["src/version.h"],
     "sched/ knows words, contexts, time and choices: no models, validator, reports or targets"),
    ("src/lockdep/", ["src/lockdep/", "sched/", PUBLIC, "src/buf.h", "src/version.h"],
     "the validator sits on the machine"),
    ("src/model/", ["src/model/", PUBLIC, "sched/", "src/lockdep/lockdep.h"],
     "models know the runtime and the validator's hooks, not the executor or the CLI"),
    ("targets/targets.", ["targets/", PUBLIC, "src/trace.h", "src/buf.h", "src/exec.h",
                          "sched/"],
     "the target registry reads traces' target lines and hashes objects"),
    ("targets/", ["targets/", PUBLIC], "scenarios build against the public API only"),
    ("src/native/", ["src/", "sched/", "targets/", PUBLIC], "the stress child is no CLI"),
    ("fuzz/", ["fuzz/", "src/", "sched/", "targets/", PUBLIC], "harnesses are no CLI"),
    ("src/cli/", None, "the CLI knows everything"),
    ("src/", ["src/", "sched/", "targets/targets.h", PUBLIC], "below the CLI"),
]
FORBIDDEN_BELOW_CLI = "src/cli/"
CAMPAIGN = "src/campaign/"
# Who may use the campaign layer: itself, and the layers above it.
ABOVE_CAMPAIGN = ["src/campaign/", "src/cli/", "src/native/", "fuzz/"]

INC = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def resolve(src, kind, name):
    if kind == "<":
        return os.path.normpath("include/" + name) if name.startswith("lockstep/") else None
    cands = [os.path.join(os.path.dirname(src), name)] + [os.path.join(d, name) for d in INCLUDE_DIRS]
    for c in cands:
        p = os.path.normpath(c)
        if os.path.exists(os.path.join(ROOT, p)):
            return p
    return None  # generated (version.h) or a system header


def rule_for(path):
    for prefix, allowed, why in RULES:
        if path.startswith(prefix):
            return allowed, why
    return None, None


def main():
    bad = 0
    files = 0
    for top in ["include", "sched", "src", "targets", "fuzz"]:
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, n), ROOT)
                allowed, why = rule_for(path)
                files += 1
                with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INC.match(line)
                        if not m:
                            continue
                        target = resolve(path, m.group(1), m.group(2))
                        if m.group(1) == '"' and m.group(2) == "version.h":
                            target = "src/version.h"  # generated from src/version.h.in
                        if target is None:
                            continue
                        ok = allowed is None or any(target.startswith(a) for a in allowed)
                        if not path.startswith("src/cli/") and target.startswith(FORBIDDEN_BELOW_CLI):
                            ok = False
                        if target.startswith(CAMPAIGN) and \
                                not any(path.startswith(a) for a in ABOVE_CAMPAIGN):
                            ok = False
                            why = "the executor knows no campaign"
                        if not ok:
                            print("%s:%d: %s (%s)" % (path, lineno, target, why))
                            bad += 1
    if files < MIN_FILES:
        print("only %d files found under %s: wrong directory?" % (files, ROOT))
        return 1
    print("%d files, %d violations of the include rule" % (files, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
