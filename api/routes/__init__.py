"""One APIRouter per resource, collected by `api.app`.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "chat",
    "customers",
    "docs",
    "health",
    "knowledge",
    "knowledge_gaps",
    "metrics",
    "openai_compat",
    "pages",
    "sessions",
    "staff",
]
