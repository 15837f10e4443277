"""The package boundaries docs/architecture.md describes, checked on the source."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO


def _imports(package: str) -> dict[str, set[str]]:
    """The top-level modules each file of the package imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


def _offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        path: sorted(n for n in names if n.split(".")[0] in forbidden)
        for path, names in _imports(package).items()
        if any(n.split(".")[0] in forbidden for n in names)
    }


def test_retrieval_stands_alone() -> None:
    assert _offending("rag", ("orchestrator", "agents", "api")) == {}


def test_the_api_leaves_sql_to_the_persistence_layer() -> None:
    assert _offending("api", ("sqlalchemy",)) == {}


# The command line starts the server and mints tokens: it is the one package above the API.
ENTRY_POINTS = "orchestrator/cli/"


@pytest.mark.parametrize("package", ["agents", "orchestrator"])
def test_nothing_below_the_api_imports_it(package: str) -> None:
    offending = _offending(package, ("api",))
    assert {p: names for p, names in offending.items() if not p.startswith(ENTRY_POINTS)} == {}
