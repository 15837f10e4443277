"""Every package says what it offers: an `__all__` whose names all resolve.

A package that offers its modules lists every public module, so a new module is not left out.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from tests.conftest import REPO

ROOTS = ("orchestrator", "agents", "rag", "api")
PACKAGES = sorted(
    ".".join(init.parent.relative_to(REPO).parts)
    for root in ROOTS
    for init in (REPO / root).rglob("__init__.py")
)


def _public_modules(package: str) -> set[str]:
    folder = REPO.joinpath(*package.split("."))
    modules = {p.stem for p in folder.glob("*.py") if not p.name.startswith("_")}
    packages = {p.parent.name for p in folder.glob("*/__init__.py")}
    return modules | packages


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_states_what_it_offers(package: str) -> None:
    module = importlib.import_module(package)
    offered = getattr(module, "__all__", None)
    assert offered, f"{package}/__init__.py has no __all__"
    assert module.__doc__, f"{package}/__init__.py has no docstring"
    modules = _public_modules(package)
    for name in offered:
        assert hasattr(module, name) or name in modules, f"{package}.{name} does not exist"
    if set(offered) <= modules:
        assert set(offered) == modules, f"{package}.__all__ leaves out {modules - set(offered)}"
