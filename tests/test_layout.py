"""The folders show the architecture (docs/architecture.md): imports only go down, no circles.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
still ties two files together. So does a module's name in a string (the lazy ``__getattr__``
tables of ``faceswap/__init__`` and the model family), except in the plugin registry, whose job
is to find plugins by name from below them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fstest import REPO

PACKAGE = REPO / "faceswap"
# Floors, top to bottom. A module may import its own floor or any floor below it.
FLOORS = {"cli": 3, "gui": 3, "stages": 2, "tools": 2, "plugins": 1, "lib": 0}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
BY_NAME = {"faceswap.lib.registry"}  # finds plugins by name: its strings are not imports


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> set[str]:
    """The faceswap modules that ``name`` imports, anywhere in the file."""
    tree = ast.parse(MODULES[name].read_text())
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and "." in node.value and node.value in MODULES and name not in BY_NAME):
            targets = [node.value]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` depends on the module, not on the package.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # `import a.b.c` of a name, not a module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _floor(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FLOORS else None


def test_lib_imports_nothing_above_lib():
    wrong = {m: sorted(d for d in deps if _floor(d) != "lib")
             for m, deps in GRAPH.items() if _floor(m) == "lib"}
    assert {m: d for m, d in wrong.items() if d} == {}


def test_plugins_import_only_lib_and_plugins():
    wrong = {m: sorted(d for d in deps if _floor(d) not in ("lib", "plugins"))
             for m, deps in GRAPH.items() if _floor(m) == "plugins"}
    assert {m: d for m, d in wrong.items() if d} == {}


def test_imports_only_go_down():
    wrong = []
    for module, deps in GRAPH.items():
        floor = _floor(module)
        if floor is None:
            continue
        wrong += [f"{module} -> {dep}" for dep in deps
                  if _floor(dep) is not None and FLOORS[_floor(dep)] > FLOORS[floor]]
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in GRAPH[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    return components


def test_no_import_circles_between_files():
    assert _cycles() == []


def test_the_aligned_face_format_is_named_once():
    pattern = re.compile(r"^\s*FACE_FORMAT\s*[:=]", re.M)
    defined = [_module_name(p) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert defined == ["faceswap.lib.faces"]


def test_lib_is_foundations_only():
    def lines(paths):
        return sum(len(p.read_text().splitlines()) for p in paths)

    share = lines((PACKAGE / "lib").rglob("*.py")) / lines(PACKAGE.rglob("*.py"))
    assert share <= 0.25, f"faceswap/lib holds {share:.0%} of the package's lines"


def test_the_checker_sees_lazy_and_type_checking_imports():
    # The graph must not miss imports hidden inside functions or TYPE_CHECKING blocks, nor
    # `from package import module`.
    factory = "faceswap.plugins.train.model._base.factory"
    assert "faceswap.plugins.train.model._base.model" in GRAPH[factory]  # TYPE_CHECKING + lazy
    assert "faceswap.plugins.train.model" in GRAPH["faceswap.stages.convert.pipeline"]  # lazy
    assert "faceswap.tools.mask.model" in GRAPH["faceswap.tools.mask.train"]
    assert "faceswap.stages.extract" in GRAPH["faceswap"]  # a name in the lazy API table
    assert "faceswap.plugins.train.model._base.state" in GRAPH["faceswap.plugins.train.model"]
    assert "faceswap.plugins.train.model" not in GRAPH["faceswap.lib.registry"]
