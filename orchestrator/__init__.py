"""The service's core: settings, SQL models and persistence, routing, the graph, turns; and
the command line (`cli`), apart.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "checkpointer",
    "cli",
    "data_dir",
    "db_url",
    "emit",
    "errors",
    "events",
    "followups",
    "graph",
    "knowledge",
    "knowledge_gaps",
    "llm",
    "llm_stream",
    "model_health",
    "model_probe",
    "model_transport",
    "models",
    "nodes",
    "partial_answer",
    "persistence",
    "prompt_echo",
    "routing",
    "runtime",
    "sdk_speedups",
    "secret",
    "services",
    "settings",
    "sse_merge",
    "state",
    "turn_context",
    "turn_metadata",
    "turn_stop",
    "turns",
]
