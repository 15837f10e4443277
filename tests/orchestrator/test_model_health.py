"""The model's reachability, as calls and probes find it: time comes in as an argument."""

from __future__ import annotations

import httpx
import openai

from orchestrator.model_health import ModelHealth, unreachable

REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def caused_by(cause: BaseException, error: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


def test_a_model_not_yet_called_is_worth_calling() -> None:
    health = ModelHealth(recheck_s=5)
    assert health.state == "unknown" and health.worth_calling(0.0)


def test_an_unreachable_model_is_tried_again_by_one_turn_after_the_recheck() -> None:
    health = ModelHealth(recheck_s=5)
    health.failed(100.0)
    assert health.state == "unreachable"
    assert not health.worth_calling(100.1) and not health.worth_calling(104.9)
    assert health.worth_calling(105.0)  # this turn tries it
    assert not health.worth_calling(105.1)  # the others do not, meanwhile
    health.reached()
    assert health.state == "ok" and health.worth_calling(105.2)


def test_while_a_probe_watches_it_no_turn_tries_an_unreachable_model() -> None:
    health = ModelHealth(recheck_s=5)
    health.watched = True
    health.failed(100.0)
    assert not health.worth_calling(1000.0)
    health.reached()
    assert health.worth_calling(1000.0)


def test_a_refused_or_unmade_connection_is_unreachable() -> None:
    refused = caused_by(httpx.ConnectError("refused"), openai.APIConnectionError(request=REQUEST))
    slow_to_connect = caused_by(httpx.ConnectTimeout("no answer"), openai.APITimeoutError(REQUEST))
    assert unreachable(refused) and unreachable(slow_to_connect)


def test_a_slow_answer_a_dropped_stream_or_an_error_status_is_not() -> None:
    slow = caused_by(httpx.ReadTimeout("slow"), openai.APITimeoutError(REQUEST))
    dropped = caused_by(httpx.ReadError("dropped"), openai.APIConnectionError(request=REQUEST))
    status = openai.InternalServerError(
        "boom", response=httpx.Response(500, request=REQUEST), body=None
    )
    assert not any(unreachable(exc) for exc in (slow, dropped, status, TimeoutError()))
