"""Architecture checks of the three packages, read from their source with ``ast`` (nothing is
imported): import cycles between modules, imports that point backwards along
``wordtensor ← fusion ← surrogate``, modules longer than 500 lines, modules without a docstring,
and the function-local imports that remain (with or without the comment that says why).

Module-level imports are those that run when a module is imported (including those under ``if``,
``try`` or in a class body); imports under ``if TYPE_CHECKING:`` are typing-only: they are left
out of the cycle graph, but count when they point backwards. Function-local imports are listed
apart, and a second cycle search (``local_cycles``) runs over both kinds together: a
function-local import of a project module hides a cycle, it does not break it.

Usage::

    python scripts/check_architecture.py            # report; exit 1 if a check fails
    python scripts/check_architecture.py --root .   # another checkout

>>> report = analyse(ROOT)
>>> sorted(report.checks())
['backwards', 'cycles', 'docstrings', 'local_cycles', 'sizes']
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The packages in layer order: a package may import only those before it.
PACKAGES = ("wordtensor", "fusion", "surrogate")

#: The longest a module may be.
MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    """One import statement of a project module, resolved to the module(s) it loads."""

    source: str  # importing module
    target: str  # imported module (a project module, or the top name of a third-party one)
    line: int
    local: bool  # inside a function body
    typing_only: bool  # under ``if TYPE_CHECKING:``
    commented: bool  # a comment on the line or just above it says why


@dataclass
class Report:
    """What :func:`analyse` found; each ``*_problems`` method lists the failures of one check."""

    modules: dict[str, Path]
    lines: dict[str, int]
    imports: list[Import]
    missing_docstrings: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- the graph
    def graph(self, *, local: bool) -> dict[str, set[str]]:
        """Edges between project modules: module-level imports, plus function-local ones when
        ``local`` is true."""
        g: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.imports:
            if imp.typing_only or (imp.local and not local) or imp.target not in self.modules:
                continue
            if imp.target != imp.source:
                g[imp.source].add(imp.target)
        return g

    def cycles(self, *, local: bool = False) -> list[list[str]]:
        """One cycle (a list of modules, the first repeated at the end) per strongly connected
        component of more than one module."""
        g = self.graph(local=local)
        return [_one_cycle(g, comp) for comp in _sccs(g) if len(comp) > 1]

    # ---------------------------------------------------------------- the checks
    def checks(self) -> dict[str, list[tuple[str, str]]]:
        """``{check: [(package, problem), ...]}`` for the five checks. ``local_cycles`` are the
        cycles that function-local imports of project modules close (such an import is no
        remedy for a cycle: it only hides it from the module-level graph)."""
        out: dict[str, list[tuple[str, str]]] = {
            "cycles": [], "local_cycles": [], "backwards": [], "sizes": [], "docstrings": []}
        module_level = self.cycles()
        for check, cycles in (("cycles", module_level),
                              ("local_cycles", [c for c in self.cycles(local=True)
                                                if c not in module_level])):
            for cyc in cycles:
                for pkg in sorted({_package(m) for m in cyc}):
                    out[check].append((pkg, " -> ".join(cyc)))
        for imp in self.imports:
            src, dst = _package(imp.source), _package(imp.target)
            if dst in PACKAGES and PACKAGES.index(dst) > PACKAGES.index(src):
                kind = ("typing only" if imp.typing_only else
                        "function-local" if imp.local else "module-level")
                out["backwards"].append(
                    (src, f"{imp.source}:{imp.line} imports {imp.target} ({kind})"))
        for mod, n in sorted(self.lines.items()):
            if n > MAX_LINES:
                out["sizes"].append((_package(mod), f"{mod}: {n} lines"))
        for mod in self.missing_docstrings:
            out["docstrings"].append((_package(mod), f"{mod}: no module docstring"))
        return out

    def problems(self, check: str, package: str) -> list[str]:
        """The failures of one check inside one package."""
        return [p for pkg, p in self.checks()[check] if pkg == package]

    def local_imports(self) -> list[Import]:
        """The function-local imports (the cycle checks ignore them)."""
        return [imp for imp in self.imports if imp.local]


def _package(module: str) -> str:
    return module.split(".", 1)[0]


def discover(root: Path) -> dict[str, Path]:
    """``{module name: file}`` for every ``.py`` file of the three packages.

    >>> mods = discover(ROOT)
    >>> "wordtensor" in mods and "wordtensor.groups" in mods
    True
    """
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: dict[str, Path],
                 source_lines: list[str]):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.lines = source_lines
        self.depth = 0  # function nesting
        self.typing = 0  # inside ``if TYPE_CHECKING``
        self.found: list[Import] = []

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If):
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            self.typing += 1
            for child in node.body:
                self.visit(child)
            self.typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _commented(self, line: int) -> bool:
        here = self.lines[line - 1]
        above = self.lines[line - 2].strip() if line >= 2 else ""
        return "#" in here or above.startswith("#")

    def _add(self, target: str, line: int):
        self.found.append(Import(self.module, target, line, self.depth > 0, self.typing > 0,
                                 self._commented(line)))

    def _resolve(self, name: str) -> str:
        """A dotted name as the project module it loads, or its top name if it is not ours."""
        if _package(name) not in PACKAGES:
            return _package(name)
        while name and name not in self.modules:
            name = name.rpartition(".")[0]
        return name

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            self._add(self._resolve(alias.name), node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level:
            base = self.module.split(".")
            if not self.is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            name = ".".join(base + ([node.module] if node.module else []))
        else:
            name = node.module or ""
        if name == "__future__":
            return
        targets = set()
        for alias in node.names:
            sub = f"{name}.{alias.name}"
            targets.add(sub if sub in self.modules else self._resolve(name))
        for t in sorted(targets):
            self._add(t, node.lineno)


def analyse(root: Path) -> Report:
    """Read every module of the three packages under ``root`` and collect what the checks need.

    >>> r = analyse(ROOT)
    >>> r.lines["wordtensor"] > 0 and not r.problems("backwards", "wordtensor")
    True
    """
    root = Path(root)
    modules = discover(root)
    report = Report(modules, {}, [])
    for mod, path in modules.items():
        text = path.read_text(encoding="utf-8")
        report.lines[mod] = len(text.splitlines())
        tree = ast.parse(text, filename=str(path))
        if ast.get_docstring(tree) is None:
            report.missing_docstrings.append(mod)
        v = _Visitor(mod, path.name == "__init__.py", modules, text.splitlines())
        v.visit(tree)
        report.imports.extend(v.found)
    return report


def _sccs(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(g):
        if start in index:
            continue
        work = [(start, iter(sorted(g[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return sorted(out)


def _one_cycle(g: dict[str, set[str]], comp: list[str]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected component."""
    inside = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(g[v] & inside):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [start] + path[::-1][1:] + [start] if v != start else [start, start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp  # pragma: no cover - a component always has a cycle


def main(argv: list[str] | None = None) -> int:
    """Print the report; return 1 if any check fails.

    >>> main(["--quiet"]) in (0, 1)
    True
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this one)")
    p.add_argument("--quiet", action="store_true", help="print nothing, only set the exit code")
    args = p.parse_args(argv)
    report = analyse(args.root)
    checks = report.checks()
    failed = any(checks.values())
    if args.quiet:
        return int(failed)
    titles = {"cycles": "import cycles (module level)",
              "local_cycles": "import cycles closed only by function-local imports",
              "backwards": f"backwards imports (allowed: {' <- '.join(PACKAGES)})",
              "sizes": f"modules over {MAX_LINES} lines", "docstrings": "modules without a docstring"}
    print(f"{len(report.modules)} modules, {len(report.imports)} import statements")
    for check, title in titles.items():
        print(f"\n## {title}: {len(checks[check])}")
        for pkg in PACKAGES:
            for problem in report.problems(check, pkg):
                print(f"  [{pkg}] {problem}")
    local = report.local_imports()
    internal = [i for i in local if _package(i.target) in PACKAGES]
    bare = [i for i in local if _package(i.target) not in PACKAGES and not i.commented]
    print(f"\n## function-local imports: {len(local)} ({len(internal)} of project modules)")
    for i in internal:
        print(f"  {i.source}:{i.line} imports {i.target}")
    print(f"\n## function-local imports of other packages without a comment saying why: {len(bare)}")
    for i in bare:
        print(f"  {i.source}:{i.line} imports {i.target}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
