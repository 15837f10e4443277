"""`/metrics`: open by default, as Prometheus scrapes; only for its token's bearer when
METRICS_TOKEN is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from orchestrator.settings import Settings

pytestmark = pytest.mark.slow


TOKEN = "scrape-token-0123456789"


@pytest.fixture
def client(kb_settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The app with METRICS_TOKEN set (the open default: the shared servers' tests scrape it)."""
    update = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'metrics.sqlite3'}",
        "metrics_token": SecretStr(TOKEN),
    }
    with TestClient(create_app(kb_settings.model_copy(update=update))) as client:
        yield client


def test_metrics_are_for_the_tokens_bearer_when_a_token_is_set(client: TestClient) -> None:
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json()["detail"]["code"] == "AUTH_REQUIRED"
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    scraped = client.get("/metrics", headers=right)
    assert scraped.status_code == 200 and "orchestrator" in scraped.text
