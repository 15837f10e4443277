"""How near a message must come to a knowledge base to be on its subject: just above the
nearest that everyday requests on other subjects come, never above the fixed ceiling."""

from __future__ import annotations

from rag.off_subject import MARGIN, PROBES, in_scope_floor
from rag.retriever import Retriever, Snapshot


def test_the_bar_is_a_margin_above_the_everyday_requests_and_never_above_the_ceiling() -> None:
    assert in_scope_floor(0.35, ceiling=0.6) == 0.35 + MARGIN
    assert in_scope_floor(0.58, ceiling=0.6) == 0.6
    assert in_scope_floor(0.0, ceiling=0.6) == MARGIN


def test_the_requests_name_no_vehicle_nor_its_care() -> None:
    words = {w.strip("?,.'").lower() for probe in PROBES for w in probe.split()}
    assert not words & {"car", "vehicle", "engine", "tyre", "tire", "oil", "brake", "service"}


def test_a_loaded_version_knows_how_near_everyday_requests_come(retriever: Retriever) -> None:
    snapshot = retriever.current()
    vectors = retriever.embedder.encode(list(PROBES))
    nearest = max(snapshot.closest(v) for v in vectors)
    assert snapshot.off_subject == nearest and 0 < nearest < 0.6
    question = retriever.embedder.encode(["How much can the Ridge Tow Pack tow?"])[0]
    assert snapshot.closest(question) > in_scope_floor(snapshot.off_subject, ceiling=0.6)
    assert Snapshot.empty(snapshot.embeddings.shape[1]).off_subject == 0.0
