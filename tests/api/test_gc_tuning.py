"""The served process fits the garbage collector to serving: what its start-up built is left
out of the scans, and young collections are rarer."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from api.app import YOUNG_GC_THRESHOLD, create_app
from orchestrator.settings import Settings

pytestmark = pytest.mark.slow


def test_a_served_app_tunes_the_collector_and_a_test_app_does_not(
    kb_settings: Settings, db_url: URL
) -> None:
    settings = kb_settings.model_copy(
        update={"database_url": db_url.render_as_string(hide_password=False)}
    )
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/ready").status_code == 200
            assert gc.get_freeze_count() == 0
            assert gc.get_threshold() == thresholds
        with TestClient(create_app(settings, tune_gc=True)) as client:
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *thresholds[1:])
            assert client.get("/ready").status_code == 200
    finally:  # this test process goes on collecting as before
        gc.unfreeze()
        gc.set_threshold(*thresholds)
