"""The SQL count a served process writes for stage-ops, read while it is being written."""

from __future__ import annotations

import threading
from pathlib import Path

from bench.counted_serve import read, write


def test_the_count_is_read_whole_while_it_is_rewritten(tmp_path: Path) -> None:
    count = tmp_path / "sql-count"
    write(count, 0, 0)
    done = threading.Event()

    def rewrite() -> None:
        n = 0
        while not done.is_set():
            n += 1
            write(count, 10 * n, n)

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        readings = [read(count) for _ in range(2_000)]
    finally:
        done.set()
        writer.join()
    assert all(statements == 10 * commits for statements, commits in readings)
    assert readings[-1][1] >= readings[0][1]
