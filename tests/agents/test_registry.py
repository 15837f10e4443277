"""The specialist registry: every folder of `agents/` that declares a specialist, and everything
that names the specialists reads it.

A company adds a specialist as `tests/agents/company/recalls/` is written: a folder with its
entry in `__init__`, nothing else edited. The tests put that folder in the `agents` package (on
its path, so that the shared source tree stays as it is) and then use the product as it ships.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import agents
from agents.registry import GENERAL, Registry, default_registry
from agents.wiring import build_router
from api.app import create_app
from api.auth import issue
from api.deps import AppState
from orchestrator.settings import Settings
from tests.conftest import KNOWLEDGE_BASE

COMPANY = Path(__file__).resolve().parent / "company"  # holds `recalls/`, as added to agents/

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
    assert registry.offers == (
        "vehicle specifications",
        "maintenance, service appointments and warranty questions",
        "troubleshooting warning lights, trouble codes and faults",
    )


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


@pytest.fixture
def recalls_added() -> Iterator[None]:
    """`agents/recalls/` as a company adds it; the product's registry found afresh."""
    shipped = agents.__path__
    agents.__path__ = [*shipped, str(COMPANY)]
    default_registry.cache_clear()
    try:
        yield
    finally:
        agents.__path__ = shipped
        default_registry.cache_clear()
        for name in [m for m in sys.modules if m.split(".")[:2] == ["agents", "recalls"]]:
            del sys.modules[name]


def test_a_folder_that_declares_a_specialist_joins_the_registry(recalls_added: None) -> None:
    registry = default_registry()
    assert registry.names == ("specs", "maintenance", "troubleshooting", "recalls", GENERAL)
    assert registry["recalls"].searches == ("recalls",)
    assert registry.domains[-1] == "recalls" and registry.offers[-1] == "safety recalls"


def test_a_fifth_specialist_is_routed_to(embedder: Any, recalls_added: None) -> None:
    router = build_router(embedder)
    (vector,) = embedder.encode(["got a letter saying my car is part of a recall, what now?"])
    assert router.classify(vector).route == "recalls"


def _bearer(state: AppState, user: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(state.secret, user, role, 600)}"}  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_fifth_specialist_is_served_everywhere_the_specialists_are_named(
    tmp_path: Path, recalls_added: None
) -> None:
    """The REST ingest takes its domain, it answers from it, the greeting and the fallback
    replies say what it helps with, and the console filters by it."""
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        state: AppState = client.app.state.app  # type: ignore[attr-defined]
        admin, staff = _bearer(state, "ann", "admin"), _bearer(state, "sam", "staff")
        customer = _bearer(state, "cus", "customer")

        ingest = "/api/v1/knowledge/ingest"
        lights = KNOWLEDGE_BASE / "troubleshooting" / "warning-lights.md"  # airbags too
        shipped = [{"source": "troubleshooting/warning-lights.md", "content": lights.read_text()}]
        assert client.post(ingest, json={"documents": shipped}, headers=admin).status_code == 200
        documents = [{"source": "rc-2026-14.md", "content": RECALL_NOTICE}]
        refused = client.post(
            ingest, json={"documents": documents, "domain": "recall"}, headers=admin
        )
        assert refused.status_code == 422
        assert refused.json()["detail"] == {
            "code": "INVALID_DOMAIN",
            "message": "No domain 'recall'; one of: specs, maintenance, troubleshooting, recalls",
        }
        done = client.post(
            ingest, json={"documents": documents, "domain": "recalls"}, headers=admin
        )
        assert done.status_code == 200, done.text
        known = client.get("/api/v1/knowledge", headers=staff).json()
        assert known["domains"] == ["specs", "maintenance", "troubleshooting", "recalls"]

        def ask(message: str) -> dict[str, Any]:
            answered = client.post("/api/v1/chat", json={"message": message}, headers=customer)
            assert answered.status_code == 200, answered.text
            return dict(answered.json())

        answer = ask("Is my car part of the airbag recall? Do I pay for the repair?")
        assert answer["metadata"]["agents"] == ["recalls"]
        assert answer["metadata"]["context"]["sources"][0] == "rc-2026-14.md"
        assert "free of charge" in answer["response"]

        greeting = ask("Hi there!")
        assert greeting["response"].startswith("Hello, I can help with vehicle specifications,")
        for reply in (greeting, ask("Tell me a joke"), ask("Can I talk to a real person?")):
            assert reply["metadata"]["agent"] == GENERAL
            assert "trouble codes and faults, and safety recalls." in reply["response"]

        page = client.get("/console")
        assert '<option value="recalls">Recalls</option>' in page.text
        listed = client.get("/api/v1/staff/conversations?route=recalls", headers=staff).json()
        assert [c["session_id"] for c in listed] == [answer["session_id"]]
