"""Files: atomic writes, the lock, and crash safety with a real SIGKILL."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, snapshot
from pipeline import io


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    io.write_text(tmp_path / "a" / "b.txt", "兩化融合\n")
    assert (tmp_path / "a" / "b.txt").read_text(encoding="utf-8") == "兩化融合\n"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]


def test_lock_is_released_when_the_holder_dies(tmp_path):
    """flock belongs to the process: a killed holder leaves no stale lock."""
    code = ("import sys, time\nfrom pipeline.io import OutputsLock\n"
            "with OutputsLock(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(Exception, match="another run holds the outputs lock"):
        with io.OutputsLock(tmp_path):
            pass
    holder.kill()
    holder.wait()
    with io.OutputsLock(tmp_path):  # taken over at once
        pass


@pytest.mark.parametrize("delay", [1.5, 4.0, 7.0])
def test_killed_run_then_rerun_equals_an_uninterrupted_run(built, tmp_path, delay):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    out = tmp_path / "out"
    # two workers: a killed run's pool workers must neither keep the lock nor go on writing
    args = [sys.executable, "-m", "pipeline", "run", "--corpus", str(corpus), "--outputs", str(out), "--jobs", "2"]
    victim = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert subprocess.run(args, cwd=ROOT, capture_output=True).returncode == 0
    ignore = ("manifest.json", ".lock", ".stamps")
    expected = {p: v[0] for p, v in snapshot(built, ignore).items()}
    assert {p: v[0] for p, v in snapshot(out, ignore).items()} == expected
    assert not list(out.rglob(".*.tmp"))


def test_prune_cache_keeps_the_newest_files(tmp_path):
    for i in range(6):
        path = tmp_path / f"jieba-{i}.pickle"
        path.write_bytes(b"x")
        os.utime(path, ns=(i * 10**9, i * 10**9))
    (tmp_path / "other.pickle").write_bytes(b"y")
    io.prune_cache(tmp_path, "jieba-*.pickle", keep=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"jieba-{i}.pickle" for i in range(2, 6)] + ["other.pickle"]
