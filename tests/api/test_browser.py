"""The `/ws/test` page in headless Chromium, against a real server.

Plain sync tests: the sync Playwright API runs its own event loop, and the server is another
process, so nothing here needs asyncio.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Response, expect

from tests.utils import paged_document
from tests.utils.fake_openai import FakeOpenAI, Reply, slow_answers
from tests.utils.server import ServerProcess, SharedServers

pytestmark = pytest.mark.browser

QUESTION = "What does code P0A80 mean?"
OIL_CHANGE = "When can I bring my car for an oil change tomorrow?"
XSS = '<img src=x onerror="window.__xss=1">'
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The shared server on SQLite only: what the page shows does not depend on the database
    (the protocol and persistence tests run on both)."""
    return shared_servers.running("sqlite")


# Records, from inside the page, every state of the progress line and of the newest assistant
# bubble: tokens arrive faster than a test could poll for them.
RECORDER = """() => {
  const log = { progress: [], bubbles: [] };
  const progress = document.getElementById("progress");
  const messages = document.getElementById("messages");
  const record = () => {
    const step = progress.hidden ? "" : progress.textContent;
    if (step && step !== log.progress.at(-1)) log.progress.push(step);
    const bubble = [...messages.querySelectorAll(".message.assistant")].at(-1);
    if (!bubble) return;
    const state = {
      text: bubble.querySelector(".content").dataset.text ?? "",
      streaming: bubble.classList.contains("streaming"),
      complete: bubble.classList.contains("complete"),
      sources: bubble.querySelectorAll(".sources li").length,
    };
    const last = log.bubbles.at(-1);
    if (!last || JSON.stringify(last) !== JSON.stringify(state)) log.bubbles.push(state);
  };
  new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  window.__recorded = log;
}"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own sessionStorage); fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console.{message.type}: {message.text} {message.location['url']}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield page
        assert not problems, problems
    finally:
        context.close()


def user() -> str:
    return f"browser-{uuid.uuid4().hex[:8]}"


def open_chat(page: Page, server: ServerProcess, name: str) -> str:
    """Open the page with a customer token in its URL, as `make run` prints it: it connects
    by itself. Returns the token."""
    token = server.token(name)
    page.goto(f"{server.base_url}/ws/test?token={token}")
    expect(page.locator("#token")).to_have_value(token)
    assert "token=" not in page.url  # the page takes the token out of the address bar
    expect(page.locator("#status")).to_have_text("open", timeout=WAIT_MS)
    expect(page.locator("#user")).to_have_text(f"{name.title()} (customer)")
    return token


def send(page: Page, text: str) -> None:
    page.locator("#message-input").fill(text)
    page.locator("#send").click()


def expect_ready_for_the_next_message(page: Page, timeout: float = 5000) -> None:
    """Nothing under way: Send waits only for a message (it stays off for an empty one)."""
    page.locator("#message-input").fill("?")
    expect(page.locator("#send")).to_be_enabled(timeout=timeout)
    page.locator("#message-input").fill("")
    expect(page.locator("#send")).to_be_disabled()


def last_assistant(page: Page) -> Locator:
    return page.locator(".message.assistant").last


def stored_messages(server: ServerProcess, token: str, session: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_question_streams_an_answer_with_sources_and_takes_feedback(
    server: ServerProcess, page: Page, tmp_path: Path
) -> None:
    token = open_chat(page, server, user())
    page.evaluate(RECORDER)

    send(page, QUESTION)
    expect(page.locator(".message.user .content")).to_have_text(QUESTION)
    bubble = last_assistant(page)
    expect(bubble).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    expect(page.locator("#progress")).to_be_hidden()
    expect_ready_for_the_next_message(page)
    expect(page.locator("#error")).to_be_hidden()

    recorded = page.evaluate("window.__recorded")
    steps = [re.sub(r" \(\w+\)$", "", text) for text in recorded["progress"]]
    assert steps == [
        "Sending…",
        "Starting…",
        "Routing…",
        "Searching the knowledge base…",
        "Writing the answer…",
    ], recorded["progress"]
    assert recorded["progress"][-1] == "Writing the answer… (troubleshooting)"

    final = bubble.locator(".content").get_attribute("data-text") or ""
    streamed = [s["text"] for s in recorded["bubbles"] if s["streaming"] and s["text"]]
    assert len(set(streamed)) >= 2, recorded["bubbles"]  # the text grew while streaming
    for shorter, longer in zip(streamed, [*streamed[1:], final], strict=True):
        assert longer.startswith(shorter) and len(longer) >= len(shorter)
    first_text = next(s for s in recorded["bubbles"] if s["text"])
    assert first_text["sources"] > 0  # sources are shown before the first token
    assert recorded["bubbles"][-1]["complete"] and not recorded["bubbles"][-1]["streaming"]

    session = page.locator("#session-id").inner_text()
    stored = stored_messages(server, token, session)
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", QUESTION),
        ("assistant", final),
    ]
    assert "P0A80" in final

    sources = bubble.locator(".sources li")
    assert sources.count() > 0
    expect(sources.first).to_contain_text("diagnostic-trouble-codes")
    expect(bubble.locator(".meta")).to_contain_text("troubleshooting")

    # Drawn icons, not emoji (which need a font the machine may not have).
    expect(bubble.locator(".feedback-up svg.thumb-up")).to_have_count(1)
    expect(bubble.locator(".feedback-down svg.thumb-down")).to_have_count(1)
    assert bubble.locator(".feedback-up").inner_text().strip() == ""
    bubble.locator(".feedback-up").click()
    status = bubble.locator(".feedback-status")
    expect(status).to_have_text("Thanks! Feedback recorded (up).")
    expect(bubble.locator(".feedback-up")).to_have_attribute("aria-pressed", "true")
    expect(bubble.locator(".feedback")).to_have_attribute("data-rating", "up")

    screenshot = tmp_path / "chat.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")


def test_a_refused_message_shows_the_error_code_and_gives_the_text_back(
    server: ServerProcess, page: Page
) -> None:
    """What the page cannot tell is empty (a zero-width space), the server refuses."""
    open_chat(page, server, user())
    send(page, "\u200b")

    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-code", "EMPTY_MESSAGE")
    expect(error.locator(".error-code")).to_have_text("EMPTY_MESSAGE")
    expect(error.locator(".error-message")).not_to_be_empty()
    expect(page.locator(".message.user")).to_have_class(re.compile(r"\brefused\b"))
    expect(page.locator("#message-input")).to_have_value("\u200b")
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator(".message.assistant")).to_have_count(0)

    error.click()  # dismisses it
    expect(error).to_be_hidden()
    expect(page.locator("#status")).to_have_text("open")


def test_the_printed_link_opens_a_ready_page_and_send_keeps_to_the_servers_limit(
    server: ServerProcess, page: Page
) -> None:
    open_chat(page, server, user())  # no click: the link connects
    limit = page.locator('meta[name="max-message-chars"]').get_attribute("content")
    assert limit == "4000"  # the server's MAX_MESSAGE_CHARS, as it served the page
    box, send_button, error = (page.locator(s) for s in ("#message-input", "#send", "#error"))
    expect(send_button).to_be_disabled()  # nothing to send
    box.fill("  \n ")
    expect(send_button).to_be_disabled()
    box.fill("x" * 4000)
    expect(send_button).to_be_enabled()
    box.fill("x" * 70_000)
    expect(send_button).to_be_disabled()
    expect(page.locator("#char-count")).to_have_text("70000 / 4000 · too long")
    box.press("Enter")  # says why, in words, and sends nothing
    expect(error).to_have_attribute("data-code", "MESSAGE_TOO_LARGE")
    expect(error.locator(".error-message")).to_contain_text("limited to 4000 characters")
    expect(page.locator(".message.user")).to_have_count(0)

    # A page out of step with the server (an older one, another client) sends what the server
    # refuses: a frame over 64 KiB is answered MESSAGE_TOO_LARGE on an open connection, and
    # one over what the server reads at all closes it, said in words, and the page reconnects.
    page.evaluate(
        """() => document.querySelector('meta[name="max-message-chars"]')
                   .setAttribute("content", "2000000")"""
    )
    send(page, "x" * 70_000)
    expect(error).to_have_attribute("data-code", "MESSAGE_TOO_LARGE", timeout=WAIT_MS)
    expect(error.locator(".error-message")).to_contain_text("the limit is 65536")
    expect(box).to_have_value("x" * 70_000)  # given back
    expect(page.locator("#status")).to_have_text("open")
    page.locator("#error").click()

    page.evaluate(RECORDER_OF_STATUS)
    send(page, "x" * 1_100_000)
    expect(error).to_have_attribute("data-code", "MESSAGE_TOO_LARGE", timeout=WAIT_MS)
    expect(error.locator(".error-message")).to_contain_text("closed the connection")
    expect(error.locator(".error-message")).to_contain_text("Reconnecting")
    expect(page.locator("#status")).to_have_text("open", timeout=WAIT_MS)
    assert "reconnecting" in page.evaluate("window.__statuses")
    expect(box).to_have_value("x" * 1_100_000)
    send(page, QUESTION)  # the connection is usable again
    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)


RECORDER_OF_STATUS = """() => {
  window.__statuses = [];
  const status = document.getElementById("status");
  new MutationObserver(() => window.__statuses.push(status.dataset.state))
    .observe(status, { attributes: true });
}"""


def test_a_message_to_staff_is_taken_their_reply_shown_and_the_closed_conversation_rated(
    server: ServerProcess, page: Page
) -> None:
    """While a person has the conversation, a message goes to them: the page does not wait for
    an answer from the assistant (it used to stay on "Sending…" for good)."""
    open_chat(page, server, user())
    send(page, "How often does the oil need changing?")
    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    session = page.locator("#session-id").inner_text()
    staff = {"Authorization": f"Bearer {server.token(user(), 'staff')}"}
    url = f"{server.base_url}/api/v1/staff/conversations/{session}"
    assert httpx.post(f"{url}/takeover", headers=staff, timeout=10).status_code == 200

    send(page, "Can a person look at my booking instead?")
    expect(page.locator(".message.user").last).not_to_have_class(re.compile(r"\bsending\b"))
    expect_ready_for_the_next_message(page, timeout=WAIT_MS)
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator(".message.assistant")).to_have_count(1)
    reply = {"message": "Hello, I can help with that."}
    assert httpx.post(f"{url}/messages", headers=staff, json=reply, timeout=10).is_success
    expect(page.locator(".message.staff .content")).to_have_text(reply["message"])

    # Closed, the customer is asked how it went, and answers from 1 to 5.
    assert httpx.post(f"{url}/close", headers=staff, timeout=10).status_code == 200
    closed = page.locator('.message.handoff[data-status="closed"]')
    expect(closed).to_contain_text("How did we do?", timeout=WAIT_MS)
    closed.get_by_role("button", name="4 of 5").click()
    expect(closed.locator(".rating-status")).to_have_text(
        "Thanks: you rated this conversation 4 of 5."
    )
    expect(closed.get_by_role("button", name="4 of 5")).to_have_attribute("aria-pressed", "true")
    totals = httpx.get(f"{server.base_url}/api/v1/staff/metrics", headers=staff, timeout=10).json()[
        "totals"
    ]
    assert totals["csat_count"] >= 1 and 1 <= totals["csat"] <= 5


def test_user_text_is_shown_as_text_never_as_html(server: ServerProcess, page: Page) -> None:
    open_chat(page, server, user())
    send(page, f"Is this a fault code? {XSS}")

    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    expect(page.locator(".message.user .content")).to_have_text(f"Is this a fault code? {XSS}")
    assert page.locator("#messages img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_model_text_is_shown_as_text_never_as_html(
    llm_server: ServerProcess, fake_llm: FakeOpenAI, page: Page
) -> None:
    answer = f"Code P0A80 <b>means</b> {XSS.replace('1', '2')} replace the battery."
    fake_llm.tokens_per_s = 20  # slow enough to watch it stream in 100 ms frames
    try:
        fake_llm.script(Reply(answer))
        open_chat(page, llm_server, user())
        page.evaluate(RECORDER)
        send(page, QUESTION)
        bubble = last_assistant(page)
        expect(bubble).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    finally:
        fake_llm.tokens_per_s = None

    expect(bubble.locator(".content")).to_have_text(answer)
    assert page.locator("#messages img, #messages b").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    recorded = page.evaluate("window.__recorded")
    streamed = {s["text"] for s in recorded["bubbles"] if s["streaming"] and s["text"]}
    assert len(streamed) >= 2


def test_answers_render_markdown_and_never_html(
    llm_server: ServerProcess, fake_llm: FakeOpenAI, page: Page
) -> None:
    answer = (
        "The **braked** towing limit is 3,500 kg [1].\n\n"
        f"- Tow ball load: 140 kg [1]\n- Not with {XSS} [2]\n\n"
        "| Item | Value |\n|---|---|\n| Payload | 940 kg <b>x</b> |"
    )
    fake_llm.script(Reply(answer))
    open_chat(page, llm_server, user())
    send(page, QUESTION)
    bubble = last_assistant(page)
    expect(bubble).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    content = bubble.locator(".content")
    expect(content.locator("strong")).to_have_text("braked")
    expect(content.locator("ul li")).to_have_count(2)
    expect(content.locator("sup.cite")).to_have_count(3)
    expect(content.locator("table td").last).to_have_text("940 kg <b>x</b>")
    assert content.get_attribute("data-text") == answer
    assert page.locator("#messages img, #messages b, #messages script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_a_tool_call_and_its_result_are_shown_above_the_answer(
    server: ServerProcess, page: Page
) -> None:
    open_chat(page, server, user())
    send(page, OIL_CHANGE)
    answer = last_assistant(page)
    expect(answer).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    tool = answer.locator(".tools .tool")
    expect(tool).to_have_count(1)
    expect(tool).to_have_class(re.compile(r"\bok\b"))
    expect(tool.locator(".tool-call")).to_contain_text("available_slots(")
    expect(tool.locator(".tool-call")).to_contain_text("service_type: oil_change")
    expect(tool.locator(".tool-result")).to_contain_text("✓")


@pytest.mark.parametrize(
    ("token", "reason"),
    [("forged.token.here", "invalid token"), ("expired", "token expired"), ("", "Paste a")],
)
def test_a_refused_token_shows_the_servers_reason_and_how_to_get_one(
    server: ServerProcess, page: Page, token: str, reason: str
) -> None:
    if token == "expired":
        token = server.token(user(), ttl_s=-60)
    page.goto(f"{server.base_url}/ws/test")
    page.locator("#token").fill(token)
    page.locator("#connect").click()
    error = page.locator("#error")
    expect(error).to_be_visible(timeout=WAIT_MS)
    expect(error.locator(".error-message")).to_contain_text(reason)
    expect(error.locator(".error-message")).to_contain_text("orchestrator token --user")
    expect(page.locator("#status")).to_have_text("closed", timeout=WAIT_MS)


def test_the_page_has_its_icon(server: ServerProcess, page: Page) -> None:
    page.goto(f"{server.base_url}/ws/test")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href == "/static/favicon.svg"
    for path in (href, "/favicon.ico"):
        response = httpx.get(f"{server.base_url}{path}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "image/svg+xml"
        )


def test_after_a_reload_the_page_reconnects_and_shows_the_whole_transcript(
    server: ServerProcess, page: Page
) -> None:
    open_chat(page, server, user())
    send(page, OIL_CHANGE)
    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    answer = last_assistant(page).locator(".content").get_attribute("data-text")

    page.reload()  # no click: a page that was connected connects again by itself
    expect(page.locator("#status")).to_have_text("open", timeout=WAIT_MS)
    expect(page.locator(".message.user")).to_have_count(1)
    expect(page.locator(".message.user .content")).to_have_text(OIL_CHANGE)
    expect(page.locator(".message.assistant")).to_have_count(1)
    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"))
    expect(last_assistant(page).locator(".content")).to_have_attribute("data-text", answer or "")
    # What the bot did is stored with its answer: the tool line is still there.
    tool = last_assistant(page).locator(".tools .tool")
    expect(tool).to_have_count(1)
    expect(tool.locator(".tool-call")).to_contain_text("available_slots(")
    expect(tool.locator(".tool-result")).to_contain_text("✓")

    send(page, "And what should I do about it?")  # the conversation goes on below
    expect(page.locator(".message.assistant")).to_have_count(2)
    expect(page.locator(".message.user")).to_have_count(2)


def test_a_passage_with_pages_shows_them_and_its_text_on_hover(
    server: ServerProcess, page: Page
) -> None:
    paged_document.ingest_paged_document(server)
    open_chat(page, server, user())
    send(page, paged_document.QUESTION)
    expect(last_assistant(page)).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)

    def shows_the_pages() -> None:
        pages = last_assistant(page).locator(".source-passage .source-page")
        expect(pages).to_have_text([paged_document.PAGES])  # passages without pages show none
        passage = last_assistant(page).locator(".source-passage", has=page.locator(".source-page"))
        expect(passage).to_have_attribute(
            "title", re.compile(rf"^{paged_document.SNIPPET_START} .+…$")
        )

    shows_the_pages()  # from the `sources` and `complete` events
    page.reload()  # and from the stored transcript
    expect(page.locator("#status")).to_have_text("open", timeout=WAIT_MS)
    expect(page.locator(".message.assistant")).to_have_count(1)
    shows_the_pages()


def test_a_message_sent_while_an_answer_streams_waits_in_line_and_is_answered_after_it(
    llm_server: ServerProcess, fake_llm: FakeOpenAI, page: Page
) -> None:
    long = " ".join(f"first{i}" for i in range(50))
    with slow_answers(fake_llm, tokens_per_s=20):
        fake_llm.script(Reply(long), Reply("The tyre pressures are on the door pillar."))
        open_chat(page, llm_server, user())
        send(page, "Tell me about the Ridge")
        expect(last_assistant(page)).to_have_class(re.compile(r"\bstreaming\b"), timeout=WAIT_MS)
        send(page, "And the tyre pressures?")  # Send stays on while the answer streams
        lined = page.locator(".message.user").last
        expect(lined).to_have_class(re.compile(r"\blined\b"), timeout=WAIT_MS)
        expect(lined.locator(".note")).to_have_text("Answered next")
        answers = page.locator(".message.assistant")
        expect(answers).to_have_count(2, timeout=WAIT_MS)
        expect(answers.last).to_have_class(re.compile(r"\bcomplete\b"), timeout=WAIT_MS)
    expect(answers.first.locator(".content")).to_have_attribute("data-text", long)
    expect(answers.last.locator(".content")).to_have_attribute(
        "data-text", "The tyre pressures are on the door pillar."
    )
    expect(lined).not_to_have_class(re.compile(r"\blined\b"))  # its turn came
