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
        path.write_text(f"{counts['statements']} {counts['commits']}\n", encoding="utf-8")
        time.sleep(WRITE_EVERY_S)


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
