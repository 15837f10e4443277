"""The pages: the landing page, the chat test page, the staff console and the protocol, served
with their own assets (no outside network)."""

from __future__ import annotations

import re
from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.auth import demo_token
from api.deps import State
from api.protocol.asyncapi_html import asyncapi_html
from api.routes.docs import asyncapi_for
from orchestrator.settings import Environment, Settings

STATIC = Path(__file__).resolve().parent.parent / "static"
# The JavaScript client library (clients/js), served at /static/client/ for both pages.
CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js" / "src"
router = APIRouter(tags=["pages"])


FIELD = re.compile(r"^\s*(title|heading|subtitle): (.*)$", re.MULTILINE)
MAX_MESSAGE_CHARS = int(Settings.model_fields["max_message_chars"].default)
NO_STORE = {"Cache-Control": "no-store"}


def _asset(name: str, suffix: str, tag: str) -> str:
    """The page's own stylesheet or script, where it has one."""
    return tag.format(f"/static/{name}{suffix}") if (STATIC / f"{name}{suffix}").exists() else ""


@cache
def render_page(name: str, max_message_chars: int = MAX_MESSAGE_CHARS) -> str:
    """A page: `static/<name>.html` (its header fields, top-bar items and body) inside the
    shell the pages share (`static/shell.html`: head, stylesheets, scripts, header), which
    tells scripts the longest message the server takes."""
    text = (STATIC / f"{name}.html").read_text(encoding="utf-8")
    topbar, body = text.split("<!-- /topbar -->\n", 1)
    fields = {k: v.strip() for k, v in FIELD.findall(topbar.split("-->", 1)[0])}
    values = {**fields, "name": name, "topbar": topbar.split("-->\n", 1)[1].rstrip("\n")}
    values["body"] = body.rstrip("\n")
    values["max_message_chars"] = str(max_message_chars)
    values["stylesheet"] = _asset(name, ".css", '<link rel="stylesheet" href="{}">')
    values["script"] = _asset(name, ".js", '<script type="module" src="{}"></script>')
    shell = (STATIC / "shell.html").read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], shell)


def _page(name: str, settings: Settings) -> str:
    return render_page(name, settings.max_message_chars)


@router.get("/", include_in_schema=False)
async def home_page(state: State) -> HTMLResponse:
    """Where to go: the chat test page (signed in as the demo customer in development), the
    console, the API docs and the protocol."""
    html = _page("home", state.settings)
    if state.settings.environment is Environment.development:
        chat = f"/ws/test?token={demo_token(state.secret, 'customer')}"
        html = html.replace('href="/ws/test"', f'href="{chat}"', 1)
        html = html.replace("<!-- demo -->", "Opens signed in as the demo customer.", 1)
    return HTMLResponse(html, headers=NO_STORE)


@router.get("/ws/test", include_in_schema=False)
async def test_page(state: State) -> HTMLResponse:
    """The chat test page."""
    return HTMLResponse(_page("test", state.settings), headers=NO_STORE)


@cache
def _console_html(routes: tuple[tuple[str, str], ...], max_message_chars: int) -> str:
    """The console page with one route filter option per (name, label) of the registry."""
    options = "\n".join(
        f'                  <option value="{escape(name)}">{escape(label)}</option>'
        for name, label in routes
    )
    page = render_page("console", max_message_chars)
    return page.replace("                  <!-- route options -->", options)


@router.get("/console", include_in_schema=False)
async def console_page(state: State) -> HTMLResponse:
    """The support staff console (its data needs a staff token)."""
    routes = tuple((s.name, s.label) for s in state.orchestrator.services.specialists)
    html = _console_html(routes, state.settings.max_message_chars)
    return HTMLResponse(html, headers=NO_STORE)


@cache
def _protocol_html(title: str, version: str, max_message_chars: int, max_frame_bytes: int) -> str:
    limits = {
        "a message": f"{max_message_chars:,} characters (MESSAGE_TOO_LARGE beyond)",
        "a frame": f"{max_frame_bytes:,} bytes (MESSAGE_TOO_LARGE beyond)",
    }
    content = asyncapi_html(asyncapi_for(title, version), limits)
    return render_page("protocol", max_message_chars).replace("<!-- asyncapi -->", content, 1)


@router.get("/protocol", include_in_schema=False)
async def protocol_page(request: Request, state: State) -> HTMLResponse:
    """The WebSocket protocol, readable: the AsyncAPI document (`/asyncapi.json`) as a page."""
    settings = state.settings
    html = _protocol_html(
        request.app.title, request.app.version, settings.max_message_chars, settings.max_frame_bytes
    )
    return HTMLResponse(html, headers=NO_STORE)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    """What browsers ask for by themselves; the pages link the same icon."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")
