"""The runner: local process pools and a real Dask cluster give the same outputs."""

import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli, snapshot

IGNORE = ("manifest.json", ".lock", ".stamps")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster():
    """A real scheduler and two worker processes on loopback, stopped after the test."""
    pytest.importorskip("distributed")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env_args = dict(cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], **env_args)
    workers = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2",
                                "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"], **env_args)
    try:
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for proc in (workers, scheduler):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_dask_executor_gives_the_local_outputs(built, tmp_path, dask_cluster):
    run_cli("run", "--corpus", ROOT / "corpus", "--outputs", tmp_path / "out", "--executor", "dask",
            "--scheduler", dask_cluster, check=0)
    expected = {p: v[0] for p, v in snapshot(built, IGNORE).items()}
    assert {p: v[0] for p, v in snapshot(tmp_path / "out", IGNORE).items()} == expected


def test_dask_without_scheduler_is_a_usage_error(tmp_path):
    proc = run_cli("run", "--executor", "dask", "--outputs", tmp_path / "o")
    assert proc.returncode == 2 and "--scheduler" in proc.stderr
    proc = run_cli("run", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--outputs", tmp_path / "o")
    assert proc.returncode == 2 and "cannot reach the Dask scheduler" in proc.stderr
