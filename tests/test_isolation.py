"""Process isolation with real processes: each PDF's child keeps to its time
budget and memory cap whether this process or the forker forks it; a dead
forker is replaced by forking here; the side process runs calls elsewhere."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import extract, isolation
from pipeline.config import load_config
from pipeline.errors import ConfigError, DocumentError


@pytest.fixture(params=["forked here", "by the forker"])
def forker(request):
    """run_isolated's two ways to fork a PDF's child: from this process, or
    from a forker (the way a run forks them)."""
    if request.param == "forked here":
        yield request.param
        return
    with isolation.forker():
        assert isolation.has_forker()
        yield request.param



def _sleep(seconds, progress=None):
    time.sleep(seconds)
    return "slept"


def _allocate(megabytes, progress=None):
    return len(bytearray(megabytes * 1024 * 1024))


def _fail(progress=None):
    raise DocumentError("not a readable PDF (test)")


def _parent(progress=None):
    return os.getppid()


def _spawn_sleeper(pid_file, progress=None):
    """Start a grandchild (as OCR starts tesseract), note its pid, then hang."""
    sleeper = subprocess.Popen(["sleep", "300"])
    Path(pid_file).write_text(str(sleeper.pid))
    time.sleep(300)


def test_worker_over_its_time_budget_is_stopped(forker):
    started = time.monotonic()
    with pytest.raises(DocumentError, match="longer than its budget of 1 s"):
        isolation.run_isolated(_sleep, (60,), timeout=1, memory_mb=2048)
    assert time.monotonic() - started < 30


def test_budget_kill_ends_what_the_child_started(tmp_path, forker):
    pid_file = tmp_path / "grandchild.pid"
    with pytest.raises(DocumentError, match="longer than its budget"):
        isolation.run_isolated(_spawn_sleeper, (str(pid_file),), timeout=2, memory_mb=2048)
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # killed with its group; reaped by init once its parent is gone
        try:
            state = Path(f"/proc/{grandchild}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.1)
    else:
        os.kill(grandchild, signal.SIGKILL)
        pytest.fail("the child's own child outlived the budget kill")


def test_worker_over_its_memory_cap_fails_the_document(forker):
    with pytest.raises(DocumentError, match="memory cap of 512 MB"):
        isolation.run_isolated(_allocate, (4096,), timeout=60, memory_mb=512)
    assert isolation.run_isolated(_allocate, (16,), timeout=60, memory_mb=2048) == 16 * 1024 * 1024


def test_worker_errors_come_back_as_document_errors(forker):
    with pytest.raises(DocumentError, match="not a readable PDF"):
        isolation.run_isolated(_fail, (), timeout=60, memory_mb=2048)


def test_the_forker_forks_the_child_and_a_dead_forker_is_replaced(tmp_path):
    config = load_config(None)
    pdf = ROOT / "corpus" / "mic2025-brief-en.pdf"
    entry = {"path": str(pdf), "suffix": ".pdf"}
    extract.process("alone", entry, config, tmp_path)
    alone = (tmp_path / "text" / "alone.txt").read_bytes()
    with isolation.forker(extract.preload, config):
        forker_pid = isolation.run_isolated(_parent, (), timeout=60, memory_mb=2048)
        assert forker_pid != os.getpid()
        extract.process("forked", entry, config, tmp_path)
        assert (tmp_path / "text" / "forked.txt").read_bytes() == alone
        os.kill(forker_pid, signal.SIGKILL)
        # the forker is gone (killed, perhaps not yet dead): the child is forked here, with the same result
        assert isolation.run_isolated(_parent, (), timeout=60, memory_mb=2048) == os.getpid()
        extract.process("after", entry, config, tmp_path)
        assert (tmp_path / "text" / "after.txt").read_bytes() == alone
    assert not isolation.has_forker()


def test_without_room_for_a_forker_each_child_is_forked_here(monkeypatch):
    fork = os.fork

    def no_room():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_room)
    with isolation.forker():
        assert not isolation.has_forker()
        monkeypatch.setattr(os, "fork", fork)
        assert isolation.run_isolated(_parent, (), timeout=60, memory_mb=2048) == os.getpid()


def _bad_config_value():
    raise ConfigError("config.toml", "[report] top_n", "expected an integer >= 1, got 0", line=7)


def test_side_process_runs_calls_elsewhere_and_raises_their_errors_here():
    side = isolation.SideProcess(time.sleep, 0)
    assert side.call(os.getpid) == os.getpid()  # not started: here
    side.start()
    try:
        assert side.call(os.getpid) not in (os.getpid(), None)
        assert side.call(int, "42") == 42
        with pytest.raises(ValueError, match="invalid literal"):
            side.call(int, "x")
        # an error whose __init__ is not (message,) comes back whole, file and line included
        with pytest.raises(ConfigError, match=r"^config.toml:7: \[report\] top_n: expected an integer") as error:
            side.call(_bad_config_value)
        assert (error.value.path, error.value.line) == ("config.toml", 7)
        os.kill(side._process.pid, signal.SIGKILL)  # a side process that died: the call runs here instead
        side._process.join()
        assert side.call(os.getpid) == os.getpid()
    finally:
        side.close()
    assert not side._process.is_alive()
