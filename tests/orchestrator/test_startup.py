"""Several instances started at once on a fresh database all come up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from orchestrator.settings import Settings
from tests.utils.databases import fresh_database
from tests.utils.server import ServerProcess

pytestmark = pytest.mark.slow
INSTANCES = 3


def test_instances_started_together_on_a_fresh_database_all_come_up(
    tmp_path: Path, kb_settings: Settings
) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        servers = [
            ServerProcess(tmp_path / f"i{i}", kb_settings.chroma_path, url.render_as_string(False))
            for i in range(INSTANCES)
        ]
        try:
            for server in servers:
                server.launch()
            for server in servers:
                server.wait_ready()
            for server in servers:
                assert httpx.get(f"{server.base_url}/ready", timeout=5).status_code == 200
        finally:
            for server in servers:
                server.stop()
