"""Two real instances on one PostgreSQL database and one Redis: what they share.

They answer through an OpenAI-compatible server on loopback, so that a test can hold a turn
open for as long as it needs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.settings import Settings
from tests.conftest import KNOWLEDGE_BASE, REPO
from tests.utils.chroma_server import chroma_server
from tests.utils.databases import fresh_database
from tests.utils.fake_openai import FakeOpenAI, Reply, Stall
from tests.utils.live import REDIS_URL
from tests.utils.server import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, kb_settings: Settings, fake_llm: FakeOpenAI
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
                OPENAI_API_KEY="sk-test",
                OPENAI_BASE_URL=fake_llm.base_url,
                LLM_MODEL="test-model",
                LLM_MAX_RETRIES="0",
                ROUTER_LLM_THRESHOLD="0",
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


def test_a_session_runs_one_turn_whichever_instance_is_asked(
    instances: list[ServerProcess], fake_llm: FakeOpenAI
) -> None:
    a, b = instances
    headers = {"Authorization": f"Bearer {a.token(f'busy-{uuid.uuid4().hex[:8]}')}"}
    session = f"busy-{uuid.uuid4().hex}"
    fake_llm.reset()
    fake_llm.script(Stall(4.0, then=Reply(text="Every 15,000 km.")))
    answered: list[httpx.Response] = []

    def ask_a() -> None:
        body = {"message": "How often is the oil changed?", "session_id": session}
        answered.append(
            httpx.post(f"{a.base_url}/api/v1/chat", json=body, headers=headers, timeout=60)
        )

    running = threading.Thread(target=ask_a)
    running.start()
    try:
        deadline = 40
        while not fake_llm.requests and deadline:  # the turn on A has reached the model
            threading.Event().wait(0.25)
            deadline -= 1
        body = {"message": "And the tyres?", "session_id": session}
        refused = httpx.post(f"{b.base_url}/api/v1/chat", json=body, headers=headers, timeout=60)
    finally:
        running.join(timeout=60)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"]["code"] == "BUSY"
    assert answered and answered[0].status_code == 200
    assert answered[0].json()["response"] == "Every 15,000 km."
    after = httpx.post(
        f"{b.base_url}/api/v1/chat",
        json={"message": "And the tyres?", "session_id": session},
        headers=headers,
        timeout=60,
    )
    assert after.status_code == 200, after.text  # the lease went with the answer


def test_an_ingest_through_one_instance_is_answered_by_the_other(
    tmp_path: Path, kb_settings: Settings
) -> None:
    """With CHROMA_URL, instances share the knowledge base: what an admin uploads on A is
    found by B at once."""
    document = (
        "---\ntitle: Orca Tern specifications\nmodel: Tern\ndomain: specs\n---\n"
        "# Orca Tern specifications\n\nThe Tern is a small electric delivery van.\n\n"
        "| Item | Tern |\n|---|---|\n| Payload | 905 kg |\n| Load volume | 4.2 m³ |\n"
    )
    with (
        chroma_server(tmp_path / "chroma") as chroma_url,
        fresh_database("postgresql", tmp_path) as url,
    ):
        servers = [
            ServerProcess(
                tmp_path / name,
                kb_settings.chroma_path,
                url.render_as_string(False),
                CHROMA_URL=chroma_url,
            )
            for name in ("a", "b")
        ]
        first = subprocess.run(  # the sample, through the CLI, so that both start ready
            [sys.executable, "-m", "orchestrator", "ingest", str(KNOWLEDGE_BASE)],
            env=servers[0].env, cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert first.returncode == 0, first.stderr
        for server in servers:
            server.launch()
        try:
            for server in servers:
                server.wait_ready()
            a, b = servers
            admin = {"Authorization": f"Bearer {a.token('admin-1', 'admin')}"}
            body = {"documents": [{"source": "vans/tern.md", "content": document}]}
            done = httpx.post(
                f"{a.base_url}/api/v1/knowledge/ingest", json=body, headers=admin, timeout=120
            )
            assert done.status_code == 200, done.text
            customer = {"Authorization": f"Bearer {b.token('tern-owner')}"}
            question = {"message": "What payload does the Tern carry?"}
            deadline = (
                time.monotonic() + 3.0
            )  # every instance looks for a new version twice a second
            while True:
                answer = httpx.post(
                    f"{b.base_url}/api/v1/chat", json=question, headers=customer, timeout=60
                )
                assert answer.status_code == 200, answer.text
                if "905 kg" in answer.json()["response"] or time.monotonic() > deadline:
                    break
            assert "905 kg" in answer.json()["response"]
        finally:
            for server in servers:
                server.stop()
