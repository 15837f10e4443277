"""The one way a reader says a file cannot be used."""


class UnreadableDocument(Exception):
    """A file that cannot be read or parsed; ingestion reports it and goes on."""


def reason_of(error: Exception) -> str:
    """What the ingest report says of a file whose reading raised `error`: a reader's own
    reason, or for anything else (a reader's bug, a library's) what was raised."""
    if isinstance(error, UnreadableDocument):
        return str(error)
    detail = str(error)
    return f"could not be read ({type(error).__name__}{': ' + detail if detail else ''})"
