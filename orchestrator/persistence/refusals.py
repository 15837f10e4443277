"""What a repository refuses, in terms its callers can answer a client with."""

from __future__ import annotations

from sqlalchemy import exc as sql


class Forbidden(Exception):
    """The conversation belongs to someone else."""


class NotFound(LookupError):
    """No such conversation or message."""


class Fenced(Exception):
    """Another run of the turn holds its fence (it was taken over): this run stores nothing."""


class Refused(Exception):
    """The change does not fit the record's state (the message says why)."""


# What the database layer raises when the database cannot be reached or stopped answering
# (as opposed to a refused or bad statement): callers answer "try again shortly".
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sql.OperationalError,
    sql.InterfaceError,
    sql.TimeoutError,
    OSError,
    TimeoutError,
)
# Of those, the waits that ran out (a pooled connection, a statement): an outage, or only a
# process too busy to finish in time; callers tell them apart (`api.session.admission`).
TIMED_OUT: tuple[type[BaseException], ...] = (sql.TimeoutError, TimeoutError)
