#!/usr/bin/env python3
"""Finds import cycles between the modules of each crate of the workspace.

    scripts/module-cycles.py [CRATE_DIR ...]     (default: every crates/*)

A module depends on another when its code names it by a path (`use crate::a::b`,
`super::x::f()`); tests (`#[cfg(test)] mod … { … }`) and comments do not count, and neither do
the references between a module and its own ancestors or descendants (a child reading its
parent's items, a parent declaring and re-exporting its children). Every set of modules that
reach each other (a strongly connected component of more than one) is printed, and the exit
status is 1 when there is one.
"""

import re
import sys
from pathlib import Path


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts.pop()
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    # Line comments, but not `//` inside a string literal (a URL).
    out = []
    for line in text.splitlines():
        in_str = False
        cut = len(line)
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and in_str:
                i += 2
                continue
            if c == '"':
                in_str = not in_str
            elif not in_str and line.startswith("//", i):
                cut = i
                break
            i += 1
        out.append(line[:cut])
    return "\n".join(out)


def strip_strings(text: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def strip_tests(text: str) -> str:
    """Removes every `#[cfg(test)]` item that is a braced block (a test module)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[: m.start()] + text[i:]


def expand_use(tree: str) -> list:
    """`a::{b, c::{d, self}}` -> ["a::b", "a::c::d", "a::c"]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix, s):
        i = s.find("{")
        if i < 0:
            path = s if not prefix else (prefix if s == "self" else f"{prefix}::{s}")
            return [path.rstrip(":")]
        head = s[:i].rstrip(":")
        inner = s[i + 1 : s.rfind("}")]
        base = head if not prefix else (f"{prefix}::{head}" if head else prefix)
        out = []
        for part in split_top(inner):
            out.extend(walk(base, part))
        return out

    return walk("", tree)


def resolve(path: str, here: tuple, modules: set):
    segs = path.split("::")
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("self", "super"):
        base, rest = here, segs
        while rest and rest[0] in ("self", "super"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    else:
        return None
    target = base
    for s in rest:
        if target + (s,) in modules:
            target = target + (s,)
        else:
            break
    return target


def related(a: tuple, b: tuple) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def sccs(graph: dict) -> list:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def check(crate: Path) -> list:
    src = crate / "src"
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    graph = {m: set() for m in modules}
    for f in files:
        here = module_of(src, f)
        text = strip_tests(strip_strings(strip_comments(f.read_text())))
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths.extend(expand_use(m.group(1)))
        code = re.sub(r"\buse\s+[^;]+;", "", text)
        paths.extend(re.findall(r"\b(?:crate|super|self)(?:::\w+)+", code))
        for p in paths:
            target = resolve(p, here, modules)
            if target is not None and not related(here, target):
                graph[here].add(target)
    name = lambda m: "::".join(m) or "(root)"
    return [sorted(name(m) for m in c) for c in sccs(graph) if len(c) > 1]


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    crates = [Path(a) for a in sys.argv[1:]] or sorted(
        p for p in (root / "crates").iterdir() if (p / "src").is_dir()
    )
    crates += [] if sys.argv[1:] else [p for p in (root / "examples").glob("*") if (p / "src").is_dir()]
    found = False
    for crate in crates:
        for cycle in check(crate):
            found = True
            print(f"{crate.name}: import cycle between {', '.join(cycle)}")
    if not found:
        print(f"module-cycles: no import cycle in {len(crates)} crates")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
