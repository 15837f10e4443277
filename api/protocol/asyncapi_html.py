"""The AsyncAPI document as a page a person reads (`/protocol`): each endpoint with the frames
it takes and the events it sends, each message's fields, the types they use, the error and
close codes and the limits. Plain HTML made here, from the document itself: no script, nothing
loaded from elsewhere. Every text of the document is escaped."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from api.protocol.messages import CLOSE_CODES, ERROR_DESCRIPTIONS, TURN_ENDING_ERRORS, ErrorCode

CODE_SPAN = re.compile(r"`([^`]+)`")
CONSTRAINTS = {  # JSON Schema keyword → how a reader is told it
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "pattern": "matches <code>{}</code>",
}


def prose(text: str) -> str:
    """A description as HTML: escaped, `code` spans kept as code."""
    return CODE_SPAN.sub(r"<code>\1</code>", escape(text, quote=False))


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class _Page:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        components = document.get("components", {})
        self.messages: dict[str, Any] = components.get("messages", {})
        self.schemas: dict[str, Any] = components.get("schemas", {})

    def anchor(self, name: str) -> str:
        return f"message-{name}" if name in self.messages else f"type-{name}"

    def link(self, ref: str) -> str:
        name = _name(ref)
        return f'<a href="#{self.anchor(name)}">{escape(name)}</a>'

    def type_of(self, node: dict[str, Any]) -> str:
        """A schema node's type in words, types of this document linked."""
        if "$ref" in node:
            return self.link(node["$ref"])
        if "const" in node:
            return f"<code>{escape(repr_json(node['const']))}</code>"
        if "enum" in node:
            return " | ".join(f"<code>{escape(repr_json(v))}</code>" for v in node["enum"])
        for key in ("anyOf", "oneOf"):
            if key in node:
                parts = [p for p in node[key] if p.get("type") != "null"]
                text = " or ".join(self.type_of(p) for p in parts)
                return text + (" or null" if len(parts) < len(node[key]) else "")
        kind = node.get("type")
        if kind == "array":
            return f"array of {self.type_of(node.get('items', {}))}"
        if kind == "object" and isinstance(node.get("additionalProperties"), dict):
            return f"object of {self.type_of(node['additionalProperties'])}"
        if isinstance(kind, list):
            return " or ".join(escape(str(k)) for k in kind)
        return escape(str(kind)) if kind else "any"

    def notes(self, node: dict[str, Any]) -> list[str]:
        """What a field's schema says beyond its type: bounds, default."""
        found: list[str] = []
        for part in [node, *node.get("anyOf", [])]:
            for key, words in CONSTRAINTS.items():
                if key in part:
                    found.append(words.format(escape(str(part[key]))))
        if node.get("default") not in (None, [], {}) and "const" not in node:
            found.append(f"default <code>{escape(repr_json(node['default']))}</code>")
        return found

    def fields(self, schema: dict[str, Any]) -> str:
        properties: dict[str, Any] = schema.get("properties", {})
        if not properties:
            return '<p class="muted">No fields.</p>'
        required = set(schema.get("required", []))
        rows = []
        for name, node in properties.items():
            need = '<span class="required">required</span>' if name in required else ""
            text = " ".join(
                [prose(node.get("description", ""))] + [f"({n})" for n in self.notes(node)]
            ).strip()
            rows.append(
                f"<tr><td><code>{escape(name)}</code> {need}</td>"
                f"<td>{self.type_of(node)}</td><td>{text}</td></tr>"
            )
        return (
            '<table class="fields"><thead><tr><th>Field</th><th>Type</th><th>Meaning</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def channel(self, key: str, channel: dict[str, Any]) -> str:
        ops = self.document.get("operations", {})
        parts = [
            f'<section class="channel" id="channel-{escape(key)}">',
            f"<h2><code>{escape(channel.get('address', key))}</code></h2>",
            f"<p>{prose(channel.get('description', ''))}</p>",
        ]
        for action, heading in (("receive", "Client → server"), ("send", "Server → client")):
            op = ops.get(f"{key}.{action}")
            if op is None:
                continue
            items = []
            for ref in op.get("messages", []):
                name = _name(ref["$ref"])
                message = self.messages.get(name, {})
                items.append(
                    f'<li><a href="#{self.anchor(name)}"><code>{escape(message.get("name", name))}'
                    f"</code></a> {prose(message.get('summary', ''))}</li>"
                )
            parts.append(f'<h3>{heading}</h3><ul class="message-list">{"".join(items)}</ul>')
        parts.append("</section>")
        return "".join(parts)

    def message(self, name: str, message: dict[str, Any]) -> str:
        payload = message.get("payload", {})
        schema = self.schemas.get(_name(payload.get("$ref", name)), payload)
        return (
            f'<article class="message" id="message-{escape(name)}">'
            f"<h3><code>{escape(message.get('name', name))}</code> "
            f'<span class="model">{escape(name)}</span></h3>'
            f"<p>{prose(message.get('summary', ''))}</p>{self.fields(schema)}</article>"
        )

    def type_section(self, name: str, schema: dict[str, Any]) -> str:
        body = (
            f"<p>One of: {self.type_of(schema)}</p>"
            if "enum" in schema or "oneOf" in schema or "anyOf" in schema
            else self.fields(schema)
        )
        return (
            f'<article class="type" id="type-{escape(name)}"><h3>{escape(name)}</h3>'
            f"<p>{prose(schema.get('description', ''))}</p>{body}</article>"
        )


def repr_json(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def error_codes() -> str:
    rows = "".join(
        f'<tr id="error-{code.value}"><td><code>{code.value}</code></td>'
        f"<td>{'yes' if code in TURN_ENDING_ERRORS else ''}</td>"
        f"<td>{prose(ERROR_DESCRIPTIONS[code])}</td></tr>"
        for code in ErrorCode
    )
    return (
        '<table class="fields"><thead><tr><th>Code</th><th>Ends the turn</th><th>Meaning</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def close_codes() -> str:
    rows = "".join(
        f"<tr><td><code>{code}</code></td><td>{prose(meaning)}</td></tr>"
        for code, meaning in sorted(CLOSE_CODES.items())
    )
    return (
        '<table class="fields"><thead><tr><th>Close code</th><th>Meaning</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def asyncapi_html(document: dict[str, Any], limits: dict[str, str] | None = None) -> str:
    """The page's content (it goes inside the pages' shell). `limits`: what this server
    enforces, in words, by name."""
    page = _Page(document)
    info = document.get("info", {})
    servers = "".join(
        f"<li><code>{escape(s.get('protocol', 'ws'))}://{escape(s.get('host', ''))}</code> "
        f"({escape(key)}) {prose(s.get('description', ''))}</li>"
        for key, s in document.get("servers", {}).items()
    )
    channels = document.get("channels", {})
    toc = "".join(
        f'<li><a href="#channel-{escape(k)}"><code>{escape(c.get("address", k))}</code></a></li>'
        for k, c in channels.items()
    )
    toc += (
        '<li><a href="#messages">Messages</a></li><li><a href="#types">Types</a></li>'
        '<li><a href="#errors">Error codes</a></li><li><a href="#close-codes">Close codes</a>'
        "</li>"
    )
    limit_items = "".join(
        f"<li>{escape(name)}: {escape(value)}</li>" for name, value in (limits or {}).items()
    )
    in_use = [  # as the endpoints list them: a client's frames, then the server's events
        _name(ref["$ref"])
        for op in document.get("operations", {}).values()
        for ref in op.get("messages", [])
    ]
    message_names = list(dict.fromkeys([*in_use, *page.messages]))
    payloads = {_name(m.get("payload", {}).get("$ref", n)) for n, m in page.messages.items()}
    types = [n for n in page.schemas if n not in payloads]
    parts = [
        f'<nav class="toc" aria-label="Contents"><ul>{toc}</ul></nav>',
        '<section class="overview" id="overview">',
        f"<h2>{escape(info.get('title', 'WebSocket API'))} "
        f'<span class="version">{escape(str(info.get("version", "")))}</span></h2>',
        f"<p>{prose(info.get('description', ''))}</p>",
        f"<p>Servers:</p><ul>{servers}</ul>" if servers else "",
        f'<p>Limits of this server:</p><ul class="limits">{limit_items}</ul>'
        if limit_items
        else "",
        '<p>The document itself: <a href="/asyncapi.json">/asyncapi.json</a> '
        f"(AsyncAPI {escape(str(document.get('asyncapi', '')))}).</p></section>",
        *(page.channel(k, c) for k, c in channels.items()),
        '<section id="messages"><h2>Messages</h2>',
        *(page.message(n, page.messages[n]) for n in message_names),
        '</section><section id="types"><h2>Types</h2>',
        *(page.type_section(n, page.schemas[n]) for n in types),
        '</section><section id="errors"><h2>Error codes</h2>',
        "<p>An <code>error</code> event's <code>code</code>. Those that end the turn carry "
        "its <code>turn_id</code>; the others refuse one frame and leave the connection "
        "open.</p>",
        error_codes(),
        '</section><section id="close-codes"><h2>Close codes</h2>',
        "<p>Any other close is a dropped connection: reconnect and resume.</p>",
        close_codes(),
        "</section>",
    ]
    return "\n".join(p for p in parts if p)
