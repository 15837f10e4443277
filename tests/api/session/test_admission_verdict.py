"""What a chat message gets once SQL has stored or found it: every case, without the app."""

from __future__ import annotations

from api.session.admission_verdict import Verdict, verdict
from orchestrator.models import Message, MessageRole, MessageStatus
from orchestrator.persistence import Opened, Prior
from orchestrator.persistence.line import InLine


def message(role: str = MessageRole.user, status: str = MessageStatus.complete) -> Message:
    return Message(conversation_id="s1", turn_id="t1", role=role, content="Hi", status=status)


def opened(**fields: object) -> Opened:
    return Opened(**{"created": False, "forwarded": None, "prior": None, **fields})  # type: ignore[arg-type]


def answered(status: str) -> Prior:
    return Prior(message(), message(MessageRole.assistant, status))


def test_a_message_stored_as_a_new_turns_question_starts_it() -> None:
    assert (
        verdict(opened(started=message()), joins_here=False, runs_elsewhere=False) is Verdict.START
    )


def test_a_person_who_has_the_conversation_gets_the_message() -> None:
    forwarded = opened(forwarded=message())
    assert verdict(forwarded, joins_here=False, runs_elsewhere=True) is Verdict.FORWARD


def test_a_message_stored_in_line_is_acknowledged_queued_and_a_full_line_refuses() -> None:
    lined = opened(queued=InLine("t2", 1))
    assert verdict(lined, joins_here=False, runs_elsewhere=True) is Verdict.QUEUE
    full = opened(line_full=True)
    assert verdict(full, joins_here=False, runs_elsewhere=False) is Verdict.LINE_FULL


def test_a_message_id_answered_whole_before_gets_that_answer_again() -> None:
    for status in (MessageStatus.complete, MessageStatus.cancelled):
        again = opened(prior=answered(status))
        assert verdict(again, joins_here=False, runs_elsewhere=False) is Verdict.REPLAY


def test_a_message_id_whose_answer_failed_is_not_replayed() -> None:
    failed = opened(prior=answered(MessageStatus.failed))
    assert verdict(failed, joins_here=False, runs_elsewhere=False) is Verdict.BUSY


def test_a_resend_of_the_running_turns_message_follows_that_turn() -> None:
    resent = opened(prior=Prior(message(), None))
    assert verdict(resent, joins_here=True, runs_elsewhere=False) is Verdict.JOIN
    assert verdict(resent, joins_here=False, runs_elsewhere=True) is Verdict.ASK_ELSEWHERE


def test_a_message_that_asked_not_to_wait_while_a_turn_runs_is_busy() -> None:
    assert verdict(opened(), joins_here=False, runs_elsewhere=False) is Verdict.BUSY
