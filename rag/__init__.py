"""Retrieval, standing alone: documents (read by format in `readers`, PDF pages by the rules in
`layout`, all into the one model of `blocks`), chunking, the catalogue, embeddings (on ONNX
Runtime or torch), the versioned store and hybrid search. Imports nothing from `orchestrator`,
`agents` or `api`.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "alternatives",
    "blocks",
    "catalogue",
    "chunking",
    "documents",
    "embeddings",
    "glossary",
    "ingest",
    "layout",
    "lexical",
    "onnx_embedder",
    "onnx_export",
    "readers",
    "retriever",
    "store",
]
