"""Shared fixtures: the project root, a copy of the bundled corpus, and a
helper that runs the real command line or real make."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
# Real third-party PDFs and OpenCC's test cases, read by their relative path and
# never copied in: in a clone with no ../shared beside it, the tests that read
# them are skipped with this reason, not failed.
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is not there (the shared samples "
                                   "are read beside the project, never copied in)")
PY = sys.executable


def run_cli(*args, cwd=ROOT, input=None, check=None):
    """Run ``python -m pipeline ARGS`` as a user would; returns the CompletedProcess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([PY, "-m", "pipeline", *map(str, args)], cwd=cwd, input=input, capture_output=True,
                          text=True, env=env, timeout=600)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


def run_make(target, tmp, *, config=None, check=True, options=()):
    """Run real make on the project with the corpus, outputs and config under ``tmp``."""
    args = ["make", "-C", str(ROOT), "--no-print-directory", *options, target, f"CORPUS={tmp / 'corpus'}",
            f"OUTPUTS={tmp / 'outputs'}", f"CONFIG={config or tmp / 'config.toml'}"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def snapshot(folder: Path, exclude=()) -> dict:
    """{relative path: (bytes, mtime_ns)} of every file under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not any(rel.startswith(e) for e in exclude):
            out[rel] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


@pytest.fixture
def corpus_copy(tmp_path):
    """tmp_path/corpus: a copy of the bundled corpus; tmp_path/config.toml: a copy of the config."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    return tmp_path


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The bundled corpus run once through `python -m pipeline run` (read-only for tests)."""
    tmp = tmp_path_factory.mktemp("built")
    run_cli("run", "--corpus", ROOT / "corpus", "--outputs", tmp / "outputs", check=0)
    return tmp / "outputs"
