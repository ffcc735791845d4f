#!/usr/bin/env python3
"""same_positions.py ENGLISH JAPANESE - the translated output of a command against its English one.

ENGLISH is the exact expected output (a corpus's .expected file), JAPANESE what the same command
printed under LANG=ja_JP.UTF-8. Line by line:
  - the position in front of each message (file:line:col, file:line, file:row:column,
    "hyoka CMD: ") is byte-identical; a diagnostic's kind is the translated word (error -> エラー);
  - an excerpt or caret line (indented) is byte-identical;
  - the message after the position is Japanese: it has Japanese characters, and outside quoted
    text ('...', "...") and code (identifiers, options, file names) no two English words follow
    each other, i.e. no untranslated English sentence is left.
Prints each difference; exit 1 if there is one.
"""
import re
import sys

KINDS = {"error": "エラー", "warning": "警告"}
# file:line[:col]: error|warning: message  (rule files, case files, service configs)
DIAG = re.compile(r"^(\S[^:\n]*?:\d+(?::\d+)?): (error|warning): (.*)$")
# file.csv[:row[:column]]: message  (imports)
CSV = re.compile(r"^(\S+?\.csv(?::\d+(?::[^:\s]+)?)?): (.*)$")
# hyoka CMD: message
CMD = re.compile(r"^(hyoka(?:-fcgi)?(?: [a-z]+)?): (.*)$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|「[^」]*」")
# code: options, paths, identifiers with _ . = digits, hex, hyoka commands
CODE = re.compile(r"--?[a-z][\w-]*(?:=\S*)?|\S*[\w.-]+\.(?:csv|cfg|sql)\b|\b\w*[_\d.=]\w*\b"
                  r"|\bhyoka(?:-fcgi)? [a-z]+\b|\bU\+[0-9A-F]+\b")
ENGLISH_PAIR = re.compile(r"\b[A-Za-z]{2,} +[A-Za-z]{2,}\b")


def untranslated(msg):
    if not JAPANESE.search(QUOTED.sub("", msg)):
        return "no Japanese outside quotes"
    rest = CODE.sub(" ", QUOTED.sub(" ", msg))
    m = ENGLISH_PAIR.search(rest)
    return f"English words '{m.group(0)}'" if m else None


def split(line):
    """(position, kind, message) of a line, or None for a line that is not a message."""
    m = DIAG.match(line)
    if m:
        return m.group(1), m.group(2), m.group(3)
    m = CSV.match(line)
    if m:
        return m.group(1), None, m.group(2)
    m = CMD.match(line)
    if m:
        return m.group(1), None, m.group(2)
    return None


def compare(en_lines, ja_lines, name):
    problems = []
    if len(en_lines) != len(ja_lines):
        problems.append(f"{name}: {len(en_lines)} lines in English, {len(ja_lines)} in Japanese")
    for i, (en, ja) in enumerate(zip(en_lines, ja_lines), 1):
        if en.startswith("    ") or en.strip() == "":
            if en != ja:
                problems.append(f"{name}:{i}: excerpt differs:\n  en {en!r}\n  ja {ja!r}")
            continue
        e = split(en)
        if e is None:
            continue  # not a message (a summary line): nothing to compare
        pos, kind, _ = e
        want = pos + ": " + (KINDS[kind] + ": " if kind else "")
        if not ja.startswith(want):
            problems.append(f"{name}:{i}: position differs:\n  en {en!r}\n  ja {ja!r}")
            continue
        msg = ja[len(want):]
        # a message that quotes a nested command's message ("hyoka import: FILE:..."): the
        # position inside it is compared too
        inner_e, inner_j = split(en[len(want if kind is None else pos):].lstrip(": ")), split(msg)
        if kind is None and inner_e and inner_j and inner_e[0] != inner_j[0]:
            problems.append(f"{name}:{i}: inner position differs:\n  en {en!r}\n  ja {ja!r}")
        why = untranslated(msg)
        if why:
            problems.append(f"{name}:{i}: untranslated ({why}): {ja!r}")
    return problems


def main():
    en = open(sys.argv[1], encoding="utf-8").read().splitlines()
    ja = open(sys.argv[2], encoding="utf-8").read().splitlines()
    problems = compare(en, ja, sys.argv[3] if len(sys.argv) > 3 else sys.argv[1])
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
