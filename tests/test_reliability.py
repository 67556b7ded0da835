"""Inputs an operator has not looked at: awkward file names, links out of the
corpus, broken user dictionaries. The run ends, good documents are processed,
bad ones are reported in one line, nothing is written outside outputs/."""

import json
import os

import pytest

from conftest import ROOT, run_cli

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
