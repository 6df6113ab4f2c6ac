"""The layout is the architecture: data flows one way, entry points -> wiring -> nodes ->
services -> contracts. These checks read the imports of every module, so a shortcut that
breaks the direction fails here, naming the module and the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ("cli", "web", "team")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def package_of(module: str) -> str:
    return module.split(".", 1)[0]


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("nodes"), ids=lambda p: p.name)
def test_no_node_imports_another_node(path: Path) -> None:
    others = {m for m in imported(path) if package_of(m) == "nodes"}
    assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_import_no_node_and_no_entry_point(path: Path) -> None:
    upward = {m for m in imported(path) if package_of(m) in ("nodes", *ENTRY_POINTS)}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


@pytest.mark.parametrize(
    "path", [p for p in modules("graph") if p.name != "workflow.py"], ids=lambda p: p.name
)
def test_only_the_wiring_in_graph_imports_nodes(path: Path) -> None:
    upward = {m for m in imported(path) if package_of(m) in ("nodes", *ENTRY_POINTS)}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


def test_the_checks_see_imports_inside_functions_too(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from nodes.retry import x\n")
    assert imported(module) == {"nodes.retry"}
