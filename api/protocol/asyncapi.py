"""The AsyncAPI 3 document of the two WebSocket endpoints, generated from the protocol models.

Served at `/asyncapi.json` beside `/openapi.json`, and written to docs/asyncapi.json by
`python -m api.protocol.asyncapi`. The message schemas are the ones of docs/protocol.schema.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from api.protocol.schema import protocol_schema

DOCUMENT_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"
VERSION: Final = "3.1.0"
# The app's title and version (api.app passes its own; docs/asyncapi.json uses these).
APP_TITLE: Final = "Support orchestrator"
APP_VERSION: Final = "0.1.0"
FRAMES: Final = {  # which client frames each endpoint takes (api.ws.CHAT, api.ws_staff.STAFF)
    "chat": ("auth", "ping", "message", "cancel", "resume"),
    "staff": ("auth", "ping", "watch", "unwatch"),
}
STAFF_ONLY_EVENTS: Final = ("conversation",)
ENDPOINTS: Final = {
    "chat": (
        "/ws/chat",
        "Customer chat: authenticate, send messages, receive the answer as progress, sources, "
        "token and complete events numbered by seq; resume after a reconnect.",
    ),
    "staff": (
        "/ws/staff",
        "Staff console (staff role): the live conversation list, and one conversation watched "
        "at a time with the same events its customer receives.",
    ),
}


def _as_asyncapi(node: Any) -> Any:
    """A JSON Schema node in the AsyncAPI schema dialect: references into components, and
    `discriminator` as the name of the property (OpenAPI's object form is not AsyncAPI's)."""
    if isinstance(node, list):
        return [_as_asyncapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/components/schemas/")
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value["propertyName"]
        else:
            out[key] = _as_asyncapi(value)
    return out


def _models(defs: dict[str, Any], union: str) -> dict[str, str]:
    """`type` value → model name, for the members of a discriminated union."""
    mapping = defs[union]["discriminator"]["mapping"]
    return {kind: ref.rsplit("/", 1)[-1] for kind, ref in mapping.items()}


def asyncapi_document(title: str = APP_TITLE, version: str = APP_VERSION) -> dict[str, Any]:
    schema = protocol_schema()
    defs: dict[str, Any] = schema["$defs"]
    frames, events = _models(defs, "ClientMessage"), _models(defs, "ServerEvent")
    messages = {
        model: {
            "name": kind,
            "title": model,
            "summary": defs[model].get("description", ""),
            "payload": {"$ref": f"#/components/schemas/{model}"},
        }
        for kind, model in {**frames, **events}.items()
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for endpoint, (address, description) in ENDPOINTS.items():
        taken = [frames[kind] for kind in FRAMES[endpoint]]
        sent = [
            model
            for kind, model in events.items()
            if endpoint == "staff" or kind not in STAFF_ONLY_EVENTS
        ]
        channels[endpoint] = {
            "address": address,
            "title": address,
            "description": description,
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in taken + sent},
        }
        for action, models in (("receive", taken), ("send", sent)):
            operations[f"{endpoint}.{action}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{endpoint}"},
                "summary": (
                    f"Frames a client sends on {address}."
                    if action == "receive"
                    else f"Events the server sends on {address}."
                ),
                "messages": [{"$ref": f"#/channels/{endpoint}/messages/{m}"} for m in models],
            }
    return {
        "asyncapi": VERSION,
        "info": {
            "title": f"{title}: WebSocket API",
            "version": version,
            "description": (
                "Generated from api/protocol/messages.py (`python -m api.protocol.schema`). "
                "The rules (auth first, seq and resume, idempotent retries, error codes, close "
                "codes) are in docs/protocol.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "development": {
                "host": "127.0.0.1:8000",
                "protocol": "ws",
                "description": "`make run`; production serves wss:// behind its proxy.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {
                name: _as_asyncapi(model)
                for name, model in defs.items()
                if name not in ("ClientMessage", "ServerEvent")
            },
        },
    }


def render_asyncapi() -> str:
    return json.dumps(asyncapi_document(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m api.protocol.asyncapi` writes docs/asyncapi.json; `--check` exits 1 if it is
    stale."""
    parser = argparse.ArgumentParser(prog="python -m api.protocol.asyncapi", description=__doc__)
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH, help="where to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    output: Path = args.output
    text = render_asyncapi()
    if args.check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            print(f"{output} is out of date; run: python -m api.protocol.asyncapi", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
