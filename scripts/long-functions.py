#!/usr/bin/env python3
"""Lists the functions over a line limit and the files over a size limit in the given folders.

House style (ARCHITECTURE.md, issue 14): no function over ~120 lines and no .cpp over ~600 lines in
core. A function is a definition whose body opens with '{' alone on a line at the indentation of its
signature and closes with '}' at the same indentation (the project's clang-format layout); lambdas
and class bodies are not counted separately.

Usage: scripts/long-functions.py [--function-limit N] [--file-limit N] FOLDER...
"""
import argparse
import pathlib
import re
import sys


def functions(lines):
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)\{\s*$", lines[i])
        if m and i > 0 and re.search(r"\)\s*(const)?\s*(override)?\s*(noexcept)?\s*$|^\s*:|^\s*,", lines[i - 1]):
            indent = m.group(1)
            # the signature: walk back to the line holding the name and '('
            k = i - 1
            while k > 0 and "(" not in lines[k]:
                k -= 1
            while k > 0 and re.match(r"^\s*[:,]", lines[k]):
                k -= 1
            name = lines[k].strip()
            j = i + 1
            while j < len(lines) and not re.match("^" + re.escape(indent) + r"\}", lines[j]):
                j += 1
            yield name, k + 1, j - k + 1
            i = j
        i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--function-limit", type=int, default=120)
    ap.add_argument("--file-limit", type=int, default=600)
    ap.add_argument("folders", nargs="+")
    a = ap.parse_args()
    bad = 0
    for folder in a.folders:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.suffix not in (".cpp", ".h", ".cu", ".hip"):
                continue
            lines = path.read_text(errors="replace").split("\n")
            if path.suffix != ".h" and len(lines) - 1 > a.file_limit:
                print(f"file {path}: {len(lines) - 1} lines")
                bad += 1
            for name, line, count in functions(lines):
                if count > a.function_limit:
                    print(f"function {path}:{line}: {count} lines: {name[:90]}")
                    bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
