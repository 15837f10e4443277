"""The JSON Schema (draft 2020-12) of the chat WebSocket protocol, generated from api.protocol.

`python -m api.protocol.schema` writes docs/protocol.schema.json; `--check` only compares and
exits 1 when the file is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from pydantic import TypeAdapter

from api.protocol import (
    CLIENT_MESSAGE,
    CLOSE_CODES,
    CLOSE_NO_RECONNECT,
    SERVER_EVENT,
    TURN_ENDING_ERRORS,
)
from orchestrator.settings import Settings

SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "protocol.schema.json"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
REF_TEMPLATE: Final = "#/$defs/{model}"

_UNIONS: Final[dict[str, tuple[TypeAdapter[Any], str]]] = {
    "ClientMessage": (CLIENT_MESSAGE, "A frame a client sends to the server."),
    "ServerEvent": (SERVER_EVENT, "An event the server sends to a client."),
}


def protocol_facts() -> dict[str, Any]:
    """What a client needs beyond the frames' shapes (`x-protocol`): clients generate their
    constants from it (clients/js/scripts/generate-protocol.mjs)."""
    defaults = Settings.model_fields
    return {
        "turn_ending_errors": sorted(code.value for code in TURN_ENDING_ERRORS),
        "close_codes": {str(code): meaning for code, meaning in sorted(CLOSE_CODES.items())},
        "close_no_reconnect": sorted(CLOSE_NO_RECONNECT),
        "max_message_chars": defaults["max_message_chars"].default,
        "max_frame_bytes": defaults["max_frame_bytes"].default,
        "idle_timeout_s": defaults["ws_idle_timeout_s"].default,
    }


def protocol_schema() -> dict[str, Any]:
    """One document: every model under `$defs`, plus the `ClientMessage` and `ServerEvent`
    unions; the document itself accepts any frame in either direction."""
    keyed, definitions = TypeAdapter.json_schemas(
        [(name, "validation", adapter) for name, (adapter, _) in _UNIONS.items()],
        ref_template=REF_TEMPLATE,
    )
    defs: dict[str, Any] = dict(definitions.get("$defs", {}))
    for name, (_, description) in _UNIONS.items():
        union = dict(keyed[(name, "validation")])
        union["title"] = name
        union["description"] = description
        defs[name] = union
    return {
        "$schema": DIALECT,
        "title": "Support chat WebSocket protocol (/ws/chat)",
        "description": (
            "Generated from api/protocol/messages.py by `python -m api.protocol.schema`; see "
            "docs/protocol.md. Validate a client frame against #/$defs/ClientMessage and a "
            "server event against #/$defs/ServerEvent."
        ),
        "anyOf": [{"$ref": f"#/$defs/{name}"} for name in _UNIONS],
        "x-protocol": protocol_facts(),
        "$defs": defs,
    }


def render_protocol_schema() -> str:
    """The schema file's exact text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(protocol_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.protocol.schema", description=__doc__)
    parser.add_argument("--output", type=Path, default=SCHEMA_PATH, help="where to write")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file is out of date"
    )
    args = parser.parse_args(argv)
    text = render_protocol_schema()
    output: Path = args.output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output} is out of date; run: python -m api.protocol.schema", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
