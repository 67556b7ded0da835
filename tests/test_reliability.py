"""Inputs an operator has not looked at: awkward file names, links out of the
corpus, broken user dictionaries. The run ends, good documents are processed,
bad ones are reported in one line, nothing is written outside outputs/."""

import contextlib
import json
import os
import shutil
import subprocess

import pytest

from conftest import PY, ROOT, run_cli, run_make

NAMES = ["with space.txt", "國務院〔2015〕28號《中國製造2025》（全文）.txt", "quote'and\"double.txt",
         "$(touch pwned).txt", "-leading-dash.txt", "semi;colon&amp|pipe.txt", "sub dir/[brackets]*?.txt"]


def test_awkward_file_names_are_documents(tmp_path):
    corpus = tmp_path / "corpus"
    for name in NAMES:
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name}：推進兩化融合和智能製造，強化「四基」。\n", encoding="utf-8")
    before = set(os.listdir(tmp_path))
    proc = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert set(os.listdir(tmp_path)) == before | {"out"}  # nothing written beside outputs/ (no "pwned")
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["documents"]) == sorted(n[:-4] for n in NAMES)
    for name in NAMES:
        mentions = (tmp_path / "out/tags" / (name[:-4] + ".jsonl")).read_text(encoding="utf-8").splitlines()
        assert {json.loads(m)["concept"] for m in mentions} >= {"four_foundations", "smart_manufacturing"}


def test_link_out_of_the_corpus_is_not_followed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("機密：兩化融合\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(secret)
    (corpus / "ok.txt").write_text("兩化融合\n", encoding="utf-8")
    (corpus / "folder.pdf").mkdir()  # a folder named like a document: its contents are documents
    (corpus / "folder.pdf" / "inner.txt").write_text("四基\n", encoding="utf-8")
    proc = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "out")
    assert proc.returncode == 1
    assert "failed: link.txt: symbolic link to outside the corpus" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out/text/link.txt").exists()
    assert (tmp_path / "out/text/folder.pdf/inner.txt").exists()
    assert "機密" not in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.txt"))


@pytest.mark.parametrize("entry, message", [
    ('[[concept]]\nid = "a"\ncategory = "companion"\nzh_hant = "甲"\nzh_hans = "甲"\nen = "a"\n'
     '[[concept]]\nid = "a"\ncategory = "companion"\nzh_hant = "乙"\nzh_hans = "乙"\nen = "b"\n',
     "mine.toml:7: id 'a': duplicate concept id (first at line 1)"),
    ('[[concept]]\nid = "a"\ncategory = "nonsense"\nzh_hant = "甲"\nzh_hans = "甲"\nen = "a"\n',
     "mine.toml:1: concept #1 (a) category: expected one of"),
    ('[[concept]]\nid = "a"\ncategory = "companion"\nzh_hant = "兩化融合"\nzh_hans = "两化融合"\nen = "x"\n',
     "already an alias of 'informatisation_industrialisation_integration'"),
    ('[[concept]\n', "mine.toml:1: TOML syntax"),
])
def test_bad_user_dictionary_exits_2_before_work(tmp_path, entry, message):
    (tmp_path / "mine.toml").write_text(entry, encoding="utf-8")
    (tmp_path / "config.toml").write_text('[tag]\ndictionaries = ["mine.toml"]\n', encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("兩化融合\n", encoding="utf-8")
    proc = run_cli("run", "--config", tmp_path / "config.toml", "--corpus", tmp_path / "corpus", "--outputs",
                   tmp_path / "out")
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "text").exists()


def test_user_dictionary_overrides_and_adds(tmp_path):
    (tmp_path / "mine.toml").write_text(
        '[[concept]]\nid = "smart_manufacturing"\ncategory = "companion"\nzh_hant = "智能製造"\n'
        'zh_hans = "智能制造"\nen = "intelligent manufacturing (ours)"\naliases = ["智造"]\n'
        '[[concept]]\nid = "new_quality_productive_forces"\ncategory = "companion"\nzh_hant = "新質生產力"\n'
        'zh_hans = "新质生产力"\nen = "new quality productive forces"\n', encoding="utf-8")
    (tmp_path / "config.toml").write_text('[tag]\ndictionaries = ["mine.toml"]\n', encoding="utf-8")
    proc = run_cli("tag", "--config", tmp_path / "config.toml", input="發展新質生產力，推進中國智造。\n", check=0)
    concepts = [json.loads(line)["concept"] for line in proc.stdout.splitlines()]
    assert concepts == ["new_quality_productive_forces", "smart_manufacturing"]


def _without_root_reading():
    """The command prefix that makes root obey file permissions (root reads
    any file): its capabilities to override them dropped with setpriv."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: root reads a file whatever its permissions")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def test_issue_19_names_and_files_that_break_the_run_are_failed_documents():
    """A GBK file name (not UTF-8), a name over 240 bytes, a file that cannot
    be read, a newline in a name: one failed document each, one line each,
    on every run; the good document is processed."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        os.mkdir(corpus)
        with open(os.path.join(corpus, "good.txt"), "w", encoding="utf-8") as f:
            f.write("推進兩化融合。\n")
        for name in ("中国制造".encode("gbk") + b".txt", b"a" * 245 + b".txt", "line\nfailed: forged.txt".encode()):
            with open(os.path.join(os.fsencode(corpus), name), "wb") as f:
                f.write("推進兩化融合。\n".encode() if b"\n" not in name else b"")  # the newline one is empty
        unreadable = os.path.join(corpus, "unreadable.txt")
        with open(unreadable, "w", encoding="utf-8") as f:
            f.write("四基\n")
        os.chmod(unreadable, 0)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for attempt in (1, 2):
            proc = subprocess.run([*_without_root_reading(), PY, "-m", "pipeline", "run", "--corpus", corpus,
                                   "--outputs", os.path.join(tmp, "out"), "--jobs", "2"], cwd=tmp,
                                  capture_output=True, text=True, env=env, timeout=300)
            assert proc.returncode == 1, proc.stderr
            assert "Traceback" not in proc.stderr
            lines = proc.stderr.splitlines()
            assert len(lines) == 4 and all(line.startswith("failed: ") for line in lines), proc.stderr
            assert "failed: \\xd6" in proc.stderr and "not valid UTF-8" in proc.stderr
            assert "file name too long (249 bytes" in proc.stderr
            assert "failed: line\\nfailed: forged: extract: empty file (0 bytes)" in proc.stderr
            assert "failed: unreadable: cannot read the file (Permission denied)" in proc.stderr
            with open(os.path.join(tmp, "out", "manifest.json"), encoding="utf-8") as f:
                manifest = json.load(f)
            assert manifest["documents"]["good"]["status"] in ("ok", "unchanged")
            assert sum(d["status"] == "failed" for d in manifest["documents"].values()) == 4


# -- the outputs side: read-only, full, a file too large (exit 4, never a document's failure) --

TEXT = "推進兩化融合和智能製造，強化「四基」。\n"


@contextlib.contextmanager
def read_only(folder):
    """``folder`` made read-only: chmod, or for root (who writes anyway) the
    immutable attribute (chattr +i); skipped when neither holds."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("root, and chattr +i does not work here")
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    try:
        try:
            (folder / "probe").write_text("x")
        except OSError:
            pass
        else:
            (folder / "probe").unlink()
            pytest.skip(f"{folder} is still writable")
        yield
    finally:
        subprocess.run(undo, check=True)


@contextlib.contextmanager
def full_disk(folder):
    """A 2 MB tmpfs mounted on ``folder``; skipped without the right to mount."""
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _small_corpus(corpus, n=2):
    corpus.mkdir(exist_ok=True)
    for i in range(n):
        (corpus / f"d{i}.txt").write_text(TEXT * (60 + i), encoding="utf-8")


def _paragraphs(path):
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)


def _check_stopped(proc):
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot write the outputs" in lines[0], proc.stderr


@pytest.mark.parametrize("how", ["read-only folder", "file too large", "disk full"])
def test_issue_19_outputs_that_cannot_be_written_stop_the_run_with_exit_4(tmp_path, how):
    import resource

    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _small_corpus(corpus)
    args = ("run", "--corpus", corpus, "--outputs", out, "--jobs", "2")
    if how == "read-only folder":
        run_cli(*args, check=0)
        (corpus / "d1.txt").write_text(TEXT * 70, encoding="utf-8")
        with read_only(out / "text"):
            _check_stopped(run_cli(*args))
    elif how == "file too large":
        limit = len((TEXT * 30).encode())  # smaller than each text: text/ cannot be written

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([PY, "-m", "pipeline", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                              env=env, preexec_fn=small_files, timeout=300)
        _check_stopped(proc)
        assert "File too large" in proc.stderr
    else:
        out = tmp_path / "small" / "out"
        args = ("run", "--corpus", corpus, "--outputs", out, "--jobs", "2")
        (corpus / "big.txt").write_text(TEXT * 40000, encoding="utf-8")  # its outputs do not fit in 2 MB
        with full_disk(tmp_path / "small"):
            proc = run_cli(*args)
            _check_stopped(proc)
            assert "No space left on device" in proc.stderr
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8")) \
                if (out / "manifest.json").exists() else {"documents": {}}
            assert all(d.get("status") != "failed" for d in manifest["documents"].values())
            (corpus / "big.txt").unlink()  # room again: the next run finishes
            run_cli(*args, check=0)
        return
    # never stored as the documents' failure: with room again, the next run does them all
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8")) \
        if (out / "manifest.json").exists() else {"documents": {}}
    assert all(d.get("status") != "failed" for d in manifest["documents"].values())
    run_cli(*args, check=0)
    for i in range(2):
        assert _paragraphs(out / "text" / f"d{i}.txt") == _paragraphs(corpus / f"d{i}.txt")


def test_issue_19_make_all_fails_when_the_outputs_cannot_be_written(tmp_path):
    _small_corpus(tmp_path / "corpus")
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    run_make("all", tmp_path)
    (tmp_path / "corpus" / "d1.txt").write_text(TEXT * 70, encoding="utf-8")
    stamp = tmp_path / "outputs" / ".stamps" / "run"
    before = stamp.stat().st_mtime_ns
    with read_only(tmp_path / "outputs" / "text"):
        proc = run_make("all", tmp_path, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "cannot write the outputs" in proc.stderr and "Traceback" not in proc.stderr
    assert stamp.stat().st_mtime_ns == before  # not marked done: the next make all runs again
    run_make("all", tmp_path)
    assert _paragraphs(tmp_path / "outputs" / "text" / "d1.txt") == 70


# -- lost workers, interrupted runs, big text files ---------------------------------------------

def _children(pid):
    """Pids of the processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _start_run(corpus, out, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([PY, "-m", "pipeline", "run", "--corpus", str(corpus), "--outputs", str(out), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_workers(proc, n, seconds=60):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(_children(proc.pid)) >= n:
            return _children(proc.pid)
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no {n} workers: {proc.communicate()}")


def _slow_corpus(corpus, small=5):
    """One text that keeps a worker busy for seconds (segmenting it), and small ones."""
    corpus.mkdir()
    (corpus / "big.txt").write_text((ROOT / "corpus" / "mic2025-cn.txt").read_text(encoding="utf-8") * 60,
                                    encoding="utf-8")
    for i in range(small):
        (corpus / f"small{i}.txt").write_text(TEXT * (i + 1), encoding="utf-8")


def test_issue_19_a_lost_worker_fails_only_the_documents_in_flight(tmp_path):
    """Workers killed as the kernel's out-of-memory killer would (SIGKILL):
    the documents they had are failed with a clear reason, a new pool does
    the rest, and the next run tries them again."""
    import signal
    import time

    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _slow_corpus(corpus)
    proc = _start_run(corpus, out, "--jobs", "2")
    _wait_for_workers(proc, 3)  # the report's side process and two workers
    time.sleep(1.0)  # the big document is being read and segmented
    for pid in _children(proc.pid):
        os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "BrokenProcessPool" not in stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    lost = {d for d, e in manifest.items() if e["status"] == "failed"}
    assert "big" in lost and len(lost) <= 2, stderr  # at most the two in flight
    for doc in lost:
        assert "the worker process died while this document was in flight" in manifest[doc]["reason"]
        assert f"failed: {doc}: the worker process died" in stderr
    assert (out / "graph" / "cooccurrence.json").exists() and (out / "report" / "index.html").exists()
    run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "2", check=0)  # tried again, and read


@pytest.mark.parametrize("signum, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_issue_19_an_interrupted_run_keeps_what_it_finished(tmp_path, signum, code):
    """Ctrl-C or SIGTERM while the big document is being read: the small
    ones, finished, are recorded; the workers are gone; the next run does
    only the big one."""
    import signal
    import time

    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _slow_corpus(corpus)
    proc = _start_run(corpus, out, "--jobs", "2")
    workers = _wait_for_workers(proc, 3)
    deadline = time.monotonic() + 120
    while not all((out / "graph" / "docs" / f"small{i}.graphml").exists() for i in range(5)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)  # the small documents are done (and their results back), the big one is not
    proc.send_signal(getattr(signal, signum))
    _, stderr = proc.communicate(timeout=60)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"] \
        if (out / "manifest.json").exists() else {}
    assert all(manifest[f"small{i}"]["status"] == "ok" and "graph" in manifest[f"small{i}"]["stages"]
               for i in range(5)), manifest
    assert "graph" not in manifest["big"]["stages"]
    assert proc.returncode == code, stderr
    assert stderr.strip().splitlines() == [f"{'interrupted' if code == 130 else 'terminated'}; the documents "
                                           f"finished so far are recorded"]
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z"
    again = run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "2", check=0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert {d: e["status"] for d, e in manifest.items()} == {"big": "ok", **{f"small{i}": "unchanged" for i in range(5)}}, again.stderr


def test_issue_19_a_text_file_over_the_size_limit_fails_alone(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _small_corpus(corpus)
    (corpus / "huge.txt").write_text(TEXT * 2000, encoding="utf-8")  # 120 KB
    proc = run_cli("run", "--corpus", corpus, "--outputs", out, "--set", "extract.max_text_mb=0.1", check=1)
    assert proc.stderr.strip().splitlines() == [
        "failed: huge: extract: text file of 0.116 MB, over the limit of 0.1 MB (extract.max_text_mb); "
        "split it, or raise the limit"]


# -- damaged outputs and manifest: noticed, said in one line, rebuilt --------------------------

@pytest.mark.parametrize("damage", ["text/mic2025-cn.txt", "tags/mic2025-hk.jsonl", ".state/segment/mic2025-cn.json",
                                    ".state/graph/mic2025-hk.json", "manifest.json", "manifest.json garbage"])
def test_issue_19_a_damaged_output_or_manifest_is_noticed_and_rebuilt(built, tmp_path, damage):
    from conftest import snapshot

    out = tmp_path / "out"
    shutil.copytree(built, out)
    path = out / damage.split()[0]
    if damage.endswith("garbage"):
        path.write_text('{"documents": [1, 2]}\n', encoding="utf-8")
    else:
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size // 2)
    proc = run_cli("run", "--corpus", ROOT / "corpus", "--outputs", out, check=0)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "Traceback" not in proc.stderr, proc.stderr
    assert ("damaged" if damage.startswith("manifest") else f"{damage} has ") in lines[0]
    same = ("manifest.json", ".stamps", ".lock")
    assert snapshot(out, same).keys() == snapshot(built, same).keys()
    for rel, (data, _) in snapshot(out, same).items():
        assert data == (built / rel).read_bytes(), rel
    assert run_cli("run", "--corpus", ROOT / "corpus", "--outputs", out, check=0).stderr == ""


def test_issue_19_library_warnings_are_the_documents_warnings(tmp_path):
    """pdfminer's "Could not get FontBBox ..." is recorded with the document's
    warnings: nothing under --quiet, one line per document otherwise."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    import hostile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    hostile.bad_font_bbox(corpus / "bbox.pdf")
    quiet = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "quiet", "--quiet", check=0)
    assert quiet.stderr == ""
    warnings = json.loads((tmp_path / "quiet/manifest.json").read_text(encoding="utf-8"))[
        "documents"]["bbox"]["stages"]["extract"]["warnings"]
    assert warnings == ["library warnings: Could not get FontBBox from font descriptor because [0, 0, 0] cannot be "
                        "parsed as 4 floats"]
    for jobs in ("1", "2"):
        loud = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / f"loud{jobs}", "--jobs", jobs, check=0)
        assert loud.stderr.splitlines() == [f"warning: bbox: {warnings[0]}"]


# -- config values and paths -------------------------------------------------------------------

@pytest.mark.parametrize("override, message", [
    ("extract.memory_mb=100000000000000", "[extract] memory_mb: expected a number from 256 to 1.04858e+06"),
    ("extract.timeout_seconds=inf", "[extract] timeout_seconds: expected a number from 1 to 86400, got inf"),
    ("extract.timeout_seconds=nan", "[extract] timeout_seconds: expected a number from 1 to 86400, got nan"),
    ("extract.ocr_max_seconds=-1", "[extract] ocr_max_seconds: expected a number from 0 to 86400"),
    ("extract.max_text_mb=0", "[extract] max_text_mb: expected a number from 0.001 to 1000"),
    ("report.candidates=../x.csv", "[report] candidates: expected a file name inside the outputs folder"),
    ("report.candidates=/tmp/x.csv", "[report] candidates: expected a file name inside the outputs folder"),
    ("report.candidates=manifest.json", "[report] candidates: expected a file name inside the outputs folder"),
])
def test_issue_19_absurd_config_values_and_paths_out_of_outputs_are_refused(tmp_path, override, message):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(TEXT, encoding="utf-8")
    proc = run_cli("run", "--corpus", tmp_path / "corpus", "--outputs", tmp_path / "out", "--set", override,
                   cwd=tmp_path, check=2)
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.csv").exists()


def test_issue_19_an_outputs_folder_inside_the_corpus_is_not_read_back(tmp_path):
    corpus = tmp_path / "corpus"
    _small_corpus(corpus)
    for _ in range(2):
        proc = run_cli("run", "--corpus", corpus, "--outputs", corpus / "out", check=0)
        assert proc.stderr.strip().splitlines() == [
            f"warning: {corpus / 'out'}: the outputs folder is inside the corpus; it is not read as documents"]
        manifest = json.loads((corpus / "out/manifest.json").read_text(encoding="utf-8"))
        assert sorted(manifest["documents"]) == ["d0", "d1"]
    assert "out/" not in run_cli("stamps", "--corpus", corpus, "--outputs", corpus / "out", check=0).stderr
    assert "out/" not in (corpus / "out/.stamps/corpus").read_text(encoding="utf-8")
    proc = run_cli("run", "--corpus", corpus / "out" / "text", "--outputs", corpus / "out", check=2)
    assert "the corpus folder is the outputs folder or inside it" in proc.stderr


def test_issue_19_a_new_candidates_file_name_is_written(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    _small_corpus(corpus)
    run_cli("run", "--corpus", corpus, "--outputs", out, check=0)
    assert (out / "candidates.csv").exists()
    run_cli("run", "--corpus", corpus, "--outputs", out, "--set", "report.candidates=terms/new.csv", check=0)
    assert (out / "terms/new.csv").read_text(encoding="utf-8") == (out / "candidates.csv").read_text(encoding="utf-8")


def test_issue_19_every_module_of_the_extract_package_is_in_its_key(tmp_path, monkeypatch):
    """Editing pipeline/extract/charset.py (any module of the package) redoes
    extract: it is in the stage's cache key and in its make rule."""
    from pipeline import config, runner, stages

    package = tmp_path / "pipeline"
    shutil.copytree(ROOT / "pipeline" / "extract", package / "extract")
    shutil.copy(ROOT / "pipeline" / "isolation.py", package / "isolation.py")
    monkeypatch.setattr(stages, "PACKAGE", package)
    cfg = config.load_config(None)
    before = runner.stage_fingerprint("extract", cfg)
    with open(package / "extract" / "charset.py", "a", encoding="utf-8") as f:
        f.write("# edited\n")
    assert runner.stage_fingerprint("extract", cfg) != before
    rule = (ROOT / "stages.mk").read_text(encoding="utf-8").split("$(ST)/convert:")[0]
    assert all(f"pipeline/extract/{p.name}" in rule for p in (ROOT / "pipeline" / "extract").glob("*.py"))


def test_issue_19_lemminflect_is_in_the_keys_of_the_stages_that_lemmatise():
    from pipeline.stages import STAGE

    assert "lemminflect" in STAGE["segment"].libraries and "lemminflect" in STAGE["tag"].libraries


# -- OCR: the whole child tree ends, its files go, its time is capped ---------------------------

needs_tesseract = pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract is not installed")


def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def _tesseracts_under(ancestor):
    """(pid, start time) of the tesseract processes descended from ``ancestor``
    (other test suites on the machine may run their own)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if not f.read().split(b"\0")[0].endswith(b"tesseract"):
                        continue
                pid = int(entry)
                while pid > 1 and pid != ancestor:
                    pid = _parent(pid)
                if pid == ancestor:
                    found.add((int(entry), _start_time(int(entry))))
            except (OSError, ValueError, IndexError):
                pass
    return found


def _start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def _alive(pid, started):
    try:
        return _start_time(pid) == started and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@needs_tesseract
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_issue_19_sigterm_during_ocr_ends_tesseract_and_leaves_no_files(tmp_path, jobs):
    import signal
    import sys
    import time

    sys.path.insert(0, str(ROOT / "tests"))
    import hostile

    corpus, tmpdir = tmp_path / "corpus", tmp_path / "tmpdir"
    corpus.mkdir()
    tmpdir.mkdir()
    for i in range(2):
        hostile.scanned(corpus / f"scan{i}.pdf")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen([PY, "-m", "pipeline", "run", "--corpus", str(corpus), "--outputs", str(tmp_path / "out"),
                             "--jobs", jobs], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    deadline = time.monotonic() + 120
    while not (ours := _tesseracts_under(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    time.sleep(0.5)
    survivors = [pid for pid, started in ours if _alive(pid, started)]
    for pid in survivors:  # (without the fix) not to leave them running
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "tesseract outlived the run"
    assert list(tmpdir.iterdir()) == []  # no extract-ocr-* or child folder left behind
    assert proc.returncode == 143, stderr


@needs_tesseract
def test_issue_19_ocr_time_of_a_document_is_capped(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    import hostile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    hostile.scanned(corpus / "scan.pdf")
    proc = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "out", "--set", "extract.ocr_max_seconds=30",
                   check=1)
    assert "ocr: not tried, the document's OCR time (30 s, extract.ocr_max_seconds) is spent" in proc.stderr
