"""Request bodies are bounded before anyone is trusted: the rules on their own, then a real
server sent what a hostile caller sends (200 MB bodies with and without a token, bodies that
do not say their length or say less than they are), its memory and time measured."""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from api.auth import INVALID, InvalidToken, Principal
from api.body_guard import (
    AUTH_REQUIRED,
    BodyLimits,
    Refusal,
    bearer_token,
    check_request,
    declared_length,
)
from tests.utils.server import ServerProcess, SharedServers

ADA = Principal(id="ada", name="Ada", role="customer")
LIMITS = BodyLimits(1000, (("/api/v1/knowledge/ingest", 5000),))
MB = 1024 * 1024


def accept(token: str) -> Principal:
    if token != "good":
        raise InvalidToken(INVALID)
    return ADA


def headers(**values: str) -> list[tuple[bytes, bytes]]:
    return [(k.replace("_", "-").encode(), v.encode()) for k, v in values.items()]


# --- the rules --------------------------------------------------------------------------------


def test_each_route_has_its_cap_and_the_rest_the_default() -> None:
    assert LIMITS.for_path("/api/v1/chat") == 1000
    assert LIMITS.for_path("/api/v1/knowledge/ingest") == 5000
    assert LIMITS.for_path("/api/v1/knowledge/ingest/") == 5000
    assert LIMITS.for_path("/api/v1/knowledge/ingestion") == 1000  # a prefix of a word is not


def test_the_api_refuses_a_request_without_a_valid_token_from_its_headers() -> None:
    big = headers(content_length=str(200 * MB))
    assert check_request("/api/v1/chat", big, LIMITS, accept) is AUTH_REQUIRED
    forged = check_request(
        "/api/v1/chat", [*big, *headers(authorization="Bearer bad")], LIMITS, accept
    )
    assert forged == Refusal(401, "AUTH_FAILED", INVALID, AUTH_REQUIRED.headers)
    # Before the service has its secret, a token cannot be checked: try again later.
    starting = check_request("/api/v1/chat", headers(authorization="Bearer good"), LIMITS, None)
    assert isinstance(starting, Refusal) and starting.status == 503


def test_a_declared_length_over_the_cap_is_refused_once_the_caller_is_known() -> None:
    token = headers(authorization="Bearer good")
    refused = check_request(
        "/api/v1/chat", [*token, *headers(content_length="1001")], LIMITS, accept
    )
    assert isinstance(refused, Refusal) and (refused.status, refused.code) == (
        413,
        "BODY_TOO_LARGE",
    )
    fits = check_request("/api/v1/chat", [*token, *headers(content_length="1000")], LIMITS, accept)
    assert fits == ADA
    ingest = [*token, *headers(content_length="4000")]
    assert check_request("/api/v1/knowledge/ingest", ingest, LIMITS, accept) == ADA


def test_the_mcp_endpoint_needs_a_token_as_the_api_does() -> None:
    assert check_request("/mcp", [], LIMITS, accept) is AUTH_REQUIRED
    assert check_request("/mcp/", [], LIMITS, accept) is AUTH_REQUIRED
    assert check_request("/mcp", headers(authorization="Bearer good"), LIMITS, accept) == ADA
    assert check_request("/mcpx", [], LIMITS, accept) is None  # a prefix of a word is not


def test_routes_outside_the_api_need_no_token_but_keep_the_cap() -> None:
    assert check_request("/health", [], LIMITS, accept) is None
    refused = check_request("/ws/test", headers(content_length="5000"), LIMITS, accept)
    assert isinstance(refused, Refusal) and refused.status == 413


def test_a_length_that_is_not_a_number_is_a_bad_request() -> None:
    with pytest.raises(ValueError):
        declared_length(headers(content_length="-1"))
    with pytest.raises(ValueError):
        declared_length([(b"content-length", b"10"), (b"content-length", b"20")])
    assert declared_length([(b"content-length", b"10"), (b"Content-Length", b"10")]) == 10
    assert declared_length([]) is None
    refused = check_request("/health", headers(content_length="1e9"), LIMITS, accept)
    assert isinstance(refused, Refusal) and refused.status == 400


def test_the_bearer_token_is_read_from_its_header_whatever_the_scheme_case() -> None:
    assert bearer_token(headers(authorization="bearer abc")) == "abc"
    assert bearer_token(headers(authorization="Basic abc")) is None
    assert bearer_token(headers(authorization="Bearer ")) is None
    assert bearer_token([]) is None


# --- a real server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.running("sqlite")


def rss_kb(server: ServerProcess) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def send_until_answered(
    server: ServerProcess, head: str, body: Callable[[int], bytes], total: int
) -> tuple[bytes, int, float]:
    """Sends the request's head, then body pieces until the server answers (or `total` bytes
    went out); the answer, the body bytes sent and the seconds from the head to the answer."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(10)
    sent = 0
    answer = b""
    try:
        sock.sendall(head.encode())
        started = time.perf_counter()
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(body(sent))
                except (BrokenPipeError, ConnectionResetError):
                    break
        answer = read_answer(sock)
        elapsed = time.perf_counter() - started
    finally:
        sock.close()
    return answer, sent, elapsed


def read_answer(sock: socket.socket) -> bytes:
    """One response: its head, then as many body bytes as it says (or until it closes)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = sock.recv(65536)
        if not piece:
            return answer
        answer += piece
    head, _, body = answer.partition(b"\r\n\r\n")
    lengths = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
    length = int(lengths[0].split(b":")[1]) if lengths else None
    while length is None or len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body


def status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


PIECE = b"x" * 65536


def test_a_200_mb_body_without_a_token_is_refused_before_it_is_read(
    server: ServerProcess,
) -> None:
    before = rss_kb(server)
    for path in ("/api/v1/chat", "/api/v1/knowledge/ingest"):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * MB}\r\n\r\n"
        )
        answer, sent, elapsed = send_until_answered(server, head, lambda _: PIECE, 200 * MB)
        status, body = status_and_body(answer)
        assert status == 401 and body["detail"]["code"] == "AUTH_REQUIRED"  # type: ignore[index]
        assert b"connection: close" in answer.lower()
        assert elapsed < 0.5, elapsed  # the target is 0.1 s; a busy machine gets some room
        assert sent < 20 * MB  # what the kernel's buffers took before the answer, no more
    grown_kb = rss_kb(server) - before
    assert grown_kb < 5 * 1024, f"the server grew by {grown_kb} kB"


def test_a_body_over_the_routes_cap_is_refused_with_a_token_too(server: ServerProcess) -> None:
    before = rss_kb(server)
    customer, admin = server.token(f"u-{uuid.uuid4().hex[:8]}"), server.token("kb-admin", "admin")
    for path, token in (("/api/v1/chat", customer), ("/api/v1/knowledge/ingest", admin)):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {200 * MB}\r\n\r\n"
        )
        answer, sent, elapsed = send_until_answered(server, head, lambda _: PIECE, 200 * MB)
        status, body = status_and_body(answer)
        assert status == 413 and body["detail"]["code"] == "BODY_TOO_LARGE"  # type: ignore[index]
        assert elapsed < 0.5 and sent < 20 * MB
    assert rss_kb(server) - before < 5 * 1024


def test_a_body_that_does_not_say_its_length_is_counted_as_it_arrives(
    server: ServerProcess,
) -> None:
    token = server.token(f"u-{uuid.uuid4().hex[:8]}")
    head = (
        f"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (len(PIECE), PIECE)
    before = rss_kb(server)
    answer, sent, _ = send_until_answered(server, head, lambda _: chunk, 200 * MB)
    status, body = status_and_body(answer)
    assert status == 413 and body["detail"]["code"] == "BODY_TOO_LARGE"  # type: ignore[index]
    assert sent < 20 * MB
    assert rss_kb(server) - before < 5 * 1024


def test_a_body_longer_than_it_says_is_not_read_past_what_it_said(server: ServerProcess) -> None:
    token = server.token(f"u-{uuid.uuid4().hex[:8]}")
    message = json.dumps({"message": "How often should I rotate the tyres?"}).encode()
    head = (
        f"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(message)}\r\n\r\n"
    )
    before = rss_kb(server)
    pieces = [message, *([PIECE] * 300)]  # 20 MB more than it declared
    answer, _, _ = send_until_answered(
        server, head, lambda sent: pieces[min(len(pieces) - 1, sent // len(PIECE))], 20 * MB
    )
    # What follows what it declared is read as a next request, not as more body: a bad one,
    # and the connection is closed, having held no more than its buffers.
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert rss_kb(server) - before < 5 * 1024


def test_a_body_within_the_ingest_cap_is_taken_where_chat_refuses_it(
    server: ServerProcess,
) -> None:
    admin = {"Authorization": f"Bearer {server.token('kb-admin', 'admin')}"}
    text = "# Notes\n\n" + "A line of notes. " * 10_000  # 170 kB: over chat's cap, under ingest's
    document = {"source": f"notes-{uuid.uuid4().hex[:6]}.md", "content": text}
    taken = httpx.post(
        f"{server.base_url}/api/v1/knowledge/ingest",
        json={"documents": [document], "dry_run": True},
        headers=admin,
        timeout=60,
    )
    assert taken.status_code == 200, taken.text
    customer = {"Authorization": f"Bearer {server.token(f'u-{uuid.uuid4().hex[:8]}')}"}
    refused = httpx.post(
        f"{server.base_url}/api/v1/chat", json={"message": text}, headers=customer, timeout=10
    )
    assert refused.status_code == 413 and refused.json()["detail"]["code"] == "BODY_TOO_LARGE"


def test_authentication_errors_are_in_our_words(server: ServerProcess) -> None:
    forged = server.token("mallory")[:-4] + "AAAA"
    expired = server.token("ada", ttl_s=-60)
    for token, words in ((forged, "invalid token"), (expired, "token expired")):
        for method, path in (("GET", "/api/v1/sessions"), ("POST", "/api/v1/chat")):
            response = httpx.request(
                method,
                f"{server.base_url}{path}",
                headers={"Authorization": f"Bearer {token}"},
                json={"message": "hi"},
            )
            assert response.status_code == 401
            assert response.json()["detail"] == {"code": "AUTH_FAILED", "message": words}
