"""The specialists, one folder each, and the answer machinery they share.

A specialist is a folder here whose `__init__` declares `SPECIALIST = Specialist(...)`;
`default_registry()` finds every one (see `agents.registry`). `agents.wiring` is the composition
root: it puts the specialists, the offline answerer and the orchestrator's core together into
the service the API and the command line run; no specialist imports it.
"""

from agents.registry import Registry, Specialist, default_registry

__all__ = ["Registry", "Specialist", "default_registry"]
