"""The pipeline's layering, read from the source (docs/architecture.md): imports run one way,
no module import cycles, no silent broad excepts, no citations of files a user does not have.

Every import counts, function-level ones included: the rules are about what a stage depends on,
not about when Python loads it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "forcestat"

# Ranks, lowest first: a module may import its own stage and lower ranks only.
RANKS = {
    "period": 0,
    "stats": 0,
    "store": 1,
    "framework": 2,
    "engine": 3,
    "findings": 4,
    "outputs": 5,
    "web": 6,
}
TOP = 7  # pipeline, cli and any other top-level module: they wire the stages together
# synth is a side room: it may use these, and only the top imports it.
SYNTH_MAY_USE = {"store", "framework", "stats", "period"}
# Writers are handed results, findings and series: from stats at most the verdict labels.
OUTPUTS_FROM_STATS = {"forcestat.stats.verdicts"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports() -> dict[str, set[tuple[str, int]]]:
    """module -> {(imported forcestat module, line)}; ``from pkg import sub`` counts as the
    submodule when ``sub`` is one."""
    known = modules()
    out: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                ]
            else:
                continue
            for t in targets:
                if t == "forcestat" or t.startswith("forcestat."):
                    while t not in known and "." in t:
                        t = t.rsplit(".", 1)[0]
                    if t != name:
                        out[name].add((t, node.lineno))
    return out


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "forcestat"


def rank(module: str) -> int:
    s = stage(module)
    if s == "forcestat":
        return TOP  # the package root: __version__ only
    return RANKS.get(s, TOP if s != "synth" else -1)


def test_the_rules_see_every_stage():
    stages = {stage(m) for m in modules()}
    assert {"stats", "store", "framework", "engine", "findings", "outputs"} <= stages
    assert "period" in stages and "pipeline" in stages
    assert sum(len(v) for v in imports().values()) > 300  # the walk does find imports


def test_imports_run_one_way():
    wrong = []
    for module, targets in sorted(imports().items()):
        src = stage(module)
        for target, line in sorted(targets):
            dst = stage(target)
            if src == dst or dst == "forcestat":
                if src in ("stats", "period") and dst == "forcestat" and target != "forcestat":
                    wrong.append(f"{module}:{line} imports {target}")
                continue
            if src == "synth":
                if dst not in SYNTH_MAY_USE:
                    wrong.append(f"{module}:{line} (synth) imports {target}")
                continue
            if dst == "synth":
                if rank(module) < TOP:
                    wrong.append(f"{module}:{line} imports synth ({target})")
                continue
            if src in ("stats", "period"):
                wrong.append(f"{module}:{line} ({src} is pure) imports {target}")
            elif rank(target) > rank(module):
                wrong.append(f"{module}:{line} imports higher-ranked {target}")
            elif src == "store" and rank(target) > 0:
                wrong.append(f"{module}:{line} (store) imports another stage: {target}")
            elif src == "outputs" and dst in ("store", "engine"):
                wrong.append(f"{module}:{line} (a writer) imports {target}")
            elif src == "outputs" and dst == "stats" and target not in OUTPUTS_FROM_STATS:
                wrong.append(f"{module}:{line} (a writer) imports statistics: {target}")
    assert wrong == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_import_cycles():
    graph = {m: {t for t, _ in ts} for m, ts in imports().items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


BROAD = {"Exception", "BaseException"}


def _broad(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    if t is None:
        return True
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return any(isinstance(n, ast.Name) and n.id in BROAD for n in names)


def _says_something(handler: ast.ExceptHandler) -> bool:
    """Re-raises, or turns the error into another, or warns: anything but swallowing it."""
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("warn", "warning", "error", "exception", "append"):
                return True
    return False


def test_no_silent_broad_excepts():
    silent = []
    for module, path in sorted(modules().items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and _broad(node) and not _says_something(node):
                silent.append(f"{module}:{node.lineno}")
    assert silent == []


@pytest.mark.parametrize("needle", ["DESIGN.md", "DESIGN section", "../shared", "shared/data"])
def test_code_cites_only_what_a_user_has(needle):
    cited = [
        f"{m}: {needle}"
        for m, p in sorted(modules().items())
        if needle.lower() in p.read_text(encoding="utf-8").lower()
    ]
    assert cited == []
