"""The specialists: one folder each, listed in `registry`; the shared answer machinery.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "context",
    "extraction",
    "general",
    "maintenance",
    "offline_model",
    "registry",
    "specialist",
    "specs",
    "troubleshooting",
]
