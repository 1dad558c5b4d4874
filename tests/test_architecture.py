"""The shape docs/ARCHITECTURE.md promises: no import cycles between packages, and only the
command line prints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "dilmanc"


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _imports(path: Path) -> set[str]:
    """dilmanc modules imported anywhere in the file, except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dilmanc"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("dilmanc"))
    return found


def test_no_import_cycles_between_packages():
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        source = _package(module)
        for target in _imports(path):
            target = _package(target)
            if target != source and target != "dilmanc":
                graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in graph if reaches(p, p, {p}))
    assert cycles == [], f"packages importing each other in a circle: {cycles}"


def test_core_modules_print_nothing():
    offenders = []
    for module, path in _modules().items():
        if module.startswith("dilmanc.cli") or module == "dilmanc.__main__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                offenders.append(f"{module}:{node.lineno} print()")
            stream = isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
            if stream and getattr(node.value, "id", "") == "sys":
                offenders.append(f"{module}:{node.lineno} sys.{node.attr}")
    assert offenders == [], "core modules must not print: " + ", ".join(offenders)


FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_core_messages_name_no_cli_flag():
    """Errors and messages outside cli/ carry the setting (`DilmancError.setting`); only the
    CLI turns it into its flag. Docstrings and comments may mention flags."""
    offenders = []
    for module, path in _modules().items():
        if module.startswith("dilmanc.cli") or module == "dilmanc.__main__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if text and id(node) not in docstrings and FLAG.search(node.value):
                offenders.append(f"{module}:{node.lineno} {node.value.strip()[:60]!r}")
    assert offenders == [], "core strings naming a CLI flag: " + ", ".join(offenders)


def _submodules(path: Path) -> set[str]:
    """Modules imported by name from their package (`from dilmanc.server import deepl`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dilmanc")
        for alias in node.names
    }


def test_server_modules_import_no_circle():
    """app.py builds the app from its route modules; they take their error shapes from
    server/errors.py, so no server module is imported back by one it imports."""
    modules = {m: p for m, p in _modules().items() if m.startswith("dilmanc.server.")}
    graph = {m: (_imports(p) | _submodules(p)) & set(modules) - {m} for m, p in modules.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    assert cycles == [], f"server modules importing each other in a circle: {cycles}"
