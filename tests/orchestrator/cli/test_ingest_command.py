"""`orchestrator ingest` as `make run` runs it: the folders of KNOWLEDGE_DIRS, pruned, and
nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.store import open_store


def _ingest(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KNOWLEDGE_DIRS"}
    environment.update({"ORCHESTRATOR_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "ingest", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=300,
    )


def _company(tmp_path: Path) -> tuple[Path, Path]:
    """A knowledge base with a domain folder each, and a manual kept somewhere else."""
    (tmp_path / "kb" / "specs").mkdir(parents=True)
    (tmp_path / "kb" / "troubleshooting").mkdir()
    (tmp_path / "kb" / "specs" / "aster.md").write_text("# Aster\n\nThe Aster goes 430 km.\n")
    codes = tmp_path / "kb" / "troubleshooting" / "codes.md"
    codes.write_text("# Codes\n\n## P0A80\n\nReplace the hybrid battery pack.\n")
    (tmp_path / "manuals").mkdir()
    manual = tmp_path / "manuals" / "vela.md"
    manual.write_text("---\ndomain: specs\n---\n# Vela\n\nThe Vela's tank holds 40 litres.\n")
    return codes, manual


@pytest.mark.slow
def test_a_restart_prunes_only_its_own_folders_and_names_each_file_it_removes(
    tmp_path: Path,
) -> None:
    codes, manual = _company(tmp_path)
    first = _ingest(tmp_path, "--prune", KNOWLEDGE_DIRS="kb")
    assert first.returncode == 0, first.stderr
    assert "added 2, updated 0, unchanged 0, removed 0, failed 0" in first.stdout
    elsewhere = _ingest(tmp_path, str(manual))
    assert "added 1," in elsewhere.stdout, elsewhere.stderr

    codes.unlink()
    restart = _ingest(tmp_path, "--prune", KNOWLEDGE_DIRS="kb")
    assert restart.returncode == 0, restart.stderr
    assert "removed kb/troubleshooting/codes.md" in restart.stderr
    assert "added 0, updated 0, unchanged 1, removed 1, failed 0" in restart.stdout
    version = open_store(None, tmp_path / "data" / "chroma", "knowledge_base").read()
    assert version is not None
    assert {m["source"] for m in version.metadatas} == {"specs/aster.md", "vela.md"}


def test_with_no_folders_listed_nothing_is_ingested(tmp_path: Path) -> None:
    _company(tmp_path)
    result = _ingest(tmp_path, "--prune", KNOWLEDGE_DIRS="")
    assert result.returncode == 0, result.stderr
    assert "KNOWLEDGE_DIRS is empty: no folder to ingest" in result.stderr
    assert not (tmp_path / "data" / "chroma").exists()


def test_a_listed_folder_that_is_missing_is_one_clear_line(tmp_path: Path) -> None:
    result = _ingest(tmp_path, "--prune", KNOWLEDGE_DIRS="kb,company-docs")
    assert result.returncode == 2
    assert "no such file or folder: kb, company-docs" in result.stderr
    assert "KNOWLEDGE_DIRS" in result.stderr and "Traceback" not in result.stderr
