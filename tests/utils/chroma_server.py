"""A real Chroma server (`chroma run`, shipped with chromadb) on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.utils.server import free_port


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """Start it with its data in `path`; yields its URL (CHROMA_URL) and stops it on exit."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (path.parent / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"chroma exited: {(path.parent / 'chroma.log').read_text()}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError("chroma did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
