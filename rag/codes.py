"""Codes a document means exactly, and the text that names them: no search machinery, so the
catalogue and the readers' process can tell a code without loading an index."""

from __future__ import annotations

import re

# OBD trouble codes (P0A80, U0100) and maker codes, letters then at least two digits (CHG-031,
# E214, HV07, W-3301), bulletin numbers (TSB-24-017).
IDENTIFIER = re.compile(
    r"\b(?:[PBCU][0-9][0-9A-F]{3}|[A-Z]{1,5}-?\d{2,4}(?:-\d{2,4})?[A-Z]?)\b", re.IGNORECASE
)


def identifiers(text: str) -> list[str]:
    """Exact identifiers named in a text, upper-cased (P0A80, CHG-031)."""
    return sorted({match.upper() for match in IDENTIFIER.findall(text)})
