"""A parser process: ``python -m sluice.core.ingest.parsers.worker IN_FD OUT_FD LIMITS``.

Receives (path, extension) on IN_FD, sends (document, failure) on OUT_FD, until the
parent closes the pipe. It dies with its parent (Linux ``PR_SET_PDEATHSIG``), so a
killed ingest leaves no parser running, and its address space is capped
(``parser_memory_bytes``), so a decompression bomb fails one file, not the machine.
"""

from __future__ import annotations

import ctypes
import json
import signal
import sys
from multiprocessing.connection import Connection

from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure
from sluice.core.ingest.parsers.registry import load_builtins, parse_file

_PR_SET_PDEATHSIG = 1


def parse_one(path: str, extension: str, limits: Limits) -> tuple[ParsedDoc | None,
                                                                   ParseFailure | None]:
    try:
        return parse_file(path, extension, limits), None
    except ParseFailure as failure:
        return None, failure
    except MemoryError:
        return None, ParseFailure("too_large", "the parser ran out of memory on this file")
    except Exception as exc:  # a parser bug or an unexpected format quirk
        return None, ParseFailure("parse_failed", f"{type(exc).__name__}: {str(exc)[:500]}")


def serve(conn_in: Connection, conn_out: Connection, limits: Limits) -> None:
    while True:
        try:
            path, extension = conn_in.recv()
        except (EOFError, OSError):
            return
        conn_out.send(parse_one(path, extension, limits))


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the closed pipe still ends the loop


def _limit_memory(limit: int) -> None:
    """Cap this process's address space: a hostile file that makes a parser allocate past
    it raises MemoryError (or kills the process), never the machine's other work."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not POSIX, or a hard limit below ours: keep what the system gives


def main() -> None:
    _die_with_parent()
    limits = Limits(**json.loads(sys.argv[3]))
    _limit_memory(limits.memory_bytes)
    conn_in = Connection(int(sys.argv[1]), writable=False)
    conn_out = Connection(int(sys.argv[2]), readable=False)
    load_builtins()  # imported before "ready": the parse timeout bounds parsing, not imports
    conn_out.send("ready")
    serve(conn_in, conn_out, limits)


if __name__ == "__main__":
    main()
