"""The knowledge base as the service configures it: the company's own glossary."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import StartupError
from orchestrator.knowledge import glossary
from orchestrator.settings import Settings
from rag.glossary import TRADE


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
