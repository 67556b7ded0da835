"""Process isolation: run a function in a forked child with a wall-clock
budget and an address-space cap (:func:`run_isolated`), and the forker
that forks those children from a small process (:func:`pdf_forker`).
"""

from __future__ import annotations

import contextlib
import os
import time

from . import io
from .errors import DocumentError


def _worker(send, function, args, memory_mb):
    """The child's side: cap the address space, run, send ("ok"|"failed", value)."""
    try:
        import resource

        # on top of what the process already holds: a pool worker that has
        # loaded jieba and spaCy (several hundred MB) gives each PDF the same room
        limit = memory_mb * 1024 * 1024 + _address_space()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ImportError, ValueError, OSError):
        pass  # no address-space limit on this platform; the timeout still applies
    try:
        result = ("ok", function(*args, progress=lambda seconds: send(("extend", seconds))))
    except DocumentError as exc:
        result = ("failed", str(exc))
    except MemoryError:
        result = ("failed", f"reading the PDF needed more than the memory cap of {memory_mb} MB "
                            f"(extract.memory_mb); stopped")
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        result = ("failed", f"internal error in extract: {exc.__class__.__name__}: {message}"[:500])
    try:
        send(result)
    except MemoryError:
        send(("failed", f"the result did not fit in the memory cap of {memory_mb} MB (extract.memory_mb)"))


def _address_space() -> int:
    """Bytes of address space this process holds now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_isolated(function, args: tuple, *, timeout: float, memory_mb: int):
    """Call ``function(*args, progress=...)`` in a forked child process with a
    wall-clock budget and an address-space cap; its DocumentError comes back
    as one, and so does a child over its budget or its memory cap.
    ``progress(seconds)`` called by the child extends the budget.

    The child is forked by the forker (:func:`pdf_forker`) when this process
    or the one it was forked from started one, else here. A plain fork (not
    multiprocessing), so that it also works inside daemonic pool workers,
    which multiprocessing does not let have children.
    """
    if not hasattr(os, "fork"):  # no fork (Windows): no isolation, same results
        return function(*args, progress=None)
    if _FORKER is not None:
        try:
            return _wait_for_child(function, args, timeout, memory_mb, forker=_FORKER)
        except _ForkerGone:
            pass  # fork here instead
    return _wait_for_child(function, args, timeout, memory_mb, forker=None)


class _ForkerGone(Exception):
    """The forker did not start a child (it has ended, or its fork failed)."""


def _wait_for_child(function, args, timeout, memory_mb, forker):
    import pickle
    import select
    import signal
    import socket
    import struct

    read_fd, write_fd = os.pipe()
    pid, own = None, forker is None  # own: a child of this process, which must reap it
    try:
        if own:
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(read_fd)
                    _child(write_fd, (function, args, memory_mb))
                finally:
                    os._exit(0)
        else:
            try:
                job = pickle.dumps((function, args, memory_mb), protocol=pickle.HIGHEST_PROTOCOL)
                socket.send_fds(forker, [job], [write_fd])
            except (OSError, pickle.PicklingError, AttributeError, TypeError):
                raise _ForkerGone() from None
    finally:
        os.close(write_fd)
    budget, deadline = timeout, time.monotonic() + timeout
    buffer, finished = bytearray(), False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DocumentError(f"reading the PDF took longer than its budget of {budget:g} s "
                                    f"(extract.timeout_seconds); stopped")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                finished = True
                if not own and pid is None:
                    raise _ForkerGone()
                how = "without a result"
                if own:
                    _, status = os.waitpid(pid, 0)
                    pid = None
                    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
                        f"exit code {os.WEXITSTATUS(status)}"
                raise DocumentError(f"the worker reading the PDF died ({how}); most likely it went over the "
                                    f"memory cap of {memory_mb} MB (extract.memory_mb)")
            buffer += chunk
            while len(buffer) >= 8 and len(buffer) >= 8 + struct.unpack("<Q", buffer[:8])[0]:
                size = struct.unpack("<Q", buffer[:8])[0]
                kind, value = pickle.loads(bytes(buffer[8:8 + size]))
                del buffer[:8 + size]
                if kind == "pid":
                    pid = value
                elif kind == "extend":
                    deadline += value
                    budget += value
                else:
                    finished = True
                    if kind == "ok":
                        return value
                    raise DocumentError(value)
    finally:
        os.close(read_fd)
        if own and pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        elif pid and not finished:  # the forker's child, still at work: over its budget, or we were interrupted
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _child(write_fd: int, job) -> None:
    """The forked child of one PDF: hold nothing of its parent's, say its pid,
    run the job ((function, args, memory_mb), or those pickled) and send the
    result. Never returns normally; the caller exits."""
    import gc
    import pickle
    import struct

    # the collector must not walk the heap inherited from the worker
    # (jieba, spaCy, the dictionary): collections in the child took
    # about a second per 40 PDFs, and touching those objects copies
    # their memory pages into the child
    gc.freeze()
    # hold nothing of the parent's: an inherited descriptor (the outputs
    # lock) must not outlive a killed parent; and die with the parent
    os.closerange(3, write_fd)
    os.closerange(write_fd + 1, 1 << 16)
    io.die_with_parent()

    def send(message):
        blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(struct.pack("<Q", len(blob)) + blob)
        while view:
            view = view[os.write(write_fd, view):]

    send(("pid", os.getpid()))
    try:
        function, args, memory_mb = pickle.loads(job) if isinstance(job, bytes) else job
    except Exception as exc:
        send(("failed", f"internal error in extract: cannot start the PDF's worker: {exc.__class__.__name__}: {exc}"))
        return
    _worker(send, function, args, memory_mb)


# ---------------------------------------------------------------- the forker

_FORKER = None  # this process's end of the socket to the forker, when one runs


@contextlib.contextmanager
def pdf_forker(engine: str, enabled: bool = True):
    """Run a forker for as long as the block runs: a small process, forked
    from this one before it loads anything big, that forks the child of each
    PDF (:func:`run_isolated`) for this process and for the pool workers
    forked from it later.

    Why: forking a worker that has loaded jieba, spaCy and the dictionary
    (250 MB) and reading a PDF in the child cost about 30 ms more per PDF
    than doing the same from a 30 MB process (page tables to copy, pages
    copied on write, a bigger address space to tear down). The forker also
    imports the PDF libraries itself, while this process loads the rest.

    Where fork or descriptor passing is missing it does nothing, and so it
    does when the forker fails: the children are forked here, as before.
    """
    import signal
    import socket

    global _FORKER
    if not enabled or _FORKER is not None or not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        yield
        return
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:
        yield
        return
    try:
        pid = os.fork()
    except OSError:  # no room for another process: each child is forked by its asker
        ours.close(), theirs.close()
        yield
        return
    if pid == 0:
        try:
            ours.close()
            _serve(theirs, engine)
        finally:
            os._exit(0)
    theirs.close()
    _FORKER = ours
    try:
        yield
    finally:
        _FORKER = None
        ours.close()
        try:
            os.kill(pid, signal.SIGKILL)  # it holds no work of its own: each PDF's child reports to its asker
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _serve(sock, engine: str) -> None:
    """The forker: for each job on ``sock`` (pickled bytes and the write end
    of the asker's pipe), fork a child that runs it (:func:`_child`)."""
    import signal
    import socket


    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command, which ends this process
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    io.HELD_LOCKS.clear()
    io.die_with_parent()
    try:  # the PDF libraries, once, for every child it forks
        import pypdfium2  # noqa: F401

        if engine == "pdfplumber":
            import pdfplumber  # noqa: F401
    except ImportError:
        pass
    while True:
        try:
            job, fds, _, _ = socket.recv_fds(sock, 1 << 20, 1)
        except InterruptedError:
            continue
        if not job and not fds:  # every asker has closed its end
            return
        _reap()
        if not fds:
            continue
        try:
            pid = os.fork()
        except OSError:
            pid = -1  # closing the pipe with no pid in it tells the asker to fork the child itself
        if pid == 0:
            try:
                sock.close()
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _child(fds[0], job)
            finally:
                os._exit(0)
        os.close(fds[0])


def _reap() -> None:
    """Collect the forker's children that have ended."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
