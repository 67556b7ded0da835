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


# Five short policy texts, each dated on its first page (as extraction reads
# dates): two of 2015 (Simplified, Traditional) about smart manufacturing, two
# of 2021 (Simplified, Traditional) about the industrial internet, one undated.
DATED = {
    "plan-2015-cn.txt": "国务院关于推进智能制造的通知\n\n2015年5月8日\n\n为推进两化融合，发展智能制造，特制定本通知。"
                        "智能制造是主攻方向。\n\n推进智能制造，要加快高档数控机床和机器人的应用。我们要深化两化融合，"
                        "推动工业互联网试点。\n",
    "plan-2015-hk.txt": "關於推進智能製造的通告\n\n2015年7月1日\n\n推進兩化融合，發展智能製造。智能製造是主攻方向。\n\n"
                        "要加快機器人的應用，推動綠色製造，發展綠色製造產業。\n",
    "net-2021-cn.txt": "工业和信息化部关于推进工业互联网的意见\n\n2021年3月1日\n\n加快工业互联网建设。工业互联网是新型"
                       "基础设施。推动工业互联网与大数据融合发展。\n\n发展工业互联网平台，推进智能制造。数字化转型离不开"
                       "工业互联网和互联网企业。\n",
    "net-2021-tw.txt": "推動工業互聯網發展方案\n\n2021年6月30日\n\n推動工業互聯網與大數據融合。工業互聯網平台是重點。"
                       "數位轉型需要工業互聯網。\n",
    "undated.txt": "无日期的说明\n\n发展智能制造和大数据。\n",
}
DATED_CONFIG = '[graph]\ngroup_by = "date"\ngroup_pattern = "(\\\\d{4})"\n'


@pytest.fixture(scope="session")
def dated(tmp_path_factory):
    """The DATED corpus run through `python -m pipeline run`, grouped by year
    (read-only for tests): returns the folder holding corpus/, config.toml and outputs/."""
    tmp = tmp_path_factory.mktemp("dated")
    (tmp / "corpus").mkdir()
    for name, text in DATED.items():
        (tmp / "corpus" / name).write_text(text, encoding="utf-8")
    (tmp / "config.toml").write_text(DATED_CONFIG, encoding="utf-8")
    run_cli("run", "--config", tmp / "config.toml", "--corpus", tmp / "corpus", "--outputs", tmp / "outputs",
            "--jobs", 1, check=0)
    return tmp
