"""The served process leaves what its start-up built out of the garbage collector's scans."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from api.app import create_app
from orchestrator.settings import Settings

pytestmark = pytest.mark.slow


def test_a_served_app_freezes_its_start_up_heap_and_a_test_app_does_not(
    kb_settings: Settings, db_url: URL
) -> None:
    settings = kb_settings.model_copy(
        update={"database_url": db_url.render_as_string(hide_password=False)}
    )
    gc.unfreeze()
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/ready").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(settings, freeze_heap=True)) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/ready").status_code == 200
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
