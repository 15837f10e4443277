"""Checks that the data dir exists and is writable, before anything is put there."""

from __future__ import annotations

import tempfile
from pathlib import Path

from orchestrator.errors import StartupError


def ensure_writable(path: Path) -> Path:
    """Create the data dir if needed and prove it writable, or raise a StartupError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise StartupError(
            f"the data dir {path} is not writable ({exc.strerror or exc})",
            "Set ORCHESTRATOR_DATA_DIR to a writable directory or fix its permissions",
        ) from None
    return path
