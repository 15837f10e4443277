"""Retrieval, standing alone: documents, chunking, the catalogue, embeddings, the versioned
store and hybrid search. Imports nothing from `orchestrator`, `agents` or `api`.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "catalogue",
    "chunking",
    "documents",
    "embeddings",
    "ingest",
    "lexical",
    "retriever",
    "store",
]
