"""The package boundaries docs/architecture.md describes, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, *, runtime_only: bool) -> set[str]:
    """The absolute modules a tree imports (`from p import m` counts as `p.m` too); with
    `runtime_only`, not those under `if TYPE_CHECKING:`."""
    names: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if runtime_only and isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _imports(package: str, *, runtime_only: bool = False) -> dict[str, set[str]]:
    """The modules each file of the package (a folder under the repository) imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        found[str(path.relative_to(REPO))] = _imported(tree, runtime_only=runtime_only)
    return found


def _offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        path: sorted(n for n in names if n.split(".")[0] in forbidden)
        for path, names in _imports(package).items()
        if any(n.split(".")[0] in forbidden for n in names)
    }


def test_retrieval_stands_alone() -> None:
    assert _offending("rag", ("orchestrator", "agents", "api")) == {}


def test_the_api_leaves_sql_to_the_persistence_layer() -> None:
    assert _offending("api", ("sqlalchemy",)) == {}


# The command line starts the server, builds the service and mints tokens: it is the one
# package above the API, and with `python -m orchestrator` (its `__main__`) the entry point
# above every package. It lives in `orchestrator/` for the `orchestrator` command's sake, but
# it is no part of the orchestrator's core: the checks below leave its imports out.
ENTRY_POINTS = "orchestrator/cli/"
MAIN = "orchestrator/__main__.py"


def _entry_point(path: str) -> bool:
    return path.startswith(ENTRY_POINTS) or path == MAIN


@pytest.mark.parametrize("package", ["agents", "orchestrator"])
def test_nothing_below_the_api_imports_it(package: str) -> None:
    offending = _offending(package, ("api",))
    assert {p: names for p, names in offending.items() if not _entry_point(p)} == {}


@pytest.mark.parametrize("package", ["agents", "orchestrator", "api"])
def test_nothing_but_the_entry_point_imports_the_command_line(package: str) -> None:
    offending = {
        path: sorted(n for n in names if n.startswith("orchestrator.cli"))
        for path, names in _imports(package).items()
        if not _entry_point(path)
    }
    assert {path: names for path, names in offending.items() if names} == {}


# api/: the adapters at the top level, each job below them in a package of its own.
ADAPTERS = {
    "app",  # the FastAPI application and its lifespan
    "auth",  # tokens: issued for the command line, verified for every endpoint
    "body_guard",  # request bodies bounded and callers authenticated before they are read
    "deps",  # what route handlers share
    "http_errors",
    "log_format",  # the service log's format (text or JSON), given to uvicorn
    "main",  # what uvicorn imports
    "metrics",  # the process's Prometheus metrics
    "observe",  # turn events counted into those metrics
    "origins",
    "serve",  # uvicorn started after the environment is checked
    "stopping",  # SIGTERM
    "ws",  # /ws/chat
    "ws_staff",  # /ws/staff
    "ws_transport",  # uvicorn's WebSocket protocol
    "ws_compression",  # its permessage-deflate: small messages plain
}
API_PACKAGES = {
    "protocol",  # the wire contract: frames, events, their JSON Schema and AsyncAPI documents
    "session",  # sessions and their turns
    "live",  # the state instances share, in memory and on Redis
    "console",  # the staff console's charts
    "mcp",  # the MCP server at /mcp: its tools, their results, its transport
    "routes",  # one REST router per resource
}


def test_the_top_of_api_holds_only_adapters() -> None:
    folder = REPO / "api"
    modules = {p.stem for p in folder.glob("*.py") if p.name != "__init__.py"}
    packages = {p.parent.name for p in folder.glob("*/__init__.py")}
    assert modules == ADAPTERS
    assert packages == API_PACKAGES


def _api_imports(package: str, *, runtime_only: bool = False) -> dict[str, set[str]]:
    """What each file of `api/<package>/` imports from `api` outside that package."""
    own = f"api.{package}"
    return {
        path: {
            n
            for n in names
            if n.split(".")[0] == "api" and n != "api" and n != own and not n.startswith(own + ".")
        }
        for path, names in _imports(f"api/{package}", runtime_only=runtime_only).items()
    }


def _outside(package: str, allowed: set[str], *, runtime_only: bool = False) -> dict[str, list]:
    """The imports from `api` of `api/<package>/` that reach outside `allowed` packages."""
    return {
        path: sorted(bad)
        for path, names in _api_imports(package, runtime_only=runtime_only).items()
        if (bad := {n for n in names if not any(n == a or n.startswith(a + ".") for a in allowed)})
    }


def test_the_protocol_imports_nothing_else_from_api() -> None:
    assert _outside("protocol", set()) == {}


def test_the_live_state_knows_only_the_protocol() -> None:
    assert _outside("live", {"api.protocol"}) == {}


def test_the_console_charts_know_nothing_else_of_api() -> None:
    assert _outside("console", set()) == {}


def test_the_session_logic_runs_below_the_adapters() -> None:
    """Sessions use the protocol, the live state and the token's principal (`api.auth`);
    admission and handoff name the app's state (`api.deps`) in their signatures, for type
    checking only: at run time `api.deps` imports the session package, not the reverse."""
    below = {"api.protocol", "api.live", "api.auth"}
    assert _outside("session", below, runtime_only=True) == {}
    assert _outside("session", below | {"api.deps"}) == {}


def test_tokens_import_nothing_from_api() -> None:
    """`api.auth` is imported by the command line, the adapters and the session logic alike."""
    tree = ast.parse((REPO / "api" / "auth.py").read_text())
    assert {n for n in _imported(tree, runtime_only=False) if n.split(".")[0] == "api"} == set()


def _node(module: str) -> str:
    """The unit an import reaches: a package of `api` (`api.live.pubsub` → `api.live`), or a
    module of its top level (`api.deps`)."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_the_packages_of_api() -> None:
    """At run time, the packages of `api` and the modules of its top level import one another
    one way only."""
    edges: dict[str, set[str]] = {}
    for path, names in _imports("api", runtime_only=True).items():
        parts = Path(path).with_suffix("").parts
        source = _node(".".join(p for p in parts if p != "__init__"))
        for name in names:
            target = _node(name)
            if name.split(".")[0] == "api" and "." in name and target != source:
                edges.setdefault(source, set()).add(target)
    _assert_acyclic(edges)


def _assert_acyclic(edges: dict[str, set[str]]) -> None:
    """Fails naming the first import cycle found in `edges` (importer → what it imports)."""
    done: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, f"import cycle: {' → '.join((*trail, node))}"
        if node in done:
            return
        for target in sorted(edges.get(node, ())):
            visit(target, (*trail, node))
        done.add(node)

    for node in sorted(edges):
        visit(node, ())


# The packages, lowest first: each imports only those before it. `rag` stands alone; the
# orchestrator's core (state, events, turn context, routing, settings, persistence, the graph's
# wiring, turns) is handed the specialists; `agents` holds the specialists and, in
# `agents/wiring.py`, the composition root that puts them and the core together into the
# service; `api` serves that service. The entry point (above) sits over all four.
LAYERS = ("rag", "orchestrator", "agents", "api")


def _package_imports() -> dict[str, set[str]]:
    """Which of the other packages each package's files import at run time (imports under
    `if TYPE_CHECKING:` aside, imports inside functions counted), the entry point left out."""
    edges: dict[str, set[str]] = {package: set() for package in LAYERS}
    for package in LAYERS:
        for path, names in _imports(package, runtime_only=True).items():
            if not _entry_point(path):
                edges[package] |= {n.split(".")[0] for n in names} & set(LAYERS) - {package}
    return edges


def test_no_import_cycle_between_the_packages() -> None:
    _assert_acyclic(_package_imports())


def test_each_package_imports_only_those_below_it() -> None:
    above = {
        package: sorted(set(imported) - set(LAYERS[: LAYERS.index(package)]))
        for package, imported in _package_imports().items()
    }
    assert {package: names for package, names in above.items() if names} == {}


def test_the_orchestrators_core_is_handed_the_specialists() -> None:
    """Outside the entry point, nothing of `orchestrator/` imports `agents` at run time: the
    graph and the services get the registry from the composition root (`agents.wiring`)."""
    offending = {
        path: sorted(n for n in names if n.split(".")[0] == "agents")
        for path, names in _imports("orchestrator", runtime_only=True).items()
        if not _entry_point(path)
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_no_specialist_imports_the_composition_root() -> None:
    """`agents.wiring` imports the specialists' registry and the orchestrator's core; only
    what serves the product (the API, the entry point) imports it."""
    offending = {
        path: sorted(n for n in names if n.startswith("agents.wiring"))
        for package in ("agents", "orchestrator")
        for path, names in _imports(package).items()
        if path != "agents/wiring.py" and not _entry_point(path)
    }
    assert {path: names for path, names in offending.items() if names} == {}
