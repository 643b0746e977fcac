"""iqabench's modules import without cycles: each imports alone, and the graph of their module-level imports
has no cycle (read from the source, so a cycle is named even where the order of imports happens to hide it)."""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import iqabench

PACKAGE = Path(iqabench.__file__).resolve().parent
#: optional third-party packages: a module that imports one at module level is skipped where it is absent.
OPTIONAL = ("ray",)


def module_names() -> list[str]:
    """Every module of iqabench but ``__main__`` (which runs the command line when imported)."""
    found = ["iqabench"] + [info.name for info in pkgutil.walk_packages(iqabench.__path__, prefix="iqabench.")]
    return sorted(name for name in found if not name.endswith(".__main__"))


def source_files() -> dict[str, Path]:
    """Every module of iqabench by name, read from the folder (a package is its ``__init__.py``)."""
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("iqabench", *path.relative_to(PACKAGE).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, name: str, *, lazy: bool = False) -> list[tuple[str, str | None]]:
    """What module ``name`` (at ``path``) imports, as (module, name imported from it or None), relative
    imports made absolute: those that run when it is imported (its body, its classes' bodies, its blocks)
    and, with ``lazy``, those inside its functions too; never those under ``if TYPE_CHECKING:``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.extend((base, alias.name) for alias in node.names)
        elif isinstance(node, ast.If) and _type_checking(node.test):
            for statement in node.orelse:
                visit(statement)
        elif lazy or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for child in ast.iter_child_nodes(node):
                visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_graph(*, lazy: bool = False) -> dict[str, set[str]]:
    """module -> the iqabench modules importing it runs (:func:`imports_of`): each one it names (``from a
    import b`` names ``a.b`` where that is a module, else ``a``), and the packages above those, whose
    ``__init__`` runs first (except the importing module's own packages, already running)."""
    files = source_files()
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        edges = set()
        for module, imported in imports_of(path, name, lazy=lazy):
            target = f"{module}.{imported}" if f"{module}.{imported}" in files else module
            if target not in files:
                continue
            edges.add(target)
            edges.update(above for i in range(1, target.count(".") + 1)
                         if (above := ".".join(target.split(".")[:i])) not in own)
        graph[name] = edges - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as the list of its modules, first repeated at the end; None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize("lazy", [False, True], ids=["module level", "with imports inside functions"])
def test_the_imports_of_iqabench_have_no_cycle(lazy):
    """Neither the imports that run when a module is imported nor, counting them too, those deferred into
    functions: a deferred import that closes a cycle only hides it until the function runs."""
    cycle = find_cycle(import_graph(lazy=lazy))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_names_a_cycle_and_the_imports_are_read_as_python_runs_them(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    module = tmp_path / "m.py"
    module.write_text(textwrap.dedent("""
        from typing import TYPE_CHECKING
        from . import x
        from ..y import z
        if TYPE_CHECKING:
            from .hidden import h
        def f():
            from .inner import g
        class C:
            from .body import b
    """))
    found = [("typing", "TYPE_CHECKING"), ("iqabench.p", "x"), ("iqabench.y", "z"), ("iqabench.p.body", "b")]
    assert imports_of(module, "iqabench.p.m") == found
    assert imports_of(module, "iqabench.p.m", lazy=True) == found[:3] + [("iqabench.p.inner", "g")] + found[3:]


def test_no_module_imports_an_iqabench_module_inside_the_decoding_of_a_sample():
    """Decoding runs once per sample: its imports are all at module level."""
    path = source_files()["iqabench.decoding"]
    nested = [node for function in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
              if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert nested == [], f"imports inside functions of {path.name}: {[ast.unparse(n) for n in nested]}"


def needs(name: str) -> str | None:
    """The optional package ``name`` imports at module level and that is absent here, if any."""
    imported = {module.partition(".")[0] for module, _ in imports_of(source_files()[name], name)}
    return next((extra for extra in OPTIONAL if extra in imported and importlib.util.find_spec(extra) is None), None)


#: imports each module named on the command line with no iqabench module loaded before it; prints the errors.
ALONE = """
import importlib, json, sys, traceback
errors = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "iqabench" or m.startswith("iqabench.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        errors[name] = traceback.format_exc()
print(json.dumps(errors))
"""


@pytest.fixture(scope="module")
def import_errors() -> dict[str, str]:
    """Each module imported alone, in one fresh interpreter: module -> its traceback, for those that fail."""
    names = [name for name in module_names() if needs(name) is None]
    done = subprocess.run([sys.executable, "-c", ALONE, *names], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports_alone(name, import_errors):
    if (extra := needs(name)) is not None:
        pytest.skip(f"{name} imports the optional package {extra}, which is not installed")
    assert name not in import_errors, import_errors.get(name)
