"""The test page for the chat protocol, served with its own assets (no outside network)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(tags=["pages"])


@router.get("/ws/test", include_in_schema=False)
async def test_page() -> FileResponse:
    """The chat test page."""
    return FileResponse(STATIC / "test.html", headers={"Cache-Control": "no-store"})


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    """The support staff console (its data needs a staff token)."""
    return FileResponse(STATIC / "console.html", headers={"Cache-Control": "no-store"})
