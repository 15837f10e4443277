"""Ingestion is idempotent, replaces changed documents, prunes, and reports failures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.documents import SourceDocument, load
from rag.embeddings import Embedder, Vectors
from rag.ingest import ingest
from rag.store import EmbeddingModelMismatch, KnowledgeStore, open_store
from tests.conftest import REPO
from tests.rag import DOMAINS
from tests.utils.docx_packages import minimal_package, paragraph, zip_bomb


class CountingEmbedder:
    """The real model, counting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts = 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.inner.encode(texts)


def _tree(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "troubleshooting").mkdir()
    (root / "specs" / "aster.md").write_text(
        "---\ntitle: Aster\n---\n# Aster\n\n## Range\n\nThe Aster goes 430 km.\n\n"
        "## Power\n\nThe Aster makes 170 kW.\n"
    )
    (root / "troubleshooting" / "codes.md").write_text(
        "# Codes\n\n## P0A80\n\nReplace the hybrid battery pack.\n"
    )
    return root


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    return open_store(None, tmp_path / "data" / "chroma", "knowledge_base")


def _ingest(root: Path, store: KnowledgeStore, counter: CountingEmbedder, **options: bool):  # type: ignore[no-untyped-def]
    return ingest(
        [root], store, lambda: counter, embedding_model=counter.name, domains=DOMAINS, **options
    )


def test_a_second_ingest_of_the_same_tree_embeds_nothing(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    first = _ingest(root, store, counter)
    assert (first.added, first.unchanged, first.failed) == (2, 0, [])
    embedded_first = counter.texts
    assert embedded_first == first.chunks_embedded == store.count() == 3

    second = _ingest(root, store, counter)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert counter.texts == embedded_first
    assert second.chunks_embedded == 0


def test_a_changed_document_replaces_its_chunks_and_embeds_only_new_ones(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    _ingest(root, store, counter)
    before = counter.texts
    (root / "specs" / "aster.md").write_text(
        "---\ntitle: Aster\n---\n# Aster\n\n## Range\n\nThe Aster goes 430 km.\n\n"
        "## Power\n\nThe Aster now makes 180 kW.\n"
    )
    report = _ingest(root, store, counter)
    assert (report.updated, report.unchanged) == (1, 1)
    assert counter.texts - before == 1  # only the changed section
    version = store.read()
    assert version is not None
    documents = version.documents
    assert any("180 kW" in d for d in documents)
    assert not any("170 kW" in d for d in documents)
    assert store.count() == 3


def test_prune_removes_chunks_of_deleted_files_only_when_asked(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    _ingest(root, store, counter)
    (root / "troubleshooting" / "codes.md").unlink()
    assert _ingest(root, store, counter).removed == 0
    assert store.count() == 3
    report = _ingest(root, store, counter, prune=True)
    assert report.removed == 1
    assert store.count() == 2


def _manual(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"---\ndomain: specs\n---\n# Owner's manual\n\n{text}\n")
    return folder / name


def _sources(store: KnowledgeStore) -> dict[str, str]:
    """Each stored document's name, with the file it was read from."""
    version = store.read()
    assert version is not None
    return {str(m["source"]): str(m.get("file", "")) for m in version.metadatas}


def test_a_document_ingested_from_another_folder_survives_a_prune_of_the_knowledge_base(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    from rag.retriever import Retriever

    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    _ingest(root, store, counter)
    manual = _manual(tmp_path / "elsewhere", "vela.md", "The Vela's tank holds 40 litres.")
    assert _ingest(manual, store, counter).added == 1  # a file given on its own, as in the issue
    (root / "troubleshooting" / "codes.md").unlink()

    again = _ingest(root, store, counter, prune=True)
    assert again.removed == 1 and again.unplaced == []
    assert again.pruned == [("troubleshooting/codes.md", str(root / "troubleshooting/codes.md"))]
    assert _sources(store) == {
        "specs/aster.md": str(root / "specs/aster.md"),
        "vela.md": str(manual),
    }
    found = Retriever(store, embedder).search("How much does the Vela's tank hold?")
    assert found and found[0].source == "vela.md" and "40 litres" in found[0].text
    assert _ingest(root, store, counter, prune=True).removed == 0  # a restart, the same again


def test_a_prune_keeps_documents_it_cannot_place_and_says_which(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    """A knowledge base ingested before each chunk recorded its file: what the prune's folder
    holds is recorded by it, the rest is kept and named."""
    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    _ingest(root, store, counter)
    _ingest(_manual(tmp_path / "elsewhere", "vela.md", "The Vela's tank holds 40 litres."),
            store, counter)  # fmt: skip
    _forget_files(store)
    embedded = counter.texts

    report = _ingest(root, store, counter, prune=True)
    assert (report.unchanged, report.removed, report.unplaced) == (2, 0, ["vela.md"])
    assert counter.texts == embedded  # recorded without embedding anything again
    assert _sources(store)["specs/aster.md"] == str(root / "specs/aster.md")
    assert _sources(store)["vela.md"] == ""
    (root / "specs" / "aster.md").unlink()
    report = _ingest(root, store, counter, prune=True)
    assert [source for source, _ in report.pruned] == ["specs/aster.md"]
    assert set(_sources(store)) == {"troubleshooting/codes.md", "vela.md"}


def _forget_files(store: KnowledgeStore) -> None:
    """The store as an ingest before this one wrote it: no chunk knows its file."""
    version = store.read()
    assert version is not None and version.pointer.embedding_model is not None
    draft = store.begin(version.pointer.embedding_model, len(version.embeddings[0]))
    metadatas = [{k: v for k, v in m.items() if k != "file"} for m in version.metadatas]
    draft.add(version.ids, np.asarray(version.embeddings, dtype=np.float32),
              version.documents, metadatas)  # fmt: skip
    store.publish(draft, store.catalogue())


def test_two_folders_with_files_of_one_name_do_not_replace_each_other(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    counter = CountingEmbedder(embedder)
    fjord = _manual(tmp_path / "manuals" / "fjord", "manual.md", "The Fjord goes 590 km.")
    talus = _manual(tmp_path / "manuals" / "talus", "manual.md", "The Talus tows 3,500 kg.")
    _ingest(fjord.parent, store, counter)

    refused = _ingest(talus.parent, store, counter)
    assert refused.added == refused.updated == 0
    ((source, reason),) = refused.failed
    assert source == "manual.md" and str(fjord) in reason and "another name" in reason
    assert _sources(store) == {"manual.md": str(fjord)}
    both = ingest([fjord.parent, talus.parent], store, lambda: counter,
                  embedding_model=counter.name, domains=DOMAINS)  # fmt: skip
    assert both.unchanged == 1 and both.failed == refused.failed

    # From the folder that holds both, each has a name of its own; the old name goes.
    report = _ingest(tmp_path / "manuals", store, counter, prune=True)
    assert (report.added, report.removed, report.failed) == (2, 1, [])
    assert _sources(store) == {"fjord/manual.md": str(fjord), "talus/manual.md": str(talus)}


def test_a_file_of_a_taken_name_replaces_its_document_once_the_other_file_is_gone(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    counter = CountingEmbedder(embedder)
    old = _manual(tmp_path / "old", "manual.md", "The Fjord goes 590 km.")
    _ingest(old.parent, store, counter)
    copy = _manual(tmp_path / "copy", "manual.md", "The Fjord goes 590 km.")
    assert _ingest(copy.parent, store, counter).unchanged == 1  # the same document, read here
    assert _sources(store) == {"manual.md": str(copy)}

    copy.unlink()
    moved = _manual(tmp_path / "new", "manual.md", "The Fjord now goes 610 km.")
    report = _ingest(moved.parent, store, counter)
    assert (report.updated, report.failed) == (1, [])
    assert _sources(store) == {"manual.md": str(moved)}


def test_dry_run_reports_without_writing(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    counter = CountingEmbedder(embedder)
    report = _ingest(_tree(tmp_path / "kb"), store, counter, dry_run=True)
    assert (report.added, report.chunks_embedded) == (2, 3)
    assert counter.texts == 0
    assert store.count() == 0


def test_a_different_model_is_refused_with_a_way_out(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    _ingest(root, store, CountingEmbedder(embedder))
    with pytest.raises(EmbeddingModelMismatch, match="--reset"):
        ingest([root], store, lambda: embedder, embedding_model="other/model")
    with pytest.raises(EmbeddingModelMismatch, match="re-ingest"):
        store.check_model("other/model")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORCHESTRATOR_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "ingest", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


@pytest.mark.slow
def test_the_command_skips_a_corrupt_file_goes_on_and_exits_non_zero(tmp_path: Path) -> None:
    root = _tree(tmp_path / "kb")
    (root / "specs" / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    result = _cli(tmp_path, str(root))
    assert result.returncode == 1
    assert "failed specs/broken.pdf" in result.stderr
    assert "added 2, updated 0, unchanged 0, removed 0, failed 1" in result.stdout

    refused = subprocess.run(
        [sys.executable, "-m", "orchestrator", "ingest", str(root)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ORCHESTRATOR_DATA_DIR": str(tmp_path / "data"),
            "EMBEDDING_MODEL": "some/other-model",
        },
        cwd=REPO,
        timeout=300,
    )
    assert refused.returncode == 2
    assert "--reset" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.slow
def test_the_command_ingests_a_batch_but_for_the_file_that_cannot_be_read(tmp_path: Path) -> None:
    result = _cli(tmp_path, str(_batch(tmp_path / "kb")))
    assert result.returncode == 1
    assert "failed specs/brochure.docx: its part word/document.xml unpacks to" in result.stderr
    assert "added 10, updated 0, unchanged 0, removed 0, failed 1" in result.stdout
    assert "Traceback" not in result.stderr


def _batch(root: Path) -> Path:
    """Ten files, one of them a Word file without a numbering part (as some generators write
    them), and a zip bomb."""
    (root / "specs").mkdir(parents=True)
    for n in range(9):
        (root / "specs" / f"model-{n}.md").write_text(
            f"# Model {n}\n\n## Range\n\nModel {n} goes {400 + n} km on a charge.\n"
        )
    (root / "specs" / "quick-start.docx").write_bytes(
        minimal_package(paragraph("Quick start"), paragraph("Press the START button."))
    )
    (root / "specs" / "brochure.docx").write_bytes(zip_bomb(100))
    return root


def test_a_batch_is_ingested_but_for_the_file_that_cannot_be_read(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    report = _ingest(_batch(tmp_path / "kb"), store, CountingEmbedder(embedder))
    assert report.added == 10
    ((source, reason),) = report.failed
    assert source == "specs/brochure.docx" and "(a zip bomb?)" in reason
    assert "added 10, updated 0, unchanged 0, removed 0, failed 1" in report.summary()


def test_whatever_a_reader_raises_fails_its_file_and_not_the_batch(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")

    def read(path: Path, base: Path, domains: Sequence[str]) -> SourceDocument:
        if path.name == "codes.md":
            raise NotImplementedError("a part python-docx cannot make")
        return load(path, base, domains)

    report = ingest([root], store, lambda: embedder, embedding_model=embedder.name,
                    domains=DOMAINS, read=read)  # fmt: skip
    assert report.added == 1
    assert report.failed == [
        ("troubleshooting/codes.md", "could not be read (NotImplementedError: a part "
         "python-docx cannot make)")
    ]  # fmt: skip


def _classifier(embedder: Embedder):  # type: ignore[no-untyped-def]
    from agents.wiring import build_router
    from orchestrator.knowledge import domain_classifier

    return domain_classifier(lambda: build_router(embedder))


def test_a_document_in_a_plain_folder_gets_its_domain_from_its_content(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "lights.md").write_text(
        "# Warning lights\n\n## Red brake light\n\nIf the red brake warning light stays on,\n"
        "stop safely and do not drive. The brake fluid level may be low or the\n"
        "pedal may feel soft.\n\n## Engine light flashing\n\nA flashing engine light means a\n"
        "misfire: slow down and book a diagnostic check.\n"
    )
    (root / "service.md").write_text(
        "# Servicing\n\nThe car needs a service every 12 months or 20,000 km. Each service\n"
        "includes an oil change, brake inspection and tyre rotation. Book online.\n"
    )
    report = ingest([root], store, lambda: embedder, embedding_model=embedder.name,
                    classify=_classifier(embedder), domains=DOMAINS)  # fmt: skip
    decided = {d.source: d for d in report.decisions}
    assert decided["lights.md"].domain == "troubleshooting"
    assert decided["service.md"].domain == "maintenance"
    assert all(d.origin == "content" for d in decided.values())
    assert "from its content" in decided["lights.md"].describe()
    version = store.read()
    assert version is not None
    assert {m["source"]: m["domain"] for m in version.metadatas}["service.md"] == "maintenance"


def test_the_domain_flag_overrides_folders_front_matter_and_content(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    counter = CountingEmbedder(embedder)
    _ingest(root, store, counter)
    embedded = counter.texts
    report = ingest([root], store, lambda: counter, embedding_model=counter.name,
                    domain="maintenance", domains=DOMAINS)  # fmt: skip
    assert report.updated == 2 and counter.texts == embedded  # relabelled, not embedded again
    version = store.read()
    assert version is not None
    assert {m["domain"] for m in version.metadatas} == {"maintenance"}


def test_a_document_whose_domain_cannot_be_told_is_reported_and_still_searchable(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    from rag.retriever import Retriever

    root = tmp_path / "plain"
    root.mkdir()
    (root / "history.md").write_text(
        "# Our story\n\nThe company was founded in 1952 by two brothers who built\n"
        "bicycles in a barn near the river. Their first factory opened in 1961.\n"
    )
    report = ingest([root], store, lambda: embedder, embedding_model=embedder.name,
                    classify=_classifier(embedder), domains=DOMAINS)  # fmt: skip
    (decision,) = report.decisions
    assert decision.origin == "undecided"
    assert "--domain" in decision.describe() and "domain:" in decision.describe()
    found = Retriever(store, embedder).search("when was the company founded", prefer=["specs"])
    assert found and found[0].source == "history.md"


def test_unsupported_files_are_reported_as_skipped(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    (root / "specs" / "brochure.pptx").write_bytes(b"PK\x03\x04")
    report = _ingest(root, store, CountingEmbedder(embedder))
    assert report.skipped == [("specs/brochure.pptx", "unsupported file type .pptx")]


def test_a_link_to_nothing_is_reported_as_skipped(
    tmp_path: Path, store: KnowledgeStore, embedder: Embedder
) -> None:
    root = _tree(tmp_path / "kb")
    (root / "specs" / "moved.md").symlink_to(tmp_path / "elsewhere" / "moved.md")
    report = _ingest(root, store, CountingEmbedder(embedder))
    assert report.skipped == [("specs/moved.md", f"dangling link to {tmp_path}/elsewhere/moved.md")]


def test_the_catalogue_is_published_with_the_version(kb_settings) -> None:  # type: ignore[no-untyped-def]
    """Read from the sample knowledge base as the run ingested it, once (tests/conftest.py)."""
    from rag.catalogue import Catalogue

    store = open_store(None, kb_settings.chroma_path, kb_settings.chroma_collection)
    stored = store.catalogue()
    assert stored is not None
    assert Catalogue.model_validate_json(stored).model_names == ["Aster", "Ridge", "Sable"]
    version = store.read()
    assert version is not None
    models = {m["source"]: m["models"] for m in version.metadatas}
    assert models["specs/ridge.md"] == "Ridge" and models["maintenance/warranty.md"] == ""
