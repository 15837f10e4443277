"""`GET /api/v1/knowledge/gaps`: the knowledge gaps report, staff only, on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from api.app import create_app
from api.auth import issue
from api.deps import AppState
from orchestrator.settings import Settings
from tests.utils.turns import passage, stored_turn

pytestmark = pytest.mark.slow

GAPS = "/api/v1/knowledge/gaps"
NOT_FOUND = "I couldn't find an answer to that in the Kestrel knowledge base."


@pytest.fixture
def app(kb_settings: Settings, db_url: URL) -> Iterator[tuple[TestClient, AppState]]:
    url = db_url.render_as_string(hide_password=False)
    with TestClient(create_app(kb_settings.model_copy(update={"database_url": url}))) as client:
        yield client, client.app.state.app  # type: ignore[attr-defined]


def bearer(state: AppState, user: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(state.secret, user, role, 600)}"}  # type: ignore[arg-type]


def test_staff_get_the_gaps_by_topic_and_others_are_refused(
    app: tuple[TestClient, AppState],
) -> None:
    client, state = app
    db = state.orchestrator.services.db
    weak = [passage("Ridge specifications", 0.33, "Dimensions")]

    async def seed() -> None:
        await stored_turn(db, "s1", "Is there a roof rack for the Ridge?", NOT_FOUND, sources=weak)
        await stored_turn(db, "s2", "Can I fit a roof rack on the Aster?", "See [1].", sources=weak)
        good = [passage("Diagnostic trouble codes", 0.62, "P0420")]
        await stored_turn(db, "s3", "What does P0420 mean?", "Catalyst [1].", sources=good)

    assert client.portal is not None
    client.portal.call(seed)

    response = client.get(GAPS, headers=bearer(state, "kim", "staff"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["questions"] == 2 and report["score_below"] == 0.4
    [group] = report["groups"]
    assert group["count"] == 2 and group["conversations"] == 2
    assert group["reasons"] == {
        "no_answer": 1,
        "low_score": 2,
        "thumbs_down": 0,
        "handoff": 0,
        "rephrased": 0,
    }
    assert {e["question"] for e in group["examples"]} == {
        "Is there a roof rack for the Ridge?",
        "Can I fit a roof rack on the Aster?",
    }
    assert group["passages"] == [
        {
            "source": "ridge-specifications.md",
            "title": "Ridge specifications",
            "heading": "Dimensions",
            "score": 0.33,
            "page": None,
        }
    ]
    # Searched again in the sample knowledge base now live.
    assert group["retrieved_now"] and all(p["title"] for p in group["retrieved_now"])

    assert (
        client.get(GAPS, params={"hours": 0}, headers=bearer(state, "kim", "staff")).status_code
        == 422
    )
    refused = client.get(GAPS, headers=bearer(state, "ada", "customer"))
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "FORBIDDEN"
    assert client.get(GAPS).status_code == 401


def test_with_nothing_answered_badly_the_report_is_empty(app: tuple[TestClient, AppState]) -> None:
    client, state = app
    response = client.get(GAPS, params={"hours": 1}, headers=bearer(state, "adm", "admin"))
    assert response.status_code == 200
    assert response.json()["groups"] == [] and response.json()["questions"] == 0
