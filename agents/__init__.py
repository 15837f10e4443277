"""The specialists, one folder each, and the answer machinery they share.

A specialist is a folder here whose `__init__` declares `SPECIALIST = Specialist(...)`;
`default_registry()` finds every one (see `agents.registry`).
"""

from agents.registry import Registry, Specialist, default_registry

__all__ = ["Registry", "Specialist", "default_registry"]
