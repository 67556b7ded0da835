"""The command line as users and cron see it: exit codes, one-line errors,
the lock, the text tools, and the README and docs/commands.md covering every
command (tests/test_docs.py checks the rest of the docs)."""

import json
import re
import shutil

import pytest

from conftest import ROOT, SAMPLES, needs_samples, run_cli
from pipeline.__main__ import HELP, build_parser
from pipeline.io import OutputsLock


@pytest.mark.parametrize("config_text, key, expected", [
    ("[graph]\nwindw = 'sentence'\n", "[graph] windw", "unknown key"),
    ("[graph]\nmin_weight = 'two'\n", "[graph] min_weight", "expected an integer"),
    ("[graph]\nwindow = 'sentense'\n", "[graph] window", "expected one of 'sentence'"),
    ("[grpah]\n", "[grpah]", "unknown section"),
    ("[graph\nwindow = 1\n", "TOML syntax", ""),
    ("[tag]\ndictionaries = ['missing.toml']\n", "[tag] dictionaries", "not found"),
    ("[convert]\ntraditional_to_simplified = 'x2y'\n", "[convert] traditional_to_simplified", "OpenCC"),
])
def test_config_errors_exit_2_with_one_line(tmp_path, config_text, key, expected):
    config = tmp_path / "config.toml"
    config.write_text("# comment\n" + config_text, encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    proc = run_cli("run", "--config", config, "--corpus", tmp_path / "corpus", "--outputs", tmp_path / "out")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(config) in lines[0] and key in lines[0] and expected in lines[0]
    if key != "[tag] dictionaries" and "OpenCC" not in expected:
        assert f"{config}:" in lines[0]  # the line number follows the file name
    assert not (tmp_path / "out" / "text").exists()


def test_missing_config_file_and_bad_set(tmp_path):
    proc = run_cli("run", "--config", tmp_path / "nope.toml")
    assert proc.returncode == 2 and "nope.toml" in proc.stderr and "not found" in proc.stderr
    proc = run_cli("run", "--set", "graph.window", "--outputs", tmp_path / "o")
    assert proc.returncode == 2 and "section.key=value" in proc.stderr


def test_second_run_exits_3_while_the_lock_is_held(tmp_path):
    (tmp_path / "corpus").mkdir()
    with OutputsLock(tmp_path / "out"):
        proc = run_cli("run", "--corpus", tmp_path / "corpus", "--outputs", tmp_path / "out")
    assert proc.returncode == 3
    assert "another run holds the outputs lock" in proc.stderr and "pid" in proc.stderr
    # released: the next run proceeds (an empty corpus is not an error)
    assert run_cli("run", "--corpus", tmp_path / "corpus", "--outputs", tmp_path / "out").returncode == 0


@needs_samples
def test_bad_documents_fail_alone(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copy(SAMPLES / "pdf" / "issue3405r.pdf", corpus / "cid only.pdf")  # (cid:N) garbage only
    (corpus / "text named.pdf").write_text("not a pdf", encoding="utf-8")
    (corpus / "empty.pdf").write_bytes(b"")
    # without OCR the (cid:N) page cannot be recovered (with OCR it is: see test_extract)
    proc = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "out", "--set", "extract.ocr=false")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    failed = sorted(line.split(":")[1].strip() for line in proc.stderr.splitlines() if line.startswith("failed:"))
    assert failed == ["cid only", "empty", "text named"]
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"]["mic2025-hk"]["status"] == "ok"
    assert all(manifest["documents"][d]["reason"] for d in failed)
    text = (tmp_path / "out/text/mic2025-hk.txt").read_text(encoding="utf-8")
    assert "(cid:" not in text
    assert not list((tmp_path / "out").rglob("cid only*"))


def test_segment_tool_keeps_the_input_script():
    lines = "推進兩化融合和智慧製造。\n推进两化融合和智能制造。\nMade in China 2025 promotes smart manufacturing.\n"
    proc = run_cli("segment", "-", input=lines, check=0)
    out = proc.stdout.splitlines()
    assert len(out) == 3
    for given, tokens in zip(lines.splitlines(), out):
        assert tokens.replace(" ", "") == given.replace(" ", "")  # characters unchanged
    assert "兩化融合" in out[0].split() and "两化融合" in out[1].split()


def test_convert_tool():
    proc = run_cli("convert", "-c", "hk2s", input="衞生綫路\n機牀\n", check=0)
    assert proc.stdout == "卫生线路\n机床\n"
    assert run_cli("convert", "-c", "nonsense", input="x").returncode == 2


def test_tag_tool_offsets():
    text = "在「四基」方面，推進兩化融合。\n"
    proc = run_cli("tag", input=text, check=0)
    mentions = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m["concept"] for m in mentions] == ["four_foundations", "informatisation_industrialisation_integration"]
    for m in mentions:
        assert text[m["start"]:m["end"]] == m["surface"]


def test_inspect_and_diff(built):
    proc = run_cli("inspect", "四基", "--outputs", built, check=0)
    assert proc.stdout.startswith("four_foundations") and "evidence" not in proc.stderr
    hant = run_cli("inspect", "兩化融合", "--outputs", built, check=0).stdout
    assert hant.startswith("informatisation_industrialisation_integration")
    assert run_cli("inspect", "两化融合", "--outputs", built).stdout == hant  # any script, same concept
    assert run_cli("inspect", "no such thing", "--outputs", built).returncode == 2
    same = run_cli("diff", built / "graph/cooccurrence.graphml", built / "graph/cooccurrence.json", check=0)
    assert same.stdout == ""
    one = run_cli("diff", built / "graph/docs/mic2025-brief-en.graphml", built / "graph/cooccurrence.graphml",
                  check=0)
    assert re.search(r"^[+~] ", one.stdout, re.M)


def test_every_command_has_help_and_is_in_the_readme():
    """Every command and common option is in the README and in docs/commands.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands_doc = (ROOT / "docs/commands.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == set(HELP)
    for name in commands:
        assert run_cli(name, "--help").returncode == 0
        assert f"`{name}" in readme, name
        assert re.search(rf"^\| `{re.escape(name)}[ `]", commands_doc, re.M), name
    for option in ("--config", "--corpus", "--outputs", "--set", "--jobs", "--quiet", "--executor", "--scheduler"):
        assert option in readme
        assert f"| `{option}" in commands_doc, option


def test_progress_only_on_a_terminal(tmp_path):
    """On a terminal the run reports its stages; from cron (no terminal) it prints nothing."""
    import os
    import pty
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("推進兩化融合和智能製造。\n", encoding="utf-8")
    quiet = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "cron", check=0)
    assert quiet.stdout == "" and quiet.stderr == ""

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--corpus", str(corpus), "--outputs",
                             str(tmp_path / "tty")], cwd=ROOT, stdin=follower, stdout=follower, stderr=follower,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=300) == 0
    text = seen.decode("utf-8", "replace")
    assert "extract: 1 documents, 1 redone" in text and "report:" in text


def test_lexicon_add_and_check(tmp_path):
    """`lexicon add` appends a validated concept (labels in both scripts by
    OpenCC) and refuses duplicates, unknown parents and taken aliases with exit
    code 2; `lexicon check` validates; the new concept tags at once."""
    first = run_cli("lexicon", "add", "數字孿生", "--en", "digital twin", "--category", "companion",
                    "--file", "mine.toml", cwd=tmp_path, check=0)
    assert "added digital_twin" in first.stdout and 'dictionaries = ["mine.toml"]' in first.stderr  # the hint
    (tmp_path / "config.toml").write_text('[tag]\ndictionaries = ["mine.toml"]\n', encoding="utf-8")
    text = (tmp_path / "mine.toml").read_text(encoding="utf-8")
    assert 'zh_hant = "數字孿生"' in text and 'zh_hans = "数字孪生"' in text and 'en = "digital twin"' in text
    child = run_cli("lexicon", "add", "工业APP", "--en", "industrial app", "--parent", "digital_twin", cwd=tmp_path,
                    check=0)
    assert "added industrial_app" in child.stdout
    for args, message in [
        (["数字孪生", "--en", "digital twin"], "id 'digital_twin' is already a concept (mine.toml:"),
        (["孪生体", "--en", "twin body", "--parent", "nobody"], "--parent 'nobody': no concept with that id"),
        (["智能製造", "--en", "smart thing"], "mine.toml:"),  # an alias of smart_manufacturing
        (["新质生产力"], "give its English label with --en"),
    ]:
        proc = run_cli("lexicon", "add", *args, cwd=tmp_path, check=2)
        assert message in proc.stderr, proc.stderr
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8").count("\n[[concept]]") == 2
    assert "ok" in run_cli("lexicon", "check", cwd=tmp_path, check=0).stdout
    tagged = run_cli("tag", "-", cwd=tmp_path, input="推進數字孿生\n", check=0)
    assert '"concept": "digital_twin"' in tagged.stdout
    (tmp_path / "bad.toml").write_text('[[concept]]\nid = "x"\ncategory = "companion"\nzh_hant = "甲"\n'
                                       'zh_hans = "甲"\nen = "x"\nnot_near = ["政务"]\nwithin = 0\n', encoding="utf-8")
    bad = run_cli("lexicon", "check", "bad.toml", cwd=tmp_path, check=2)
    assert "bad.toml:8: concept #1 (x) within:" in bad.stderr
    elsewhere = run_cli("lexicon", "add", "雲原生", "--en", "cloud native", "--file", "other.toml", cwd=tmp_path,
                        check=0)
    assert "not in the config's [tag] dictionaries" in elsewhere.stderr
