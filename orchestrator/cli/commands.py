"""The `orchestrator` command line: thin wrappers that call into the packages."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from orchestrator.errors import StartupError
from orchestrator.settings import Settings, get_settings

app = typer.Typer(
    name="orchestrator",
    help="AI customer-support orchestrator for a vehicle maker's service network.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
eval_app = typer.Typer(help="Measure answer quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
kb_app = typer.Typer(help="What the knowledge base could not answer.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
customer_app = typer.Typer(
    help="One customer's data, for their GDPR or CCPA request: export it, erase it.",
    no_args_is_help=True,
)
app.add_typer(customer_app, name="customer")
DEFAULT_ROUTING_SET = Path(__file__).resolve().parents[2] / "tests/data/routing_labelled.jsonl"

err = Console(stderr=True, soft_wrap=True)
out = Console()


def _settings() -> Settings:
    return get_settings()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the database schema (default: to the newest revision)."""
    from orchestrator import db_url
    from orchestrator.data_dir import ensure_writable
    from orchestrator.persistence import db_engine

    settings = _settings()
    ensure_writable(settings.data_dir)
    url = db_url.parse(settings.resolved_database_url)
    db_engine.upgrade(url, revision)
    out.print(f"database at {db_url.describe(url)} is at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="e.g. -1 or base")]) -> None:
    """Downgrade the database schema to REVISION."""
    from orchestrator import db_url
    from orchestrator.persistence import db_engine

    url = db_url.parse(_settings().resolved_database_url)
    db_engine.downgrade(url, revision)
    out.print(f"database at {db_url.describe(url)} downgraded to {revision}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings)")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the HTTP and WebSocket API."""
    from api.serve import run

    settings = _settings()
    run(settings, host or settings.host, port or settings.port, workers)


@app.command()
def cluster(
    instances: Annotated[int, typer.Option(min=1, help="How many instances")] = 2,
    port: Annotated[int, typer.Option(help="The balancer's port; instances take the next")] = 8080,
) -> None:
    """Several PostgreSQL-backed instances with Redis and Chroma behind HAProxy, one address."""
    from api.auth import demo_token
    from orchestrator.cli import cluster as local_cluster
    from orchestrator.secret import jwt_secret

    settings = _settings()
    secret = jwt_secret(settings)  # made once, before the instances that share the data dir
    pages = {
        "Test page": f"/ws/test?token={demo_token(secret, 'customer')}",
        "Console": f"/console?token={demo_token(secret, 'staff')}",
    }
    raise typer.Exit(local_cluster.run(settings, instances, port, pages))


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to ingest; none: the folders KNOWLEDGE_DIRS lists",
            show_default=False,
        ),
    ] = None,
    reset: Annotated[bool, typer.Option(help="Drop the knowledge base and rebuild it")] = False,
    prune: Annotated[
        bool,
        typer.Option(help="Remove documents read from under PATH whose files are gone"),
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Report what would change; write nothing")] = False,
    if_empty: Annotated[bool, typer.Option(help="Only ingest when the store is empty")] = False,
    domain: Annotated[
        str | None,
        typer.Option(help="File every document under this domain, whatever its folder or content"),
    ] = None,
) -> None:
    """Ingest Markdown, text, HTML, PDF and Word (.docx) documents into the knowledge base.

    A running server sees the result at once; the previous version serves until it is ready.
    """
    from agents.registry import default_registry
    from orchestrator.cli.ingest_command import run

    settings = _settings()
    fix = "Check the PATH given" if paths else "Check KNOWLEDGE_DIRS"
    if not paths:
        paths = settings.knowledge_dirs
        if not paths:
            err.print("KNOWLEDGE_DIRS is empty: no folder to ingest")
            raise typer.Exit(0)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise StartupError(f"no such file or folder: {', '.join(missing)}", fix)
    domains = default_registry().domains
    if domain is not None and domain not in domains:
        raise StartupError(f"unknown domain {domain!r}", f"Use one of: {', '.join(domains)}")
    code = run(
        settings,
        paths,
        reset=reset,
        prune=prune,
        dry_run=dry_run,
        if_empty=if_empty,
        domain=domain,
    )
    raise typer.Exit(code)


@app.command()
def token(
    user: Annotated[str, typer.Option(help="User id (the token's subject)")],
    role: Annotated[str, typer.Option(help="customer, staff or admin")] = "customer",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds")] = 3600,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Print a token the server accepts (signed with JWT_SECRET or the development secret)."""
    from api.auth import ROLES, issue
    from orchestrator.data_dir import ensure_writable
    from orchestrator.secret import jwt_secret

    if role not in ROLES:
        raise StartupError(f"unknown role {role!r}", f"Use one of: {', '.join(ROLES)}")
    if ttl <= 0:
        raise StartupError("--ttl must be positive", "Give the lifetime in seconds")
    settings = _settings()
    ensure_writable(settings.data_dir)
    print(issue(jwt_secret(settings), user, role, ttl, name))


@app.command()
def chat(
    url: Annotated[
        str | None, typer.Option(help="The server's /ws/chat address (default: HOST and PORT)")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="A customer token (default: minted here for a development server)"),
    ] = None,
    session: Annotated[str | None, typer.Option(help="Continue this session id")] = None,
) -> None:
    """Chat with a running server from the terminal; with stdin not a terminal, answer one
    question per line (scriptable)."""
    import asyncio

    from api.auth import issue
    from orchestrator.cli.chat_command import chat as run_chat
    from orchestrator.secret import jwt_secret
    from orchestrator.settings import Environment

    settings = _settings()
    if token is None:
        if settings.environment is not Environment.development:
            raise StartupError("no --token given", "Pass a customer token with --token")
        token = issue(jwt_secret(settings), "terminal", "customer", 24 * 3600, "Terminal")
    target = url or f"ws://{settings.host}:{settings.port}/ws/chat"
    raise typer.Exit(asyncio.run(run_chat(target, token, session_id=session)))


@kb_app.command("gaps")
def kb_gaps(
    hours: Annotated[int, typer.Option(min=1, help="The window: the last N hours")] = 7 * 24,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Questions answered with no answer, low scores, a thumbs-down or a hand-off, grouped by
    topic, with examples and the closest passages (read from this machine's database)."""
    from orchestrator.cli.gaps_command import run

    raise typer.Exit(run(_settings(), hours, json_out, out))


@customer_app.command("export")
def customer_export(
    customer_id: Annotated[str, typer.Argument(help="The customer's user id")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default: print it)")
    ] = None,
) -> None:
    """Everything stored about one customer, as JSON, read from this machine's database (the
    export is recorded as the command line's)."""
    from orchestrator.cli.customer_command import export

    raise typer.Exit(export(_settings(), customer_id, out_file, err))


@customer_app.command("erase")
def customer_erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's user id")],
    yes: Annotated[bool, typer.Option("--yes", help="Erase: it cannot be undone")] = False,
) -> None:
    """Remove every row of one customer, graph checkpoints included, and with REDIS_URL what
    the live state keeps of their sessions; prints the rows removed per table (recorded
    without content). While a server runs, erase through its API: it stops their turns."""
    from orchestrator.cli.customer_command import erase

    if not yes:
        raise StartupError(
            f"erasing {customer_id} removes all of their data for good",
            f"Run `orchestrator customer erase {customer_id} --yes`",
        )
    raise typer.Exit(erase(_settings(), customer_id, out, err))


@eval_app.command("routing")
def eval_routing(
    file: Annotated[Path, typer.Argument(help="JSONL of {message, route}")] = DEFAULT_ROUTING_SET,
) -> None:
    """Route a labelled set; print accuracy, precision and recall, and the confusion matrix."""
    from agents.wiring import build_router
    from orchestrator import knowledge
    from orchestrator.cli import evaluation
    from orchestrator.knowledge import knowledge_store
    from rag.catalogue import Catalogue

    if not file.exists():
        raise StartupError(f"no such file: {file}", "Give a JSONL file of {message, route}")
    labelled = evaluation.load_labelled(file)
    settings = _settings()
    # Routed as turns are: with the knowledge base's vehicle names made neutral, its vectors.
    exists = settings.chroma_url or settings.chroma_path.exists()
    store = knowledge_store(settings) if exists else None
    embedder = knowledge.embedder(
        settings, precision=knowledge.precision_of(settings, store) if store else None
    )
    router = build_router(embedder)
    stored = store.catalogue() if store else None
    catalogue = Catalogue.model_validate_json(stored) if stored else Catalogue()
    vectors = embedder.encode([catalogue.neutralise(message) for message, _ in labelled])
    predicted = [router.classify(v).route for v in vectors]
    out.print(evaluation.render(evaluation.evaluate(labelled, predicted)), highlight=False)


@eval_app.command("answers")
def eval_answers(
    file: Annotated[Path, typer.Argument(help="JSONL of labelled conversations")],
    url: Annotated[
        str | None, typer.Option(help="The server's /ws/chat (default: this machine's serve)")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="A customer token (default: minted with the local JWT secret)"),
    ] = None,
    origin: Annotated[str | None, typer.Option(help="Origin header (default: allowed)")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the scores as JSON here")
    ] = None,
) -> None:
    """Ask labelled conversations over /ws/chat; print routing, citation and fact scores."""
    import asyncio
    import json

    from orchestrator.cli import answer_eval
    from orchestrator.cli.answer_eval_client import evaluate

    if not file.exists():
        raise StartupError(f"no such file: {file}", "Give a JSONL file of labelled conversations")
    settings = _settings()
    conversations = answer_eval.load_conversations(file)
    target = url or f"ws://{settings.host}:{settings.port}/ws/chat"

    def token_for(conversation: str) -> str:
        if token:
            return token
        from api.auth import issue
        from orchestrator.secret import jwt_secret

        return issue(jwt_secret(settings), f"eval-{conversation}"[:64], "customer", 3600)

    try:
        report = asyncio.run(
            evaluate(target, origin or settings.allowed_origins[0], token_for, conversations)
        )
    except OSError as exc:
        raise StartupError(
            f"cannot reach {target} ({exc.strerror or exc})", "Start it with `orchestrator serve`"
        ) from None
    out.print(answer_eval.render(report), highlight=False, markup=False)
    if json_out is not None:
        json_out.write_text(json.dumps(report.summary(), indent=2) + "\n")


def main() -> None:
    """Entry point: configuration and environment problems end in one line and exit code 2."""
    try:
        app()
    except StartupError as exc:
        err.print(f"[bold red]error:[/] {exc.problem}.\n  fix: {exc.fix}", highlight=False)
        sys.exit(2)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        err.print(f"[bold red]error:[/] invalid configuration: {problems}", highlight=False)
        sys.exit(2)
