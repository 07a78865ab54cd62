#!/usr/bin/env python3
"""Writes the scdoc source of lockstep-COMMAND(1) from `lockstep COMMAND --help`.

The options, the usage line and the description are single-sourced in the command's own option
table (src/cli/cmd_*.c); this turns that text into a man page, and scdoc(1) turns the page into
roff at build time.  Usage: command-page.py LOCKSTEP COMMAND > lockstep-COMMAND.1.scd
"""
import re
import subprocess
import sys


def esc(text):
    """Escapes scdoc's inline markers (* and _ toggle bold and underline) and backslashes."""
    return re.sub(r'([\\*_])', r'\\\1', text)


def main():
    lockstep, cmd = sys.argv[1], sys.argv[2]
    out = subprocess.run([lockstep, cmd, '--help'], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    usage = out[0]
    if not usage.startswith('usage: '):
        sys.exit('command-page.py: %s --help: no usage line' % cmd)
    i = 1
    desc = []
    while i < len(out) and out[i] != 'options:':
        desc.append(out[i])
        i += 1
    paras = [p.strip() for p in '\n'.join(desc).split('\n\n') if p.strip()]
    options = []
    for line in out[i + 1:]:
        # "  -n, --name METAVAR   help" or "      --name METAVAR   help": the help starts in
        # column 31, or one space after a left part too long for it.
        m = re.match(r'  (?:(-\w), |    )(--\S+)(?: ([A-Z][^ ]*))? +(.*)$', line)
        if m:
            short, flag, meta, text = m.groups()
            options.append(('%s, %s' % (short, flag) if short else flag, meta, text))
        elif options and line.strip():
            flag, meta, text = options[-1]
            options[-1] = (flag, meta, text + ' ' + line.strip())
    w = sys.stdout.write
    w('lockstep-%s(1)\n\n' % cmd)
    w('# NAME\n\nlockstep-%s - %s\n\n' % (cmd, esc(paras[0].rstrip('.')) if paras else cmd))
    w('# SYNOPSIS\n\n*lockstep %s* %s\n\n' % (cmd, esc(usage[len('usage: lockstep ' + cmd):].strip())))
    w('# DESCRIPTION\n\n')
    for p in paras:
        w(esc(p) + '\n\n')
    w('This page is made from *lockstep %s --help*; the README and docs/ under\n' % cmd)
    w('/usr/share/doc/lockstep (or the install prefix\'s share/doc/lockstep) explain more.\n\n')
    w('# OPTIONS\n\n')
    for flag, meta, text in options:
        w('*%s*%s\n' % (esc(flag), (' _%s_' % esc(meta)) if meta else ''))
        text = esc(text)
        w('\t%s\n\n' % (('\\' + text) if text.startswith('-') else text))
    w('# EXIT STATUS\n\n')
    w('0 nothing found (for *replay*: reproduced; *minimize*: minimized; *check*: every '
      'variant as declared), 1 a bug found (*replay*: diverged; *minimize*: the finding does '
      'not reproduce; *check*: a variant not as declared), 2 bad usage or input, 3 internal '
      'error.\n\n')
    w('# SEE ALSO\n\n*lockstep*(1)\n')


main()
