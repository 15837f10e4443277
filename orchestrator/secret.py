"""The JWT signing secret: configured, or generated once per data dir in development."""

from __future__ import annotations

import os
import secrets

from orchestrator.errors import StartupError
from orchestrator.settings import Environment, Settings


def jwt_secret(settings: Settings) -> str:
    """The secret that `token` signs with and `serve` verifies with; the same for both."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.environment is Environment.production:
        raise StartupError("JWT_SECRET is not set", "Set it to a long random value in production")
    path = settings.secret_path
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value
