"""The service's core: settings, SQL models and persistence, routing, the graph, turns, CLI.

Each name below is a module (or package) of this package; import it by name.
"""

__all__ = [
    "answer_eval",
    "answer_eval_client",
    "chat_command",
    "checkpointer",
    "cli",
    "cluster",
    "context",
    "data_dir",
    "database",
    "db_url",
    "emit",
    "errors",
    "evaluation",
    "events",
    "followups",
    "graph",
    "ingest_command",
    "knowledge",
    "llm",
    "llm_stream",
    "models",
    "nodes",
    "partial_answer",
    "persistence",
    "routing",
    "runtime",
    "sdk_speedups",
    "secret",
    "services",
    "settings",
    "state",
    "turns",
]
