"""The runner: local process pools and a real Dask cluster give the same outputs, and `run`'s
document-by-document order gives those of the stage commands run in turn."""

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


STAGE_COMMANDS = ("extract", "convert-docs", "segment-docs", "tag-docs", "graph", "report")


def _records(outputs) -> dict:
    """The manifest's per-document records without timings."""
    import json

    docs = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["documents"]
    for entry in docs.values():
        for record in entry.get("stages", {}).values():
            record.pop("seconds", None)
    return docs


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_document_by_document_equals_stage_by_stage(corpus_copy, jobs):
    """`run` takes each document through all stages in one task; make's stage
    commands go stage by stage. Same outputs and manifest records, also for a
    document that fails half-way (a PDF with no readable text and OCR off)."""
    import hostile

    hostile.one_page(corpus_copy / "corpus" / "blank.pdf", hostile.stream(b""))
    hostile.txt_invalid_bytes(corpus_copy / "corpus" / "bad.txt")
    common = ("--corpus", corpus_copy / "corpus", "--set", "extract.ocr=false", "--jobs", jobs)
    run_cli("run", *common, "--outputs", corpus_copy / "by-document", check=1)
    for command in STAGE_COMMANDS:
        run_cli(command, *common, "--outputs", corpus_copy / "by-stage", check=None)
    by_document, by_stage = corpus_copy / "by-document", corpus_copy / "by-stage"
    assert {p: v[0] for p, v in snapshot(by_document, IGNORE).items()} == \
        {p: v[0] for p, v in snapshot(by_stage, IGNORE).items()}
    records = _records(by_document)
    assert records == _records(by_stage)
    assert {d: e["status"] for d, e in records.items()} == {
        "blank": "failed", "bad": "failed", "mic2025-brief-en": "ok", "mic2025-cn": "ok", "mic2025-hk": "ok"}

    # a rerun with nothing changed redoes nothing; editing [graph] redoes only the graph stage
    before = snapshot(by_document, IGNORE)
    run_cli("run", *common, "--outputs", by_document, check=1)
    assert snapshot(by_document, IGNORE) == before
    assert {d: e["status"] for d, e in _records(by_document).items() if e["status"] != "failed"} == {
        "mic2025-brief-en": "unchanged", "mic2025-cn": "unchanged", "mic2025-hk": "unchanged"}
    run_cli("run", *common, "--outputs", by_document, "--set", "graph.window=paragraph", check=1)
    after = snapshot(by_document, IGNORE)
    changed = {p.split("/")[0] for p in after if after[p] != before.get(p)}
    assert changed == {"graph", "report", ".state"} and all(
        not p.startswith(".state/") or p.startswith(".state/graph/") for p in after if after[p] != before.get(p))


def test_jobs_zero_means_one_per_core_and_negative_is_a_usage_error(built, tmp_path):
    run_cli("run", "--corpus", ROOT / "corpus", "--outputs", tmp_path / "out", "--jobs", "0", check=0)
    assert {p: v[0] for p, v in snapshot(tmp_path / "out", IGNORE).items()} == \
        {p: v[0] for p, v in snapshot(built, IGNORE).items()}
    proc = run_cli("run", "--outputs", tmp_path / "o", "--jobs", "-1")
    assert proc.returncode == 2 and "--jobs" in proc.stderr and "one per CPU core" in proc.stderr


def test_library_versions_from_folder_names_are_those_of_their_metadata():
    # every version in the cache keys and the manifest, read from the wheels'
    # .dist-info folder names, equals the one importlib.metadata parses
    from importlib import metadata

    from pipeline import runner

    listed = runner._installed_versions()
    for name in runner.DEPENDENCIES:
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = None
        assert runner._version(name) == expected, name
        if expected is not None:
            assert listed.get(runner._normalized(name)) == expected, name  # not the fallback


PRELOAD_CHECK = """
import json, sys
from pathlib import Path
from pipeline import chinese, language, lexicon, runner, segment
from pipeline.config import load_config
from pipeline.runner import Context, Manifest

config, outputs = load_config(None, []), Path(sys.argv[2])
ctx = Context(config, Path(sys.argv[1]), outputs, quiet=True)
manifest = Manifest(outputs)
runner.sync_corpus(ctx, manifest)
plans = runner._plan(ctx, list(runner.STAGE_ORDER), manifest)
runner.preload(runner.STAGE_ORDER, config)
loaders = (segment.tokenizer, language.lemma_table, segment.english, segment._vocab, chinese.converter, lexicon._load)
modules, cached = set(sys.modules), [f.cache_info().currsize for f in loaders]
results = [runner._call_chain(d, runner._work_entry(ctx, manifest, d), plans[d], config, outputs) for d in plans]
print(json.dumps({"new_modules": sorted(set(sys.modules) - modules),
                  "new_loads": [f.__name__ for f, n in zip(loaders, cached) if f.cache_info().currsize != n],
                  "failed": [r for _, rs in results for r in rs if r[3] is not None], "documents": len(plans)}))
"""


def test_preload_loads_all_that_the_documents_load(tmp_path):
    """What a pool worker does to the bundled documents (all stages; Traditional,
    Simplified, English; PDF and text) imports no module and loads no
    dictionary or model that runner.preload had not loaded before the fork."""
    import json

    proc = subprocess.run([sys.executable, "-c", PRELOAD_CHECK, ROOT / "corpus", tmp_path / "out"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"new_modules": [], "new_loads": [], "failed": [], "documents": 3}
