"""The `orchestrator` command line, apart from the service's core: the one part of
`orchestrator` that imports `api` (it starts the server and mints tokens).

`commands` declares every verb (typer) as a thin wrapper; a verb with more to it than a call
has its own module here: `chat_command`, `ingest_command`, `gaps_command` (`kb gaps`),
`customer_command` (`customer export|erase`), `cluster`, and the evaluations (`evaluation`
scores the router, `answer_eval` scores answers that `answer_eval_client` asks a running
server for). `local_database` finds the database of the commands that run without a server.
`main` is the console script's entry point (`orchestrator = "orchestrator.cli:main"`;
`python -m orchestrator` is the same).
"""

from orchestrator.cli.commands import app, main

__all__ = ["app", "main"]
