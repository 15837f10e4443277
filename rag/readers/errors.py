"""The one way a reader says a file cannot be used."""


class UnreadableDocument(Exception):
    """A file that cannot be read or parsed; ingestion reports it and goes on."""
