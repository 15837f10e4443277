"""The chat test page and the staff console, served with their own assets (no outside network)."""

from __future__ import annotations

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


@router.get("/ws/test", include_in_schema=False)
async def test_page() -> FileResponse:
    """The chat test page."""
    return FileResponse(STATIC / "test.html", headers={"Cache-Control": "no-store"})


@cache
def _console_html(routes: tuple[tuple[str, str], ...]) -> str:
    """The console page with one route filter option per (name, label) of the registry."""
    options = "\n".join(
        f'                  <option value="{escape(name)}">{escape(label)}</option>'
        for name, label in routes
    )
    return (
        (STATIC / "console.html")
        .read_text()
        .replace("                  <!-- route options -->", options)
    )


@router.get("/console", include_in_schema=False)
async def console_page(state: State) -> HTMLResponse:
    """The support staff console (its data needs a staff token)."""
    routes = tuple((s.name, s.label) for s in state.orchestrator.services.specialists)
    return HTMLResponse(_console_html(routes), headers={"Cache-Control": "no-store"})
