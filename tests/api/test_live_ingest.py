"""Ingesting while serving: a running server sees a new knowledge base at once, with no error.

A company brings its own documents (here `tests/data/corpora/halden`, another brand in a plain
folder layout) and ingests them with the CLI, from another process, while customers are being
answered; or an admin uploads one over REST.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.settings import Settings
from tests.conftest import HALDEN, REPO
from tests.utils.chat_client import ChatClient
from tests.utils.manual_pdf import build
from tests.utils.server import ServerProcess, sqlite_server

pytestmark = pytest.mark.slow

SAMPLE_QUESTIONS = [
    "How much can the Ridge Tow Pack tow?",
    "How often does the Aster need servicing?",
    "My Aster shows P0AA6, what should I do?",
    "What's the boot space of the Sable?",
]
FJORD_RANGE = "What is the WLTP range of the Fjord Long Range?"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings
) -> Iterator[ServerProcess]:
    """A server on the sample knowledge base, its own data dir and SQLite database."""
    with sqlite_server(tmp_path_factory.mktemp("live-ingest"), kb_settings.chroma_path) as process:
        yield process


async def _ask(server: ServerProcess, message: str) -> dict:  # type: ignore[type-arg]
    async with await ChatClient.connect(
        server.ws_url, server.token(f"u-{uuid.uuid4().hex[:8]}")
    ) as c:
        events = await c.turn(message)
    ending = events[-1]
    assert ending["type"] == "complete", events
    sources = {s["n"]: s["source"] for e in events if e["type"] == "sources" for s in e["sources"]}
    ending["cited_sources"] = sources
    return ending


def _ingest_cli(server: ServerProcess, *paths: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "ingest", *map(str, paths)],
        cwd=REPO,
        env={**server.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_cli_ingest_while_serving_is_answered_at_once_and_no_turn_fails(
    live: ServerProcess, tmp_path: Path
) -> None:
    before = await _ask(live, FJORD_RANGE)
    assert "590 km" not in before["response"]
    (tmp_path / "manuals").mkdir()
    manual = build(tmp_path / "manuals" / "vela-owners-manual.pdf")  # a PDF, with a scanned page

    ingest = _ingest_cli(live, HALDEN / "docs", manual.path.parent)
    overlapping = []
    while ingest.poll() is None:  # customers keep asking while the ingest runs
        overlapping.append(await _ask(live, SAMPLE_QUESTIONS[len(overlapping) % 4]))
    _, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert "catalogue:" in err and "Fjord (" in err
    assert "from its content" in err  # plain folders: domains decided from the content
    assert f"OCR vela-owners-manual.pdf: page {manual.scanned_page} of" in err
    assert overlapping and all(e["response"] for e in overlapping)

    deadline = time.monotonic() + 3.0  # every process checks for a new version twice a second
    after = await _ask(live, FJORD_RANGE)
    while "590 km" not in after["response"] and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        after = await _ask(live, FJORD_RANGE)
    assert "590 km" in after["response"], after["response"]
    assert "fjord/fjord-specifications.md" in after["cited_sources"].values()
    # The sample is still there, the new company's models are known, nothing broke.
    assert "Ridge" in (await _ask(live, "How much can the Ridge Tow Pack tow?"))["response"]
    greeting = await _ask(live, "Hi, what can you help me with?")
    assert "Fjord" in greeting["response"] and "Aster" in greeting["response"]
    follow = [await _ask(live, "What's the braked towing capacity of the Talus 2.2D?")]
    assert "3,500 kg" in follow[0]["response"]
    # The PDF manual answers too, from its table, citing the page the row is on.
    tank = await _ask(live, "How much fuel does the Vela's 1.5 Diesel tank hold?")
    assert "40 litres" in tank["response"], tank["response"]
    cited = [p for p in tank["metadata"]["context"]["passages"] if p["source"].endswith(".pdf")]
    assert cited and all(p["page"] == manual.spec_page for p in cited[:1]), cited
    assert "Error finding id" not in live.log()
    assert "PROCESSING_ERROR" not in live.log()


async def test_an_admin_uploads_a_document_over_rest_and_it_answers_at_once(
    live: ServerProcess,
) -> None:
    document = (
        "---\ntitle: Orca Tern specifications\nmodel: Tern\ndomain: specs\n---\n"
        "# Orca Tern specifications\n\nThe Tern is a small electric delivery van.\n\n"
        "| Item | Tern |\n|---|---|\n| Payload | 905 kg |\n| Load volume | 4.2 m³ |\n"
    )
    body = {"documents": [{"source": "vans/tern.md", "content": document}]}
    url = f"{live.base_url}/api/v1/knowledge/ingest"
    for role in ("customer", "staff"):
        refused = httpx.post(url, json=body, headers=_bearer(live, role), timeout=30)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "FORBIDDEN"
    bad = {"documents": [{"source": "../../etc/passwd.md", "content": "x"}]}
    assert httpx.post(url, json=bad, headers=_bearer(live, "admin"), timeout=30).status_code == 422

    done = httpx.post(url, json=body, headers=_bearer(live, "admin"), timeout=120)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["added"] == 1 and result["revision"]
    assert "Tern" in [m["name"] for m in result["catalogue"]["models"]]

    answer = await _ask(live, "What payload does the Tern carry?")
    assert "905 kg" in answer["response"]
    state = httpx.get(f"{live.base_url}/api/v1/knowledge", headers=_bearer(live, "staff"))
    assert state.json()["revision"] == result["revision"]


def _bearer(server: ServerProcess, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(f'{role}-1', role)}"}  # type: ignore[arg-type]
