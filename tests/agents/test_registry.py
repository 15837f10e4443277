"""The specialist registry: the graph, the routers and the console read it, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from agents.registry import GENERAL, Registry, default_registry
from orchestrator import database
from orchestrator.checkpointer import open_checkpointer
from orchestrator.events import Sources
from orchestrator.graph import build_graph
from orchestrator.knowledge import domain_classifier, knowledge_store, run_ingest
from orchestrator.persistence import conversations
from orchestrator.services import build_router, build_services
from orchestrator.settings import Settings
from orchestrator.turns import Completed, Orchestrator
from tests.agents import recalls
from tests.conftest import REPO

RECALL_NOTICE = """# Safety recall RC-2026-14: passenger airbag inflator

Vehicles built between 3 March 2025 and 19 August 2025 are included in safety recall
RC-2026-14. The passenger airbag inflator may have been assembled without its retaining clip.

The workshop replaces the inflator retaining clip free of charge; the work takes about 45
minutes. Until then, do not let anyone sit in the front passenger seat.
"""


def test_the_product_registry_has_four_specialists_and_the_fallback() -> None:
    registry = default_registry()
    assert registry.names == ("specs", "maintenance", "troubleshooting", GENERAL)
    assert registry.domains == ("specs", "maintenance", "troubleshooting")
    assert registry.fault_routes == {"troubleshooting"}


def test_a_registry_without_the_fallback_or_with_twins_is_refused() -> None:
    specs = default_registry()["specs"]
    with pytest.raises(ValueError, match="general"):
        Registry([specs])
    with pytest.raises(ValueError, match="share a name"):
        Registry([specs, specs, default_registry()[GENERAL]])


def test_the_llm_router_may_only_name_registered_routes() -> None:
    schema = default_registry().llm_route_model()
    assert schema.model_validate({"routes": ["specs"]})
    with pytest.raises(ValueError):
        schema.model_validate({"routes": ["recalls"]})


def _with_recalls() -> Registry:
    return Registry([*default_registry(), recalls.SPECIALIST])


def test_a_fifth_specialist_is_routed_to(embedder: Any) -> None:  # type: ignore[no-untyped-def]
    router = build_router(embedder, _with_recalls())
    (vector,) = embedder.encode(["got a letter saying my car is part of a recall, what now?"])
    assert router.classify(vector).route == "recalls"


async def test_a_fifth_specialist_answers_from_its_own_domain(
    tmp_path: Path, db_url: URL, embedder: Any
) -> None:
    registry = _with_recalls()
    notices = tmp_path / "docs" / "recalls"
    notices.mkdir(parents=True)
    (notices / "rc-2026-14.md").write_text(RECALL_NOTICE)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    report = run_ingest(
        settings,
        knowledge_store(settings),
        [REPO / "knowledge_base" / "troubleshooting", tmp_path / "docs"],
        lambda: embedder,
        domain_classifier(lambda: build_router(embedder, registry)),
        domains=registry.domains,
    )
    assert not report.failed
    engine = database.create_engine(db_url)
    try:
        services = build_services(
            settings, database.session_factory(engine), embedder, specialists=registry
        )
        async with services.sessions() as session:
            await conversations.ensure_user(session, "cust", "Cust")
            await conversations.open_conversation(session, "s-recall", "cust")
            await session.commit()
        async with open_checkpointer(db_url) as saver:
            orchestrator = Orchestrator(services, build_graph(saver, specialists=registry))
            events = [
                e
                async for e in orchestrator.stream_turn(
                    session_id="s-recall",
                    customer_id="cust",
                    text="Is my car part of the airbag recall? Do I pay for the repair?",
                )
            ]
    finally:
        await engine.dispose()
    done = events[-1]
    assert isinstance(done, Completed), done
    assert done.metadata["agents"] == ["recalls"]
    (sources,) = [e for e in events if isinstance(e, Sources)]
    assert sources.sources[0]["source"].endswith("rc-2026-14.md")
    assert "free of charge" in done.response
