"""`/docs`, the landing page and the protocol page in headless Chromium with every request off
the server refused, as on a machine with no internet: each comes from the app itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.utils.server import ServerProcess, SharedServers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The shared server on SQLite only: what the page shows does not depend on the database
    (the protocol and persistence tests run on both)."""
    return shared_servers.running("sqlite")


@dataclass
class Offline:
    """A page on which every request off the server is refused, and what went wrong."""

    page: Page
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def offline(server: ServerProcess, browser: Browser) -> Iterator[Offline]:
    context = browser.new_context()
    seen = Offline(context.new_page())

    def refuse_elsewhere(route: Route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{server.port}":
            route.continue_()
        else:
            seen.refused.append(route.request.url)
            route.abort("internetdisconnected")

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            seen.problems.append(f"console.{message.type}: {message.text}")

    context.route("**/*", refuse_elsewhere)
    seen.page.on("pageerror", lambda error: seen.problems.append(str(error)))
    seen.page.on("console", on_console)
    try:
        yield seen
    finally:
        context.close()
    assert seen.refused == [] and seen.problems == []


def test_the_api_docs_render_with_no_internet(server: ServerProcess, offline: Offline) -> None:
    page = offline.page
    page.goto(f"{server.base_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Support orchestrator", timeout=20_000
    )
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/chat" in path for path in paths), paths


def test_the_landing_page_leads_to_every_page_and_the_protocol_reads_offline(
    server: ServerProcess, offline: Offline
) -> None:
    page = offline.page
    page.goto(f"{server.base_url}/")
    links = {name: page.locator(f"#link-{name}") for name in ("chat", "console", "docs")}
    for name, path in (("console", "/console"), ("docs", "/docs")):
        expect(links[name]).to_have_attribute("href", path)
    # A development server signs the chat page in as its demo customer.
    expect(links["chat"]).to_have_attribute("href", re.compile(r"^/ws/test\?token=[\w.-]+$"))

    page.locator("#link-protocol").click()
    expect(page).to_have_url(f"{server.base_url}/protocol")
    expect(page.locator("#channel-chat h2")).to_have_text("/ws/chat")
    expect(page.locator("#channel-staff h2")).to_have_text("/ws/staff")
    chat_frame = page.locator("#message-ChatFrame")
    expect(chat_frame.locator("h3")).to_contain_text("message")
    expect(chat_frame.locator("tr", has_text="message_id")).to_contain_text("at most 128")
    page.locator("#channel-chat a", has_text="complete").click()  # into its fields
    expect(page.locator("#message-CompleteEvent")).to_be_in_viewport()
    metadata = page.locator("#message-CompleteEvent a", has_text="CompleteMetadata")
    expect(metadata).to_have_attribute("href", "#type-CompleteMetadata")
    expect(page.locator("#error-MESSAGE_TOO_LARGE")).to_contain_text("longer than")
    expect(page.locator(".limits")).to_contain_text("65,536 bytes")

    page.go_back()
    page.go_back()
    links["chat"].click()  # opens ready: connected, no click more
    expect(page.locator("#status")).to_have_text("open", timeout=20_000)
    expect(page.locator("#user")).to_have_text("Demo Customer (customer)")


def test_redoc_is_not_served_since_it_needs_a_cdn(server: ServerProcess) -> None:
    assert httpx.get(f"{server.base_url}/redoc").status_code == 404
