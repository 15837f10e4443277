"""Product code knows no vehicle, brand or corpus: the names the repository's corpora define
(their catalogues' brands and models) and the makers of the real manuals measured in
`bench/manuals/corpus.json` appear nowhere in `agents/`, `rag/`, `orchestrator/` or `api/`'s
Python. A rule that holds for one manual only is written in that manual's words; this keeps
the rules about documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents.registry import default_registry
from rag.ingest import catalogue_of

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("agents", "rag", "orchestrator", "api")
CORPORA = (REPO / "knowledge_base", REPO / "tests" / "data" / "corpora" / "halden" / "docs")


def corpus_names() -> set[str]:
    names: set[str] = set()
    for root in CORPORA:
        catalogue = catalogue_of([root], default_registry().domains)
        names |= {catalogue.brand or ""} | {m.name for m in catalogue.models}
    makers = json.loads((REPO / "bench" / "manuals" / "corpus.json").read_text())["manuals"]
    names |= {m["maker"] for m in makers}
    return {n for n in names if n}


def product_files() -> list[Path]:
    return sorted(p for package in PRODUCT for p in (REPO / package).rglob("*.py"))


@pytest.mark.slow
def test_product_code_names_no_vehicle_brand_or_maker() -> None:
    names = corpus_names()
    assert {"Kestrel", "Halden", "BYD"} <= names  # the corpora were read
    word = re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(names)))})\b")
    found = {
        f"{path.relative_to(REPO)}:{number}: {match.group(0)}"
        for path in product_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (match := word.search(line))
    }
    assert not found, "\n".join(sorted(found))
