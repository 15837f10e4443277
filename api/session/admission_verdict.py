"""What a chat message gets once SQL has stored (or found) it: pure, so that every case reads
here and is tested without the app (`api.session.admission` does the I/O around it)."""

from __future__ import annotations

from enum import StrEnum

from orchestrator.persistence import Opened

__all__ = ["Verdict", "verdict"]


class Verdict(StrEnum):
    START = "start"  # stored as the question of a new turn: run it
    FORWARD = "forward"  # a person has the conversation: shown to them, not answered
    QUEUE = "queue"  # stored in the session's line: acknowledged `queued`
    LINE_FULL = "line_full"  # the line is at its bound: BUSY, nothing stored
    REPLAY = "replay"  # its message id was answered before: that answer again
    JOIN = "join"  # its message id is the turn running here: follow it
    ASK_ELSEWHERE = "ask_elsewhere"  # a turn runs on another instance: JOIN if it is this
    # message's, else BUSY
    BUSY = "busy"  # a turn is under way and the message asked not to wait


def verdict(opened: Opened, *, joins_here: bool, runs_elsewhere: bool) -> Verdict:
    """The message's fate from what SQL said (`opened`), whether the turn running in this
    process is its own (`joins_here`), and whether one runs on another instance."""
    if opened.started is not None:
        return Verdict.START
    if opened.forwarded is not None:
        return Verdict.FORWARD
    if opened.queued is not None:
        return Verdict.QUEUE
    if opened.line_full:
        return Verdict.LINE_FULL
    prior = opened.prior
    if prior is not None and prior.answer is not None and prior.answered:
        return Verdict.REPLAY
    if joins_here:
        return Verdict.JOIN
    if runs_elsewhere:
        return Verdict.ASK_ELSEWHERE
    return Verdict.BUSY
