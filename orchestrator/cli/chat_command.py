"""`orchestrator chat`: a terminal client for `/ws/chat`.

In a terminal it is interactive: a prompt, the answer streamed as it is written, a progress
line, the sources after it, and `/new`, `/cancel`, `/quit`. A line typed while an answer is
being written is sent at once: it waits in the conversation's line and is answered next
(`/interrupt TEXT` stops the answer under way instead). With stdin not a terminal it reads one
question per line and prints each answer, so it can be scripted:

    printf 'How often should I rotate the tyres?\\nAnd the brake fluid?\\n' | orchestrator chat

Answers go to stdout; progress, errors and the prompt's notes to stderr. The exit code is 1
when any question ended in an error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from orchestrator.errors import StartupError

TERMINAL = ("complete", "cancelled")
HELP = (
    "Type a question (also while an answer is written: it is answered next). /new starts a new "
    "conversation, /cancel stops an answer, /interrupt TEXT stops it and asks TEXT, /quit leaves."
)
INTERRUPT = "/interrupt "


def page_label(source: dict[str, Any]) -> str:
    """`p. 128`, `pp. 128–129` for a passage of a document with pages; empty otherwise."""
    page, end = source.get("page"), source.get("page_end")
    if page is None:
        return ""
    return f"pp. {page}–{end}" if end is not None and end != page else f"p. {page}"


def source_lines(sources: list[dict[str, Any]]) -> list[str]:
    """`[1] Title: heading, p. 128 (path)` for each passage an answer cites."""
    lines = []
    for source in sources:
        heading = str(source.get("heading") or "")
        title = str(source.get("title") or source.get("source", ""))
        heading = heading.removeprefix(f"{title} > ")  # a heading path repeats the title
        where = f"{title}: {heading}" if heading and heading != title else title
        where = ", ".join(part for part in (where, page_label(source)) if part)
        lines.append(f"  [{source.get('n', '?')}] {where} ({source.get('source', '')})")
    return lines


def tool_line(call: dict[str, Any], result: dict[str, Any]) -> str:
    """`tool available_slots(service_type: oil_change): ✓ 3 free times` for a tool the
    answer used (the `tool_call` and its `tool_result`)."""
    arguments = ", ".join(
        f"{key}: {value if isinstance(value, str) else json.dumps(value)}"
        for key, value in (call.get("arguments") or {}).items()
    )
    mark = "✓" if result.get("ok") else "✗"
    name = call.get("name") or result.get("name", "?")
    return f"tool {name}({arguments}): {mark} {result.get('summary', '')}".rstrip()


def is_turn_end(event: dict[str, Any]) -> bool:
    """The event ends the turn: its answer, a cancel, or an error that carries a seq."""
    return event.get("type") in TERMINAL or (event.get("type") == "error" and "seq" in event)


class Lines:
    """stdin read on a thread of its own, one line at a time into a queue (None at its end),
    so that `/cancel` can arrive while an answer streams."""

    def __init__(self, stdin: TextIO, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stdin, self._loop = stdin, loop
        threading.Thread(target=self._read, daemon=True, name="stdin").start()

    def _read(self) -> None:
        for line in iter(self._stdin.readline, ""):
            self._loop.call_soon_threadsafe(self.queue.put_nowait, line.rstrip("\r\n"))
        self._loop.call_soon_threadsafe(self.queue.put_nowait, None)


@dataclass
class Chat:
    """One connection and the conversation it is in."""

    connection: ClientConnection
    out: TextIO
    err: TextIO
    interactive: bool
    session_id: str | None = None
    failures: int = 0
    _progress_shown: bool = field(default=False, repr=False)
    _printed: bool = field(default=False, repr=False)  # tokens of this answer are out
    _calls: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # by call_id
    _later: str | None = field(default=None, repr=False)  # a question typed, sent next

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(await self.connection.recv())
        return event

    async def ask(self, question: str, lines: Lines | None) -> None:
        """Send a question and show its answer; with `lines`, `/cancel` may stop it, and a
        question typed meanwhile is sent at once and answered after it (shown here too)."""
        await self._message(question)
        answers = 1  # the answers still to come: this one, and those asked meanwhile
        while answers:
            event = await self._next_event(lines)
            if isinstance(event, str):  # asked while an answer is written
                strategy = "interrupt" if event.startswith(INTERRUPT) else "enqueue"
                await self._message(event.removeprefix(INTERRUPT).strip(), strategy)
                answers += 1
            elif event is not None and self.show(event):
                answers -= 1

    async def _message(self, question: str, strategy: str | None = None) -> None:
        frame: dict[str, Any] = {
            "type": "message",
            "message": question,
            "message_id": uuid.uuid4().hex,
            "partial_response": False,  # tokens are printed as they come: no answer so far
        }
        if strategy is not None:
            frame["multitask_strategy"] = strategy
        # Named here, not by the server's reply: a question typed before that reply arrives
        # goes to the same conversation.
        self.session_id = self.session_id or uuid.uuid4().hex
        frame["session_id"] = self.session_id
        await self.send(frame)

    async def _next_event(self, lines: Lines | None) -> dict[str, Any] | str | None:
        """The next event; while waiting, a line typed meanwhile: a question to send (its
        text), or `/cancel` (sent; None then)."""
        if lines is None:
            return await self.recv()
        if self._later is not None:
            later, self._later = self._later, None
            return later
        receiving = asyncio.ensure_future(self.recv())
        typing = asyncio.ensure_future(lines.queue.get())
        done, _ = await asyncio.wait({receiving, typing}, return_when=asyncio.FIRST_COMPLETED)
        if typing in done:
            typed = typing.result()
            if typed is None or typed.strip() in ("/cancel", "/quit"):
                await self.send({"type": "cancel", "session_id": self.session_id})
            elif typed.strip().startswith("/") and not typed.startswith(INTERRUPT):
                self.note("while an answer is written: a question, /cancel or /interrupt TEXT")
            elif typed.removeprefix(INTERRUPT).strip():
                if receiving.done():  # an event came too: it goes first, the question next
                    self._later = typed.strip()
                    return receiving.result()
                receiving.cancel()
                return typed.strip()
            if typed is not None and typed.strip() == "/quit":
                lines.queue.put_nowait("/quit")  # handled once the turn has ended
        else:
            typing.cancel()
        return await receiving

    def show(self, event: dict[str, Any]) -> bool:
        """Print what the event says; True once the turn has ended."""
        kind = event.get("type")
        if kind == "session":
            self.session_id = event.get("session_id") or self.session_id
        elif kind == "progress" and self.interactive:
            self._progress(event.get("message", ""))
        elif kind == "tool_call":
            self._calls[str(event.get("call_id"))] = event
        elif kind == "tool_result":  # on stderr, beside the progress: stdout is the answers
            self._progress("")
            self.note(tool_line(self._calls.pop(str(event.get("call_id")), event), event))
        elif kind == "token":
            self._progress("")
            self.out.write(event.get("token", ""))
            self.out.flush()
            self._printed = True
        elif kind == "queued":
            place = event.get("position", "?")
            self.note(f"asked: answered after the answer being written ({place} in line)")
        elif kind == "complete":
            self._progress("")
            response = event.get("response", "")
            if not self._printed:  # a stored answer sent again: no tokens came
                self.out.write(response)
            self._printed = False  # the next answer's tokens are its own
            self.out.write("\n")
            passages = event.get("metadata", {}).get("context", {}).get("passages", [])
            if passages:
                self.out.write("Sources:\n" + "\n".join(source_lines(passages)) + "\n")
            self.out.write("\n")
            self.out.flush()
        elif kind == "cancelled":
            self._progress("")
            self._printed = False
            self.out.write("\n")
            self.note("cancelled")
        elif kind == "error":
            self._progress("")
            self._printed = False
            code = event.get("code", "ERROR")
            retry = f" (retry in {event['retry_after']:.0f} s)" if event.get("retry_after") else ""
            self.note(f"error {code}: {event.get('error', '')}{retry}")
            self.failures += 1
            if "seq" not in event:  # the message was refused: no turn runs
                return True
        elif kind in ("staff_message", "handoff"):
            who = event.get("staff_name") or "support"
            self.out.write(f"[{who}] {event.get('message', '')}\n")
            self.out.flush()
        return is_turn_end(event)

    def note(self, text: str) -> None:
        self.err.write(f"{text}\n")
        self.err.flush()

    def _progress(self, text: str) -> None:
        """One line on stderr, rewritten in place (interactive only)."""
        if not self.interactive or (not text and not self._progress_shown):
            return
        self.err.write("\r\033[K" + (f"… {text}" if text else ""))
        self.err.flush()
        self._progress_shown = bool(text)


async def _open(url: str, token: str) -> ClientConnection:
    try:
        connection = await connect(url, max_size=2**22, open_timeout=10)
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise StartupError(
            f"cannot reach the server at {url} ({exc})",
            "Start it (make run), or give its address with --url",
        ) from None
    await connection.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await connection.recv())
    if reply.get("type") != "auth_success":
        await connection.close()
        raise StartupError(
            f"the server refused the token ({reply.get('error') or reply.get('code')})",
            "Pass a valid one with --token (orchestrator token --user ID prints one)",
        )
    return connection


async def chat(
    url: str,
    token: str,
    *,
    session_id: str | None = None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    interactive: bool | None = None,
) -> int:
    """Run the client until stdin ends or `/quit`; the exit code."""
    interactive = stdin.isatty() if interactive is None else interactive
    connection = await _open(url, token)
    client = Chat(connection, out, err, interactive, session_id)
    lines = Lines(stdin, asyncio.get_running_loop())
    if interactive:
        client.note(HELP)
    try:
        while True:
            if interactive:
                out.write("you> ")
                out.flush()
            line = await lines.queue.get()
            if line is None or line.strip() == "/quit":
                break
            question = line.strip()
            if not question:
                continue
            if question == "/new":
                client.session_id = None
                client.note("new conversation")
                continue
            if question == "/cancel":
                client.note("no answer is being written")
                continue
            await client.ask(question, lines if interactive else None)
    except ConnectionClosed as closed:
        client.note(f"the server closed the connection ({closed.rcvd or 'no close frame'})")
        return 1
    finally:
        await connection.close()
    return 1 if client.failures else 0
