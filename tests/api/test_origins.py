"""The WebSocket origin rule."""

from __future__ import annotations

from api.origins import origin_allowed

ALLOWED = ["http://127.0.0.1:8000", "http://localhost:8000"]


def test_listed_origins_and_clients_without_one_are_allowed() -> None:
    assert origin_allowed("http://127.0.0.1:8000", "x:1", ALLOWED, development=False)
    assert origin_allowed(None, "127.0.0.1:8012", ALLOWED, development=False)
    assert not origin_allowed("http://evil.example", "127.0.0.1:8000", ALLOWED, development=True)


def test_in_development_the_servers_own_pages_are_allowed_on_any_port() -> None:
    own = ("http://127.0.0.1:8012", "127.0.0.1:8012")
    assert origin_allowed(*own, ALLOWED, development=True)
    assert origin_allowed("http://LOCALHOST:8012", "localhost:8012", ALLOWED, development=True)
    assert not origin_allowed(*own, ALLOWED, development=False)  # production: the list only
    assert not origin_allowed("http://127.0.0.1:8013", "127.0.0.1:8012", ALLOWED, development=True)
    assert not origin_allowed("file://127.0.0.1:8012", "127.0.0.1:8012", [], development=True)
    assert not origin_allowed("null", "127.0.0.1:8012", [], development=True)
