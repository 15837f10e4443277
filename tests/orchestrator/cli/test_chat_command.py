"""`orchestrator chat` against a real server: questions piped in, and once in a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from orchestrator.cli.chat_command import is_turn_end, source_lines, tool_line
from tests.utils.server import REPO, ServerProcess, SharedServers


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The suite's shared offline server (SQLite): the command is a client like any other."""
    return shared_servers.running("sqlite")


def _command(server: ServerProcess, user: str, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "orchestrator",
        "chat",
        "--url",
        server.ws_url,
        "--token",
        server.token(user),
        *args,
    ]


def _piped(command: list[str], questions: str) -> subprocess.CompletedProcess[str]:
    """The command run with the questions on its stdin, as a script would."""
    return subprocess.run(
        command, input=questions, capture_output=True, text=True, cwd=REPO, timeout=120,
        check=False,
    )  # fmt: skip


def test_sources_are_listed_one_per_line() -> None:
    assert source_lines(
        [{"n": 1, "source": "specs/a.md", "title": "Aster", "heading": "Tyres", "score": 0.8}]
    ) == ["  [1] Aster: Tyres (specs/a.md)"]
    assert source_lines(
        [{"n": 3, "source": "c.md", "title": "Guide", "heading": "Guide > Tread depth"}]
    ) == ["  [3] Guide: Tread depth (c.md)"]
    assert source_lines([{"n": 2, "source": "b.md", "title": "B", "heading": "B"}]) == [
        "  [2] B (b.md)"
    ]


def test_a_passage_of_a_document_with_pages_shows_its_page_or_range() -> None:
    manual = {"source": "manuals/aster.pdf", "title": "Aster manual", "heading": "Tyres"}
    assert source_lines([{"n": 1, **manual, "page": 128}]) == [
        "  [1] Aster manual: Tyres, p. 128 (manuals/aster.pdf)"
    ]
    assert source_lines([{"n": 2, **manual, "page": 128, "page_end": 129}]) == [
        "  [2] Aster manual: Tyres, pp. 128–129 (manuals/aster.pdf)"
    ]
    assert source_lines([{"n": 3, **manual, "heading": "", "page": 7}]) == [
        "  [3] Aster manual, p. 7 (manuals/aster.pdf)"
    ]


def test_a_tool_the_answer_used_is_one_line_with_its_result() -> None:
    call = {"name": "book_appointment", "arguments": {"service_type": "oil_change", "n": 2}}
    assert tool_line(call, {"ok": True, "summary": "Booked"}) == (
        "tool book_appointment(service_type: oil_change, n: 2): ✓ Booked"
    )
    assert tool_line({"name": "x", "arguments": {}}, {"ok": False, "summary": ""}) == "tool x(): ✗"


def test_a_turn_ends_with_its_answer_a_cancel_or_an_error_that_ends_it() -> None:
    assert is_turn_end({"type": "complete"}) and is_turn_end({"type": "cancelled"})
    assert is_turn_end({"type": "error", "code": "TIMEOUT", "seq": 9})
    assert not is_turn_end({"type": "error", "code": "BUSY"})  # a refusal ends no turn
    assert not is_turn_end({"type": "token"})


def test_questions_piped_in_are_answered_one_per_line_in_one_session(
    server: ServerProcess,
) -> None:
    session, user = f"chat-{uuid.uuid4().hex[:8]}", "chat-piped"
    questions = "How often should the Aster have its tyres rotated?\n\nWhat does P0300 mean?\n"
    result = _piped(_command(server, user, "--session", session), questions)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nSources:\n  [1] ") == 2, result.stdout
    assert "you>" not in result.stdout and "\x1b" not in result.stdout  # plain text, scriptable
    assert "tool" not in result.stderr  # neither question needs one

    stored = httpx.get(
        f"{server.base_url}/api/v1/sessions/{session}/messages",
        headers={"Authorization": f"Bearer {server.token(user)}"},
    ).json()
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
    position = 0
    for answer in [m["content"] for m in stored if m["role"] == "assistant"]:
        position = result.stdout.index(f"{answer}\nSources:\n", position)  # in order, whole


def test_a_tool_the_answer_used_is_told_on_stderr(server: ServerProcess) -> None:
    question = "When can I bring my car for an oil change tomorrow?\n"
    result = _piped(_command(server, "chat-tool"), question)
    assert result.returncode == 0, result.stderr
    assert "tool available_slots(" in result.stderr, result.stderr
    assert "service_type: oil_change" in result.stderr
    assert "): ✓ " in result.stderr and "tool " not in result.stdout


def test_a_refused_token_is_one_line_with_a_fix(server: ServerProcess) -> None:
    command = _command(server, "x")
    command[command.index("--token") + 1] = "forged"
    result = _piped(command, "hi\n")
    assert result.returncode == 2
    assert "refused the token" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.stderr


class Terminal:
    """The command under a pseudo-terminal, read as a person would see it."""

    def __init__(self, command: list[str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, cwd=REPO, close_fds=True
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, text: str, after: int = 0, within: float = 60) -> int:
        """Read until `text` appears past position `after`; where it ends."""
        deadline = time.monotonic() + within
        while (found := self.screen.find(text, after)) < 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen; screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                self.screen += os.read(self.master, 65536).decode(errors="replace")
        return found + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_in_a_terminal_it_prompts_streams_and_lists_sources(server: ServerProcess) -> None:
    terminal = Terminal(_command(server, "chat-tty"))
    try:
        seen = terminal.read_until("you> ")
        assert "/new" in terminal.screen[:seen] and "/quit" in terminal.screen[:seen]
        terminal.type("How often should the Aster have its tyres rotated?")
        answered = terminal.read_until("you> ", seen)
        shown = terminal.screen[seen:answered]
        assert "Sources:" in shown and "[1]" in shown
        assert "…" in shown  # the progress line
        terminal.type("/new")
        terminal.read_until("new conversation", answered)
        terminal.type("/quit")
    finally:
        code = terminal.close()
    assert code == 0


def test_in_a_terminal_a_question_typed_while_an_answer_is_written_is_answered_next(
    server: ServerProcess,
) -> None:
    terminal = Terminal(_command(server, f"chat-{uuid.uuid4().hex[:6]}"))
    try:
        seen = terminal.read_until("you> ")
        terminal.type("How often should the Aster have its tyres rotated?")
        terminal.type("And what does code P0A80 mean?")  # typed before the answer is done
        lined = terminal.read_until("(1 in line)", seen)
        answered = terminal.read_until("you> ", lined)
        terminal.type("/quit")
    finally:
        code = terminal.close()
    shown = terminal.screen[seen:answered]
    assert shown.count("Sources:") == 2, shown  # both answered, one after the other
    assert shown.index("rotat") < shown.rindex("P0A80"), shown
    assert code == 0


def test_the_chat_command_is_on_the_command_line() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "orchestrator", "chat", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    assert "--url" in help_text and "--token" in help_text and "--session" in help_text
