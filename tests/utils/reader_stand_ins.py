"""Stand-ins for `rag.documents.load` that a reader process runs (pickle passes a function by
its module and name, so they live here): each reads files as `load` does, but for one."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from rag.documents import SourceDocument, load
from rag.readers.limits import ReadingLimits


class LibraryError(Exception):
    """An exception of a library's own kind, which does not come back through pickle (its
    constructor wants two arguments; pickle gives it one)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{detail} (code {code})")


def killed_by_crash(
    path: Path, root: Path, domains: Sequence[str], limits: ReadingLimits
) -> SourceDocument:
    """A file named `crash.*` ends the process, as a segfault in a reader's C code would."""
    if path.stem == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return load(path, root, domains, limits)


def failing_on_bug(
    path: Path, root: Path, domains: Sequence[str], limits: ReadingLimits
) -> SourceDocument:
    """A file named `bug.*` raises a library's own exception."""
    if path.stem == "bug":
        raise LibraryError(7, "unexpected table cell")
    return load(path, root, domains, limits)
