"""Two real instances on one PostgreSQL database and one Redis: what they share."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.settings import Settings
from tests.utils.databases import fresh_database
from tests.utils.live import REDIS_URL
from tests.utils.server import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[list[ServerProcess]]:
    root = tmp_path_factory.mktemp("cluster")
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    with fresh_database("postgresql", Path(root)) as url:
        servers = [
            ServerProcess(
                root / name,
                kb_settings.chroma_path,
                url.render_as_string(False),
                REDIS_URL=REDIS_URL,
                REDIS_PREFIX=prefix,
                RATE_LIMIT_MESSAGES="3",
                RATE_LIMIT_WINDOW_S="60",
            )
            for name in ("a", "b")
        ]
        for server in servers:
            server.launch()
        try:
            for server in servers:
                server.wait_ready()
            yield servers
        finally:
            for server in servers:
                server.stop()


def test_a_users_rate_limit_counts_messages_on_every_instance(
    instances: list[ServerProcess],
) -> None:
    a, b = instances
    token = a.token(f"cluster-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {token}"}
    codes = []
    for i, server in enumerate([a, b, a, b]):
        response = httpx.post(
            f"{server.base_url}/api/v1/chat",
            json={"message": f"How often should the oil be changed? ({i})"},
            headers=headers,
            timeout=60,
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]
