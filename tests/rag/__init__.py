"""Retrieval's tests. `rag` knows no domains of its own: these tests give it the sample
knowledge base's, as the service gives it its specialists'."""

DOMAINS = ("specs", "maintenance", "troubleshooting")
