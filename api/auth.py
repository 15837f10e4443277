"""JWT (HS256, PyJWT): issuing tokens for the CLI and verifying them for the API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import jwt

ALGORITHM = "HS256"
Role = Literal["customer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("customer", "staff", "admin")


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or signed with another secret."""


# What a caller is told, in our words: never the JWT library's, which name the check that
# failed (a claim, the algorithm, the signature) to whoever probes with forged tokens.
EXPIRED = "token expired"
INVALID = "invalid token"


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    role: Role
    expires_at: float = float("inf")

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


def issue(
    secret: str, user_id: str, role: Role = "customer", ttl_s: int = 3600, name: str | None = None
) -> str:
    """A signed token for `user_id` that expires after `ttl_s` seconds."""
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "name": name or user_id, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


DEMO_TOKEN_TTL_S = 7 * 24 * 3600
DEMO_USERS: dict[Role, tuple[str, str]] = {
    "customer": ("demo-customer", "Demo Customer"),
    "staff": ("demo-staff", "Demo Staff"),
}


def demo_token(secret: str, role: Role = "customer") -> str:
    """A week's token of the development server's demo user of `role` (the links `make run`
    prints, and the landing page's)."""
    user_id, name = DEMO_USERS[role]
    return issue(secret, user_id, role, DEMO_TOKEN_TTL_S, name)


def verify(secret: str, token: str) -> Principal:
    """The principal a token names; InvalidToken with a reason otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken(EXPIRED) from None
    except jwt.InvalidTokenError:  # its words (which claim, which check) stay ours to give
        raise InvalidToken(INVALID) from None
    role = claims.get("role", "customer")
    if role not in ROLES:
        raise InvalidToken(INVALID)
    subject = str(claims["sub"])
    if not subject or len(subject) > 64:
        raise InvalidToken(INVALID)
    return Principal(
        id=subject,
        name=str(claims.get("name") or subject)[:200],
        role=role,
        expires_at=float(claims["exp"]),
    )
