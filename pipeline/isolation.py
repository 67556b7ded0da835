"""Process isolation: the one place that starts processes.

Domain code calls :func:`run_isolated` to run a risky call (reading one PDF)
in a child process with a time budget and a memory cap; the runner calls
:func:`open_pool` for the per-document worker pool and :class:`SideProcess`
for the report, whose libraries load while the workers run. All are the
standard library (``concurrent.futures``, ``multiprocessing`` processes and
pipes) around ``os.fork``:

- the PDF's child is forked with ``os.fork`` rather than started as a
  ``multiprocessing.Process``, because a Dask worker is a daemonic process,
  and multiprocessing refuses children to those;
- the child leads its own process group, so a budget kill also ends what it
  started (tesseract);
- its address space is capped with ``RLIMIT_AS`` on top of what the worker
  already holds, so a worker that has loaded jieba and spaCy gives each PDF
  the same room.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
import warnings
from multiprocessing import reduction
from multiprocessing.connection import Connection, Pipe

from . import io
from .errors import DocumentError


def open_pool(jobs: int) -> "Pool":
    """A pool of ``jobs`` workers forked from this process, so that they
    inherit what it has loaded (jieba, spaCy, the dictionary); each worker
    closes its copy of the outputs lock and dies with this process."""
    return Pool(jobs)


class Pool(concurrent.futures.ProcessPoolExecutor):
    """The per-document worker pool: a ProcessPoolExecutor that can be
    stopped at once (:meth:`stop`: pending work cancelled, workers ended
    with their children) and started again after a worker was lost
    (:meth:`renew`)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        fork = multiprocessing.get_context("fork") if sys.platform == "linux" else None
        super().__init__(max_workers=jobs, mp_context=fork, initializer=_init_worker)

    def stop(self) -> None:
        """Cancel what has not started and end the workers: SIGTERM, on which
        a worker ends the children it waits for (:func:`_end_children`), then
        SIGKILL for one that has not gone within 5 seconds."""
        processes = list((self._processes or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, AttributeError):
                process.terminate()
        deadline = time.monotonic() + 5
        for process in processes:
            with contextlib.suppress(OSError, AttributeError, AssertionError):
                process.join(max(deadline - time.monotonic(), 0))
                if process.is_alive():
                    process.kill()
                    process.join()

    def renew(self) -> None:
        """After a worker was lost (BrokenProcessPool): a new set of workers."""
        self.stop()
        self.__init__(self.jobs)

    def __exit__(self, kind, value, traceback):
        if kind is not None:  # Ctrl-C, SIGTERM, an outputs error: do not wait for the rest
            self.stop()
            return False
        return super().__exit__(kind, value, traceback)


def _init_worker() -> None:
    # a worker holding a copy of the lock would keep it after a killed run
    io.close_inherited_locks()
    io.die_with_parent()
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum, frame) -> None:
    """SIGTERM in a worker: end the children it waits for (and what they
    started), remove their temporary folders, exit."""
    _end_children()
    os._exit(128 + signum)


_RUNNING: dict[str, int | None] = {}  # temporary folder -> pid of each child this process waits for


def _end_children() -> None:
    for folder, pid in list(_RUNNING.items()):
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    _RUNNING.clear()


class SideProcess:
    """A process beside the workers. :meth:`start` forks it, and it runs
    ``first(*args)`` at once (importing the report's libraries while the
    workers run); :meth:`call` then runs functions in it, one at a time, or
    in this process when it was never started or has died. A multiprocessing
    Process and Pipe, not a pool: a pool runs a thread in this process, and
    the workers and each PDF's child are forked after it."""

    def __init__(self, first, *args):
        self._first, self._args = first, args
        self._process = self._pipe = None

    def start(self) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():  # Windows: calls run in this process
            return
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_side_loop, args=(child, self._first, self._args), daemon=True)
        self._process.start()
        child.close()

    def call(self, function, *args):
        """``function(*args)``: its result, or its exception raised here."""
        if self._process is None:
            return function(*args)
        try:
            self._pipe.send((function, args))
            ok, value = self._pipe.recv()
        except (OSError, EOFError):  # it died (killed, out of memory): do it here
            return function(*args)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError):
            self._pipe.send(None)
        self._pipe.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _side_loop(pipe, first, args) -> None:
    _init_worker()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle; it ends this process
    with contextlib.suppress(Exception):  # only a head start: a failure shows again where it matters
        first(*args)
    while True:
        try:
            job = pipe.recv()
        except EOFError:  # the command has ended
            return
        if job is None:
            return
        function, args = job
        try:
            reply = (True, function(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            pipe.send(reply)
        except Exception:  # an exception that does not pickle
            pipe.send((False, RuntimeError(f"{reply[1].__class__.__name__}: {reply[1]}")))


def run_isolated(function, args: tuple, *, timeout: float, memory_mb: int, what: str = "the PDF"):
    """``function(*args, progress=...)`` in a forked child with a wall-clock
    budget of ``timeout`` seconds and ``memory_mb`` MB more address space than
    the child starts with; returns its result. Its :class:`DocumentError`, a
    child over its budget or its memory cap, and a child that dies all come
    back as a DocumentError. The child calls ``progress(seconds)`` to extend
    its budget (an OCR page). ``what`` names the file in messages. The forker (:func:`forker`) forks the child
    when one runs; else, or when it cannot, this process does."""
    if not hasattr(os, "fork"):  # Windows: no isolation, same results
        return function(*args, progress=None)
    if _FORKER is not None:
        try:
            return _wait_for_child(function, args, timeout, memory_mb, what, _FORKER)
        except _ForkerGone:
            pass
    return _wait_for_child(function, args, timeout, memory_mb, what, None)


@contextlib.contextmanager
def library_warnings():
    """Collect, while the block runs, what libraries say through ``logging``
    (WARNING and above: pdfminer's "Could not get FontBBox ...") and
    ``warnings``, instead of letting them reach stderr; yields the list of
    messages, filled when the block ends. See :func:`summary`."""
    notes: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            with contextlib.suppress(Exception):
                notes.append((record.getMessage().strip().splitlines() or [record.name])[0][:200])

    handler = Collect(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)  # with a handler, logging's last resort (print to stderr) is not used
    try:
        with warnings.catch_warnings(record=True) as caught:
            yield notes
    finally:
        root.removeHandler(handler)
        notes += [f"{w.category.__name__}: {(str(w.message).splitlines() or [''])[0][:200]}" for w in caught]


def summary(notes: list[str]) -> str:
    """One line for a document's library warnings, each message once.

    >>> summary(["Could not get FontBBox", "Could not get FontBBox", "other"])
    'library warnings: Could not get FontBBox (2 times); other'
    """
    counts = collections.Counter(notes)
    parts = [f"{m} ({n} times)" if n > 1 else m for m, n in counts.items()]
    more = f"; and {len(parts) - 5} more" if len(parts) > 5 else ""
    return "library warnings: " + "; ".join(parts[:5]) + more


class _ForkerGone(Exception):
    """The forker started no child (it has ended, or its fork failed)."""


def _wait_for_child(function, args, timeout: float, memory_mb: int, what: str, forker):
    receive, send = Pipe(duplex=False)
    own = forker is None  # the child is ours to reap
    pid = None
    # the child's temporary files (tesseract's page images) go into a folder
    # this process removes when the child has ended, however it ended
    folder = tempfile.mkdtemp(prefix="pipeline-child-")
    _RUNNING[folder] = None
    try:
        if own:
            pid = os.fork()
            if pid == 0:
                try:
                    receive.close()
                    _child(send, function, args, memory_mb, what, folder)
                finally:
                    os._exit(0)
            _RUNNING[folder] = pid
        else:
            connection, lock = forker
            try:
                with lock:  # the workers share the connection: one job and its descriptor at a time
                    connection.send((function, args, memory_mb, what, folder))
                    reduction.send_handle(connection, send.fileno(), 0)
            except (OSError, ValueError, AttributeError, TypeError, pickle.PicklingError):
                raise _ForkerGone() from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        _RUNNING.pop(folder, None)
        raise
    finally:
        send.close()
    budget, deadline = timeout, time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DocumentError(f"reading {what} took longer than its budget of {budget:g} s "
                                    f"(extract.timeout_seconds); stopped")
            if not receive.poll(min(remaining, 1.0)):
                continue
            try:
                kind, value = receive.recv()
            except EOFError:  # closed without a result: killed, by the kernel or by the cap
                if pid is None:
                    raise _ForkerGone() from None
                how = "without a result"
                if own:
                    _, status = os.waitpid(pid, 0)
                    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
                        f"exit code {os.WEXITSTATUS(status)}"
                    pid = None
                raise DocumentError(f"the worker reading {what} died ({how}); most likely it went over the "
                                    f"memory cap of {memory_mb} MB (extract.memory_mb)") from None
            if kind == "pid":
                pid = _RUNNING[folder] = value
            elif kind == "log":  # the child's library warnings, said again here for the caller's collector
                for note in value:
                    logging.getLogger("pipeline.child").warning("%s", note)
            elif kind == "extend":
                deadline += value
                budget += value
            elif kind == "ok":
                return value
            else:
                raise DocumentError(value)
    finally:
        receive.close()
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # the child and whatever it started (tesseract)
            if own:
                os.waitpid(pid, 0)
        shutil.rmtree(folder, ignore_errors=True)
        _RUNNING.pop(folder, None)


def _child(send, function, args, memory_mb: int, what: str, folder: str) -> None:
    """The child's side: hold nothing of the parent's, cap the address space,
    keep temporary files in ``folder``, say its pid, run, send ("ok" |
    "failed", value)."""
    os.environ["TMPDIR"] = tempfile.tempdir = folder
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not its asker's handler (_terminated)
    _RUNNING.clear()
    # The collector must not walk the heap inherited from the worker (jieba,
    # spaCy): touching those objects copies their memory pages into the child.
    gc.freeze()
    os.setpgid(0, 0)  # a group of its own: the budget kill reaches its children
    # an inherited descriptor (the outputs lock) must not outlive a killed parent
    os.closerange(3, send.fileno())
    os.closerange(send.fileno() + 1, 1 << 16)
    io.die_with_parent()
    send.send(("pid", os.getpid()))
    try:
        import resource

        limit = memory_mb * 1024 * 1024 + _address_space()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ImportError, ValueError, OSError):
        pass  # no address-space limit on this platform; the time budget still applies
    try:
        with library_warnings() as notes:
            value = function(*args, progress=lambda seconds: send.send(("extend", seconds)))
        if notes:
            send.send(("log", notes))
        result = ("ok", value)
    except DocumentError as exc:
        result = ("failed", str(exc))
    except MemoryError:
        result = ("failed", f"reading {what} needed more than the memory cap of {memory_mb} MB "
                            f"(extract.memory_mb); stopped")
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        result = ("failed", f"internal error in extract: {exc.__class__.__name__}: {message}"[:500])
    try:
        send.send(result)
    except MemoryError:
        send.send(("failed", f"the result did not fit in the memory cap of {memory_mb} MB (extract.memory_mb)"))


_FORKER = None  # (connection, lock) to the forker while one runs


def has_forker() -> bool:
    return _FORKER is not None


@contextlib.contextmanager
def forker(prepare=None, *args):
    """While the block runs, a small process forked now, before this process
    loads jieba and spaCy, forks the child of each PDF (:func:`run_isolated`)
    for this process and for the pool workers forked from it later. It first
    runs ``prepare(*args)`` (importing the PDF libraries).

    Why: forking a small process instead of a worker holding jieba and spaCy
    costs less per PDF, enough to pay on the bench (docs/performance.md).
    multiprocessing's forkserver would be the library for this, but a pool
    worker cannot use a forkserver its parent started (its pid is not the
    worker's child). Without fork, or when it fails, each child is forked by
    its asker.
    """
    global _FORKER
    if _FORKER is not None or not hasattr(os, "fork"):
        yield
        return
    ours, theirs = Pipe()  # duplex: a Unix socket pair, which can carry descriptors
    try:
        pid = os.fork()
    except OSError:  # no room for another process
        ours.close(), theirs.close()
        yield
        return
    if pid == 0:
        try:
            ours.close()
            _serve(theirs, prepare, args)
        finally:
            os._exit(0)
    theirs.close()
    _FORKER = (ours, multiprocessing.get_context("fork").Lock())
    try:
        yield
    finally:
        _FORKER = None
        ours.close()
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # it holds no work: each child reports to its asker
            os.waitpid(pid, 0)


def _serve(connection, prepare, args) -> None:
    """The forker: for each job (and the write end of its asker's pipe), fork
    a child that runs it (:func:`_child`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command, which ends this process
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps its children
    keep = connection.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    io.HELD_LOCKS.clear()
    io.die_with_parent()
    if prepare is not None:
        with contextlib.suppress(Exception):  # a library that fails to import fails in the child, reported
            prepare(*args)
    while True:
        try:
            function, args, memory_mb, what, folder = connection.recv()
            fd = reduction.recv_handle(connection)
        except (EOFError, OSError):  # every asker has closed its end
            return
        except Exception:  # a job that does not unpickle here: its asker sees its pipe closed and forks it
            continue
        try:
            pid = os.fork()
        except OSError:
            pid = -1  # the pipe closed with no pid on it tells the asker to fork the child itself
        if pid == 0:
            try:
                connection.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # subprocess (tesseract) needs its exit status
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _child(Connection(fd, readable=False), function, args, memory_mb, what, folder)
            finally:
                os._exit(0)
        os.close(fd)


def _address_space() -> int:
    """Bytes of address space this process holds now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
