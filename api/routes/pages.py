"""The chat test page and the staff console, served with their own assets (no outside network)."""

from __future__ import annotations

import re
from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import State

STATIC = Path(__file__).resolve().parent.parent / "static"
# The JavaScript client library (clients/js), served at /static/client/ for both pages.
CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js" / "src"
router = APIRouter(tags=["pages"])


FIELD = re.compile(r"^\s*(title|heading|subtitle): (.*)$", re.MULTILINE)


@cache
def render_page(name: str) -> str:
    """A page: `static/<name>.html` (its header fields, top-bar items and body) inside the
    shell both pages share (`static/shell.html`: head, stylesheets, scripts, header)."""
    text = (STATIC / f"{name}.html").read_text(encoding="utf-8")
    topbar, body = text.split("<!-- /topbar -->\n", 1)
    fields = {k: v.strip() for k, v in FIELD.findall(topbar.split("-->", 1)[0])}
    values = {**fields, "name": name, "topbar": topbar.split("-->\n", 1)[1].rstrip("\n")}
    values["body"] = body.rstrip("\n")
    shell = (STATIC / "shell.html").read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], shell)


@router.get("/ws/test", include_in_schema=False)
async def test_page() -> HTMLResponse:
    """The chat test page."""
    return HTMLResponse(render_page("test"), headers={"Cache-Control": "no-store"})


@cache
def _console_html(routes: tuple[tuple[str, str], ...]) -> str:
    """The console page with one route filter option per (name, label) of the registry."""
    options = "\n".join(
        f'                  <option value="{escape(name)}">{escape(label)}</option>'
        for name, label in routes
    )
    return render_page("console").replace("                  <!-- route options -->", options)


@router.get("/console", include_in_schema=False)
async def console_page(state: State) -> HTMLResponse:
    """The support staff console (its data needs a staff token)."""
    routes = tuple((s.name, s.label) for s in state.orchestrator.services.specialists)
    return HTMLResponse(_console_html(routes), headers={"Cache-Control": "no-store"})


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    """What browsers ask for by themselves; the pages link the same icon."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")
