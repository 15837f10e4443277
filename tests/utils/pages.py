"""Reading the pages' scripts in tests."""

from __future__ import annotations

import re

BY_IDS = re.compile(r"byIds\(`([^`]*)`\)")


def element_ids(script: str) -> set[str]:
    """The element ids a page script looks up with `byIds` (`key=id` or `id` entries)."""
    return {entry.split("=")[-1] for spec in BY_IDS.findall(script) for entry in spec.split()}
