"""Retrieval, standing alone: documents (read by format in `readers`, under its `limits`, PDF
pages by the rules in `layout`, all into the one model of `blocks`; for an ingest, in a child
process: `reader_process`), chunking, the catalogue, embeddings (on ONNX Runtime or torch), the
versioned store, hybrid search and how near a message must come to be on its subject
(`off_subject`). Imports nothing from `orchestrator`, `agents` or `api`.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "alternatives",
    "blocks",
    "catalogue",
    "chunking",
    "codes",
    "documents",
    "embeddings",
    "glossary",
    "ingest",
    "layout",
    "lexical",
    "off_subject",
    "onnx_embedder",
    "onnx_export",
    "reader_process",
    "readers",
    "retriever",
    "store",
]
