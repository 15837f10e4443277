"""Files read in a child process with a memory limit: whatever reading a file takes goes back when
the ingest ends, and a file that would take too much, or that crashes its reader, fails alone.

One child serves one ingest (`with ReaderProcess(...) as read: ingest(..., read=read)`), started
at its first file and ended with it; a fresh child replaces one that ran out of memory or died.
The child is a plain interpreter that imports this module and what reading needs, nothing of its
parent's program (as `multiprocessing` would: its main module). Requests and replies are pickled
over its standard input and output: a document, or `UnreadableDocument` with the reason.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from rag.documents import SourceDocument, load
from rag.readers.errors import UnreadableDocument, reason_of
from rag.readers.limits import DEFAULT_LIMITS, MB, ReadingLimits

# What the child runs for each file: `rag.documents.load`, or a test's stand-in (a function of
# a module the child can import, as pickle names it).
Load = Callable[[Path, Path, Sequence[str], ReadingLimits], SourceDocument]
CHILD = "from rag.reader_process import serve; serve()"
STOP_TIMEOUT_S = 5.0


class OutOfMemory(UnreadableDocument):
    """Reading the file took more memory than the child may have."""


class ReaderProcess:
    """`load` in a child process that may take `memory_mb` more than it holds once started;
    called as `rag.ingest.DocumentReader` is."""

    def __init__(
        self, memory_mb: int, limits: ReadingLimits = DEFAULT_LIMITS, load: Load = load
    ) -> None:
        self.memory_mb = memory_mb
        self.limits = limits
        self._load = load
        self._child: subprocess.Popen[bytes] | None = None
        self.children = 0  # started so far

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        return self._child.pid if self._child is not None else None

    def __call__(self, path: Path, root: Path, domains: Sequence[str]) -> SourceDocument:
        """The file's document, read in the child; `UnreadableDocument` with the reason if it
        cannot be read there, the child having run out of memory or died included."""
        child = self._child or self._start()
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump((self._load, path, root, tuple(domains), self.limits), child.stdin)
            child.stdin.flush()
            reply = pickle.load(child.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            raise UnreadableDocument(self._died(child)) from None
        if isinstance(reply, OutOfMemory):
            self.close()  # its heap may stay grown: a fresh child reads the next file
        if isinstance(reply, UnreadableDocument):
            raise reply
        assert isinstance(reply, SourceDocument)
        return reply

    def close(self) -> None:
        """End the child, if one runs (the next file starts another)."""
        child, self._child = self._child, None
        if child is None:
            return
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.close()  # the child ends at the end of its input
            child.wait(STOP_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        child.stdout.close()

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(self.memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as exc:
            raise UnreadableDocument(f"no reader process could be started ({exc})") from exc
        self.children += 1
        return self._child

    def _died(self, child: subprocess.Popen[bytes]) -> str:
        """Why the file failed when its child stopped answering (it is ended, if it was not)."""
        self.close()
        code = child.returncode
        how = signal.Signals(-code).name if code is not None and code < 0 else f"exit {code}"
        return (
            f"its reader process died reading it ({how}): it needs more than {self.memory_mb} MB "
            "to read, or crashed the reader"
        )


def serve() -> None:
    """The child: read each file asked for on standard input, reply on standard output, until
    the input ends. Its memory is held to what it holds once started plus the MB in argv."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to act on
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a library's print stays out of replies
    memory_mb = int(sys.argv[1])
    _limit_memory(memory_mb)
    _answer(sys.stdin.buffer, replies, memory_mb)


def _answer(requests: BinaryIO, replies: BinaryIO, memory_mb: int) -> None:
    while True:
        try:
            load, path, root, domains, limits = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = pickle.dumps(_read(load, path, root, domains, limits, memory_mb))
        except MemoryError:  # the document read, but too large to send back
            reply = pickle.dumps(OutOfMemory(f"needs more than {memory_mb} MB to read"))
        replies.write(reply)
        replies.flush()


def _limit_memory(memory_mb: int) -> None:
    """The process's address space held to what it holds now plus `memory_mb`, so that an
    allocation past it raises MemoryError (in C code: fails, or ends the process)."""
    try:
        with open("/proc/self/statm") as statm:
            held = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # no /proc: the limit cannot be put relative to what the child holds
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = held + memory_mb * MB
    soft = size if hard == resource.RLIM_INFINITY else min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _read(
    load: Load,
    path: Path,
    root: Path,
    domains: Sequence[str],
    limits: ReadingLimits,
    memory_mb: int,
) -> SourceDocument | UnreadableDocument:
    """In the child: the document, or why it cannot be read (an `UnreadableDocument`, which
    pickles, as a library's own exception may not)."""
    try:
        return load(path, root, domains, limits)
    except UnreadableDocument as exc:
        return exc
    except MemoryError:
        return OutOfMemory(f"needs more than {memory_mb} MB to read")
    except Exception as exc:
        return UnreadableDocument(reason_of(exc))
