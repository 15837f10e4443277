"""What a repository refuses, in terms its callers can answer a client with."""

from __future__ import annotations


class Forbidden(Exception):
    """The conversation belongs to someone else."""


class NotFound(LookupError):
    """No such conversation or message."""


class Refused(Exception):
    """The change does not fit the record's state (the message says why)."""
