"""Broken and hostile documents (made by tests/hostile.py) in one corpus with
good ones, run through the real command line with small budgets and no
tesseract on PATH, as a cron job on a machine without it would.

For each: the run ends, the document is ``failed`` with a one-line reason
(or processed correctly), the good documents come out exactly as they do
alone, the exit code is 1, stderr has no traceback, and nothing is written
outside outputs/ (not beside the corpus, not in the working folder, not in
TMPDIR) and no input is modified.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

import hostile
import pdfgen
from conftest import PY, ROOT, snapshot

# small budgets: a bomb must cost seconds, not the night
BUDGETS = ("--set", "extract.timeout_seconds=30", "--set", "extract.memory_mb=512")
GOOD = ("good/mic2025-cn.txt", "good/mic2025-brief-en.pdf")  # copied from corpus/


# file name -> (maker, expected status, what the reason says / what the text is)
CASES = {
    "zero-bytes.pdf": (hostile.zero_bytes, "failed", "empty file (0 bytes)"),
    "text-named.pdf": (hostile.text_named_pdf, "failed", "not a PDF: no %PDF- header"),
    "truncated.pdf": (hostile.truncated, "failed", "probably truncated: no %%EOF at its end"),
    "encrypted-user.pdf": (lambda p: hostile.encrypted(p, user_password="secret"), "failed",
                           "encrypted: the PDF needs a password"),
    "encrypted-owner.pdf": (lambda p: hostile.encrypted(p, user_password=""), "ok", " ".join(hostile.OWNER_TEXT)),
    "cyclic-page-tree.pdf": (hostile.cyclic_page_tree, "ok", "Made in China 2025 promotes smart manufacturing."),
    "flate-bomb.pdf": (hostile.flate_bomb, "failed", re.compile(r"memory cap of 512 MB|budget of 30 s")),
    "huge-comment.pdf": (hostile.huge_comment, "ok", "Made in China 2025 promotes smart manufacturing."),
    "beyond-the-edge.pdf": (hostile.beyond_the_edge, "ok",
                            " ".join(["wide"] * 60 + [f"Line {k} of the body text, smart manufacturing." for k in range(1, 10)])),
    "scanned.pdf": (hostile.scanned, "failed", "ocr: tesseract is not installed"),
    "cid-only.pdf": (hostile.cid_only, "failed", "(cid:N) codes: a font without a Unicode map"),
    "invalid-bytes.txt": (hostile.txt_invalid_bytes, "failed", "not text in UTF-8, UTF-16, GB18030/GBK or Big5"),
    "gbk.txt": (hostile.txt_gbk, "ok", hostile.TXT_ZH_HANS.strip()),
    "big5.txt": (hostile.txt_big5, "ok", hostile.TXT_ZH_HANT.strip()),
    "empty.txt": (hostile.txt_empty, "failed", "empty file (0 bytes)"),
}
OUTPUT_FOLDERS = ("text", "converted", "segmented", "tags", "graph/docs")


def run_isolated_cli(tmp, corpus, outputs, *args):
    """The real CLI from an empty working folder, with TMPDIR and PATH inside
    ``tmp`` (PATH holds no tesseract, nor anything else)."""
    for name in ("cwd", "tmpdir", "bin"):
        (tmp / name).mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp / "tmpdir"), "PATH": str(tmp / "bin")}
    return subprocess.run([PY, "-m", "pipeline", "run", "--corpus", str(corpus), "--outputs", str(outputs), *args],
                          cwd=tmp / "cwd", capture_output=True, text=True, env=env, timeout=900)


def _good_corpus(corpus):
    for name in GOOD:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "corpus" / name.split("/")[-1], corpus / name)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    corpus = tmp / "corpus"
    (corpus / "bad").mkdir(parents=True)
    _good_corpus(corpus)
    for name, (make, _, _) in CASES.items():
        make(corpus / "bad" / name)
    before = snapshot(corpus)
    proc = run_isolated_cli(tmp, corpus, tmp / "out", *BUDGETS)
    manifest = json.loads((tmp / "out/manifest.json").read_text(encoding="utf-8"))
    return tmp, proc, manifest, before


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """The good documents alone, same settings."""
    tmp = tmp_path_factory.mktemp("reference")
    _good_corpus(tmp / "corpus")
    proc = run_isolated_cli(tmp, tmp / "corpus", tmp / "out", *BUDGETS)
    assert proc.returncode == 0, proc.stderr
    return tmp / "out"


@pytest.mark.parametrize("name", CASES)
def test_hostile_document_fails_alone_or_is_read(hostile_run, name):
    tmp, proc, manifest, _ = hostile_run
    _, status, expected = CASES[name]
    doc_id = "bad/" + name.rsplit(".", 1)[0]
    record = manifest["documents"][doc_id]
    assert record["status"] == status, record.get("reason")
    if status == "failed":
        reason = record["reason"]
        assert "\n" not in reason and len(reason) < 600
        assert re.search(expected, reason) if isinstance(expected, re.Pattern) else expected in reason, reason
        # reported on stderr, in one line, and no output of it anywhere
        assert f"failed: {doc_id}: {reason}" in proc.stderr.splitlines()
        assert not [p for p in (tmp / "out").rglob("*") if p.stem == doc_id.split("/")[1] and p.is_file()]
    else:
        text = (tmp / "out/text" / f"{doc_id}.txt").read_text(encoding="utf-8")
        assert text == expected + "\n"
        assert (tmp / "out/tags" / f"{doc_id}.jsonl").exists()


def test_hostile_run_ends_with_exit_1_and_no_traceback(hostile_run):
    _, proc, manifest, _ = hostile_run
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    failed = sorted(d for d, r in manifest["documents"].items() if r["status"] == "failed")
    assert failed == sorted("bad/" + n.rsplit(".", 1)[0] for n, c in CASES.items() if c[1] == "failed")
    # stderr: exactly one line per failed document
    assert sorted(line.split(": ")[1] for line in proc.stderr.splitlines()) == failed


def test_good_documents_are_unaffected(hostile_run, reference_run):
    tmp, _, manifest, _ = hostile_run
    for name in GOOD:
        doc_id = name.rsplit(".", 1)[0]
        assert manifest["documents"][doc_id]["status"] == "ok"
        for folder in OUTPUT_FOLDERS:
            for ref in sorted((reference_run / folder).glob(doc_id + ".*")):
                got = tmp / "out" / ref.relative_to(reference_run)
                assert got.read_bytes() == ref.read_bytes(), got


def test_nothing_written_outside_outputs_and_inputs_untouched(hostile_run):
    tmp, _, _, before = hostile_run
    assert sorted(os.listdir(tmp)) == ["bin", "corpus", "cwd", "out", "tmpdir"]
    assert os.listdir(tmp / "cwd") == [] and os.listdir(tmp / "tmpdir") == [] and os.listdir(tmp / "bin") == []
    assert snapshot(tmp / "corpus") == before


def test_time_budget_stops_a_small_pdf_that_is_slow_to_read(tmp_path):
    corpus = tmp_path / "corpus"
    _good_corpus(corpus)
    hostile.operator_bomb(corpus / "slow.pdf")
    proc = run_isolated_cli(tmp_path, corpus, tmp_path / "out", "--set", "extract.timeout_seconds=5")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))["documents"]
    assert manifest["slow"]["reason"] == ("extract: reading the PDF took longer than its budget of 5 s "
                                          "(extract.timeout_seconds); stopped")
    assert [manifest[n.rsplit(".", 1)[0]]["status"] for n in GOOD] == ["ok", "ok"]


def test_thousand_page_pdf_is_read_whole(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    hostile.many_pages(corpus / "long.pdf", 1000)
    proc = run_isolated_cli(tmp_path, corpus, tmp_path / "out")  # the default budgets
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))["documents"]["long"]
    assert record["status"] == "ok" and record["stages"]["extract"]["pages"] == 1000
    text = (tmp_path / "out/text/long.txt").read_text(encoding="utf-8")
    # every page's paragraph once, in order; no running header, no page number
    assert pdfgen.squash(text) == pdfgen.squash(" ".join(hostile.many_pages_paragraph(n) for n in range(1, 1001)))
    assert len(text.splitlines()) >= 1
