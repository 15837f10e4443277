"""The API docs: Swagger UI rendered from the app's own copy (no CDN), so that `/docs` works
on a machine with no internet, and the AsyncAPI document of the WebSocket endpoints."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from api.protocol.asyncapi import asyncapi_document

SWAGGER_UI = "/static/vendor/swagger-ui"  # swagger-ui-dist 5.35.0, see its README.md
router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=str(request.app.openapi_url),
        title=f"{request.app.title}: API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
    )


@cache
def asyncapi_for(title: str, version: str) -> dict[str, Any]:
    """The AsyncAPI document of the app titled so (made once)."""
    return asyncapi_document(title, version)


@router.get("/asyncapi.json")
async def asyncapi(request: Request) -> JSONResponse:
    """The WebSocket endpoints (/ws/chat, /ws/staff) as an AsyncAPI 3 document."""
    return JSONResponse(asyncapi_for(request.app.title, request.app.version))
