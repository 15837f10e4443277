"""What `agents.extraction` offers is what its `__all__` says."""

from __future__ import annotations

from types import ModuleType

from agents import extraction


def test_all_names_exactly_what_the_package_offers() -> None:
    offered = {
        name
        for name, value in vars(extraction).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert offered == set(extraction.__all__)
