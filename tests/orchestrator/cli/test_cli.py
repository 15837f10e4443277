"""The command line: configuration mistakes end in one clear line and a non-zero exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JWT_SECRET"}}
    environment.update({"ORCHESTRATOR_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )


def test_db_upgrade_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "orchestrator.sqlite3").exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "definitely not a url"}, "DATABASE_URL is malformed"),
        (
            {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"},
            "cannot migrate the database (PostgreSQL 127.0.0.1:1/test",
        ),
        ({"ORCHESTRATOR_DATA_DIR": "/proc/forbidden"}, "data dir /proc/forbidden is not writable"),
        ({"ENVIRONMENT": "production"}, "JWT_SECRET must be set"),
    ],
)
def test_bad_configuration_is_one_clear_line(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = _run(["db", "upgrade"], tmp_path, **env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_python_dash_m_shows_the_commands(tmp_path: Path) -> None:
    result = _run(["--help"], tmp_path)
    assert result.returncode == 0
    assert "serve" in result.stdout and "db" in result.stdout


def test_serve_on_a_port_in_use_says_so_in_one_clear_line(tmp_path: Path) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["serve", "--port", str(port)], tmp_path)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"PORT={port + 1} make run" in result.stderr
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--workers", "2"], {}, "--workers 2 needs live state shared by every worker"),
        (
            ["--workers", "2"],
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "cannot reach Redis at redis://127.0.0.1:1/0",
        ),
        (
            ["--port", "1"],
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "cannot reach Redis at redis://127.0.0.1:1/0",
        ),
    ],
)
def test_serve_refuses_what_it_cannot_run_in_one_clear_line(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    result = _run(["serve", *args], tmp_path, **env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "fix:" in result.stderr and "Traceback" not in result.stderr
