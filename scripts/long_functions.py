#!/usr/bin/env python3
"""List the Rust functions longer than a limit (issue 9: break up every function over ~120 lines).

Usage (from the repository root):
    python3 scripts/long_functions.py [--limit 120] [PATH ...]

PATHs are files or folders (default: the whole repository; `target/` and hidden folders are
skipped). A function's length runs from its `fn` line to the `}` at the same indentation, which is
where rustfmt (`cargo fmt --all`) puts it; declarations without a body are not counted. Prints one
line per function, longest first: lines, name, path:line. Exits 1 when any function is listed.
"""
import argparse
import pathlib
import re
import sys

FN = re.compile(
    r'^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?'
    r'(?:extern\s+"[^"]*"\s+)?fn\s+(\w+)'
)


def rust_files(path):
    path = pathlib.Path(path)
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob('*.rs')
        if not any(part == 'target' or part.startswith('.') for part in p.relative_to(path).parts)
    )


def long_functions(path, limit):
    lines = path.read_text(encoding='utf-8', errors='replace').split('\n')
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        indent, name = m.group(1), m.group(2)
        # the signature ends with `{` (a body) or `;` (a declaration)
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(('{', ';')):
            j += 1
        if j >= len(lines) or lines[j].rstrip().endswith(';') or line.rstrip().endswith('}'):
            continue
        for k in range(j + 1, len(lines)):
            if lines[k] == indent + '}':
                if k - i + 1 > limit:
                    yield k - i + 1, name, f'{path}:{i + 1}'
                break


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--limit', type=int, default=120)
    parser.add_argument('paths', nargs='*', default=['.'])
    args = parser.parse_args()
    found = [f for p in args.paths for r in rust_files(p) for f in long_functions(r, args.limit)]
    for length, name, where in sorted(found, key=lambda f: (-f[0], f[2])):
        print(f'{length:5} {name:32} {where}')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
