"""`/docs` in headless Chromium with every request off the server refused, as on a machine
with no internet: Swagger UI comes from the app itself and renders the API."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from tests.utils.server import ServerProcess, SharedServers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The shared server on SQLite only: what the page shows does not depend on the database
    (the protocol and persistence tests run on both)."""
    return shared_servers.running("sqlite")


def test_the_api_docs_render_with_no_internet(server: ServerProcess, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    problems: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{server.port}":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{server.base_url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Support orchestrator", timeout=20_000
        )
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/chat" in path for path in paths), paths
    finally:
        context.close()
    assert refused == [] and problems == []


def test_redoc_is_not_served_since_it_needs_a_cdn(server: ServerProcess) -> None:
    assert httpx.get(f"{server.base_url}/redoc").status_code == 404
