"""`python -m bench.counted_serve serve ...`: `orchestrator serve` with its SQL counted.

Every statement the process sends and every transaction it commits, through SQLAlchemy's
engine events (the async engines dispatch them on their sync engine), are counted and written
to `BENCH_SQL_COUNT_FILE` four times a second as `statements commits`, so the scenario reads
the count around a load without reaching into the served process.
"""

from __future__ import annotations

import os
import runpy
import threading
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITE_EVERY_S = 0.25
counts = {"statements": 0, "commits": 0}


def _statement(*_: object) -> None:
    counts["statements"] += 1


def _commit(*_: object) -> None:
    counts["commits"] += 1


def _write(path: Path) -> None:
    while True:
        write(path, counts["statements"], counts["commits"])
        time.sleep(WRITE_EVERY_S)


def write(path: Path, statements: int, commits: int) -> None:
    """The count, written whole: beside the file, then moved over it (a reader that opened it
    while it was rewritten in place read it empty, and a stage-ops run failed so)."""
    partial = path.with_name(f"{path.name}.part")
    partial.write_text(f"{statements} {commits}\n", encoding="utf-8")
    os.replace(partial, path)


def read(path: Path) -> tuple[int, int]:
    """(statements, commits) the served process has counted so far."""
    statements, commits = path.read_text(encoding="utf-8").split()
    return int(statements), int(commits)


if __name__ == "__main__":
    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "commit", _commit)
    target = Path(os.environ["BENCH_SQL_COUNT_FILE"])
    threading.Thread(target=_write, args=(target,), daemon=True, name="sql-count").start()
    runpy.run_module("orchestrator", run_name="__main__", alter_sys=True)
