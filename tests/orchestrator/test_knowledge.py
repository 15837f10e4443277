"""The knowledge base as the service configures it: the company's own glossary, the vectors it
is embedded and searched with, and the limits and memory its files are read under."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from orchestrator import knowledge
from orchestrator.errors import StartupError
from orchestrator.knowledge import (
    glossary,
    knowledge_store,
    precision_of,
    reading_limits,
    run_ingest,
)
from orchestrator.settings import Settings
from rag.embeddings import Embedder
from rag.glossary import TRADE
from rag.readers.limits import DEFAULT_LIMITS
from rag.store import EmbeddingModelMismatch
from tests.rag import DOMAINS
from tests.utils.docx_packages import zip_bomb


def test_without_a_glossary_file_the_trade_s_terms_are_used(tmp_path: Path) -> None:
    assert glossary(Settings(data_dir=tmp_path, _env_file=None)) is TRADE  # type: ignore[call-arg]


def test_the_company_s_glossary_file_adds_its_groups(tmp_path: Path) -> None:
    path = tmp_path / "glossary.txt"
    path.write_text("e-Pedal, one-pedal driving\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, glossary_path=path, _env_file=None)  # type: ignore[call-arg]
    terms = glossary(settings)
    assert terms.groups[terms.group_of["e pedal"]] == ("e-Pedal", "one-pedal driving")


def test_a_glossary_file_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    missing = Settings(data_dir=tmp_path, glossary_path=tmp_path / "nope.txt", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(StartupError, match="glossary"):
        glossary(missing)
    (tmp_path / "bad.txt").write_text("alone\n", encoding="utf-8")
    bad = Settings(data_dir=tmp_path, glossary_path=tmp_path / "bad.txt", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(StartupError, match="line 1"):
        glossary(bad)


def _docs(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "aster.md").write_text("# Aster\n\n## Range\n\nThe Aster goes 430 km.\n")
    return root


def test_a_knowledge_base_keeps_its_vectors_until_it_is_ingested_anew_with_reset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    docs = _docs(tmp_path / "kb")
    before = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    store = knowledge_store(before)
    run_ingest(before, store, [docs], lambda: knowledge.embedder(before), None, domains=DOMAINS)
    assert store.pointer().embedding_model == "all-MiniLM-L6-v2"  # type: ignore[union-attr]

    # Switched to int8: questions and new documents go on at float, so they match what is
    # stored, and the service says how to move.
    now = Settings(data_dir=tmp_path, embedding_precision="int8", _env_file=None)  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING, logger="orchestrator.knowledge"):
        assert precision_of(now, store) == "float32"
    assert "EMBEDDING_PRECISION=int8 applies once it is re-ingested" in caplog.text
    (docs / "specs" / "ridge.md").write_text("# Ridge\n\nThe Ridge tows 3,500 kg.\n")
    stays = knowledge.embedder(now, precision=precision_of(now, store))
    report = run_ingest(now, store, [docs], lambda: stays, None, domains=DOMAINS)
    assert (report.added, report.unchanged) == (1, 1)
    assert store.pointer().embedding_model == "all-MiniLM-L6-v2"  # type: ignore[union-attr]

    # An embedder making other vectors (a service started before someone else's --reset)
    # is refused before anything is written.
    (docs / "specs" / "sable.md").write_text("# Sable\n\nThe Sable seats five.\n")
    int8 = knowledge.embedder(now, precision="int8")
    with pytest.raises(EmbeddingModelMismatch, match=r"holds float32 vectors .* int8 ones"):
        run_ingest(now, store, [docs], lambda: int8, None, domains=DOMAINS)
    assert store.count() == 2

    run_ingest(now, store, [docs], lambda: int8, None, reset=True, domains=DOMAINS)
    assert store.pointer().embedding_model == "all-MiniLM-L6-v2@int8"  # type: ignore[union-attr]
    assert precision_of(now, store) == "int8" and store.count() == 3


def test_the_settings_defaults_are_the_limits_rag_gives_its_reasons_for(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert reading_limits(settings) == DEFAULT_LIMITS


def test_an_ingest_reads_its_files_apart_under_the_configured_memory(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The limits let the zip bomb through to the parser; the reader's memory stops it."""
    docs = _docs(tmp_path / "kb")
    (docs / "specs" / "brochure.docx").write_bytes(zip_bomb(100))
    settings = Settings(
        data_dir=tmp_path,
        ingest_reader_memory_mb=128,
        ingest_max_unpack_ratio=1_000_000,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = knowledge_store(settings)
    report = run_ingest(settings, store, [docs], lambda: embedder, None, domains=DOMAINS)
    assert report.added == 1
    assert report.failed == [("specs/brochure.docx", "needs more than 128 MB to read")]
