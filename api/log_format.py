"""The service log, as `orchestrator serve` configures it: uvicorn's lines and the
application's, as text for people or as one JSON object a line for a log shipper
(`LOG_FORMAT`). Tokens in addresses are never written."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

LogFormat = Literal["text", "json"]
TOKEN_IN_QUERY = re.compile(r"(?<=[?&]token=)[^&\s\"]+")
# Loggers whose INFO lines are written; every other logger writes its warnings and errors.
INFO_LOGGERS = ("api.session.turn_log",)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a line carries (`extra={"fields": {...}}`), if any."""
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


def _text(value: object) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return json.dumps(text) if not text or any(c.isspace() or c in '"=' for c in text) else text


class TextFormatter(DefaultFormatter):
    """uvicorn's look (`INFO:     name: message`), the line's fields after it as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _fields(record)
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the fields
        pairs = " ".join(f"{key}={_text(value)}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the line's fields, and an
    error's exception with its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class HideTokens(logging.Filter):
    """`?token=` in an address (the printed page links, a socket authenticated by its address)
    is written as `token=…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_QUERY.sub("…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def log_config(log_format: LogFormat) -> dict[str, Any]:
    """uvicorn's logging configuration (`uvicorn.run(log_config=...)`), with the application's
    loggers written through a handler of their own and every line in `log_format`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    formatters = config["formatters"]
    formatters["app"] = {
        "()": f"{__name__}.TextFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
        "use_colors": None,
    }
    if log_format == "json":
        for name in formatters:
            formatters[name] = {"()": f"{__name__}.JsonFormatter"}
    config["filters"] = {"tokens": {"()": f"{__name__}.HideTokens"}}
    handlers = config["handlers"]
    handlers["app"] = {
        "formatter": "app",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in handlers.values():
        handler["filters"] = ["tokens"]
    config["root"] = {"handlers": ["app"], "level": "WARNING"}
    for name in INFO_LOGGERS:
        config["loggers"][name] = {"level": "INFO"}
    return config
