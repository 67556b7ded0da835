"""The built-in dictionary passes its conventions check (tools/check_lexicon.py):
ids, categories, parents without cycles, one concept per alias in every
script, English spelling twins, and its table of expected matches."""

import subprocess
import sys

from conftest import ROOT


def test_builtin_dictionary_passes_its_check():
    proc = subprocess.run([sys.executable, str(ROOT / "tools/check_lexicon.py")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "0 error(s)" in proc.stdout


# --- coding rules, ambiguity and cycles: every error names the file and the line ----------------------------------

import pytest

from pipeline.errors import ConfigError
from pipeline.lexicon import build_lexicon, parse_lexicon

ENTRY = '''[[concept]]
id = "{id}"
category = "companion"
parent = "{parent}"
zh_hant = "{label}"
zh_hans = "{label}"
en = "{id} term"
'''


def one(extra: str, id="x_thing", parent="", label="甲乙丙") -> str:
    return ENTRY.format(id=id, parent=parent, label=label) + extra


@pytest.mark.parametrize("extra, message", [
    ('near = "制造"\n', r"mine.toml:8: concept #1 \(x_thing\) near: expected a list of non-empty strings, got '制造'"),
    ('not_near = ["政务", ""]\n', r"mine.toml:8: concept #1 \(x_thing\) not_near: expected a list of non-empty strings"),
    ('not_near = ["  "]\n', r"mine.toml:8: concept #1 \(x_thing\) not_near: expected a list of non-empty strings"),
    ('not_near = ["政务"]\nwithin = 0\n', r"mine.toml:9: concept #1 \(x_thing\) within: expected characters either "
                                          r"side of a mention, from 1 to 100, got 0"),
    ('not_near = ["政务"]\nwithin = 101\n', r"mine.toml:9: .* within: .*from 1 to 100, got 101"),
    ('not_near = ["政务"]\nwithin = "10"\n', r"mine.toml:9: .* within: expected an integer, got '10'"),
    ('not_near = ["政务"]\nwithin = true\n', r"mine.toml:9: .* within: expected an integer, got True"),
    ('within = 5\n', r"mine.toml:8: .* within: has no effect without near or not_near words"),
    ('ambiguous = "yes"\n', r"mine.toml:8: concept #1 \(x_thing\) ambiguous: expected true or false, got 'yes'"),
    ('nearby = ["制造"]\n', r"mine.toml:8: concept #1 \(x_thing\) nearby: unknown key; expected one of .*near, "
                          r"not_near, within, ambiguous"),
])
def test_a_bad_coding_rule_names_file_and_line(extra, message):
    with pytest.raises(ConfigError, match=message):
        parse_lexicon(one(extra), "mine.toml")


def test_a_good_coding_rule_is_folded_like_an_alias():
    lexicon = build_lexicon(parse_lexicon(one('near = ["製造"]\nnot_near = ["政務服務", "Vacuum"]\nwithin = 4\n'
                                              'ambiguous = true\n'), "mine.toml"))
    rule = lexicon.rules["x_thing"]
    assert rule.near == {"制造"} and rule.not_near == {"政务服务", "vacuum"} and rule.within == 4
    assert lexicon.concepts["x_thing"].ambiguous


@pytest.mark.parametrize("entries, message", [
    ([("a", "a")], r"mine.toml:1: a parent: 'a' closes a cycle of parents: a -> a"),
    ([("a", "b"), ("b", "a")], r"mine.toml:8: b parent: 'a' closes a cycle of parents: b -> a -> b"),
    ([("a", "c"), ("b", "a"), ("c", "b")], r"mine.toml:15: c parent: 'b' closes a cycle of parents: c -> b -> a -> c"),
])
def test_a_cycle_of_parents_names_the_concept_that_closes_it(entries, message):
    text = "".join(ENTRY.format(id=cid, parent=parent, label=chr(0x4e00 + n)) for n, (cid, parent) in enumerate(entries))
    with pytest.raises(ConfigError, match=message):
        build_lexicon(parse_lexicon(text, "mine.toml"))


def test_a_cycle_across_the_builtin_and_a_user_dictionary(tmp_path):
    """The user's file re-parents a built-in concept under its own descendant: the
    user's entry closes the loop, and the error names the user's file and line."""
    from pipeline.config import load_config
    from pipeline.lexicon import load_lexicon

    (tmp_path / "mine.toml").write_text("# my terms\n\n" + ENTRY.format(id="four_foundations", parent="key_basic_materials",
                                                                     label="四基"), encoding="utf-8")
    (tmp_path / "config.toml").write_text('[tag]\ndictionaries = ["mine.toml"]\n', encoding="utf-8")
    config = load_config(tmp_path / "config.toml")
    with pytest.raises(ConfigError, match=r"mine.toml:3: four_foundations parent: 'key_basic_materials' closes a "
                                          r"cycle of parents: four_foundations -> key_basic_materials -> four_foundations"):
        load_lexicon(config)


SEED = ROOT.parent / "shared" / "seed" / "000_33a22473882e79cc.txt"


@pytest.mark.skipif(not SEED.is_file(), reason=f"{SEED} is not there (read beside the project, never copied in)")
def test_the_precision_sample_is_what_the_tagger_finds():
    """tests/gold/precision-seed-sample.jsonl (docs/dictionary.md, Precision): 80
    mentions drawn (random.Random(17)) from the seed article's mentions under the
    dictionary before issue 17 and after; each was read and judged. Its `new`
    mentions must still be found, so that the numbers in the docs stay true."""
    import json
    import re

    from pipeline import tag
    from pipeline.chinese import converter
    from pipeline.config import Config
    from pipeline.lexicon import load_lexicon

    text = re.sub(r"\r?\n", "", SEED.read_text(encoding="utf-8"))  # PDF line breaks fall inside words
    found = {(m["start"], m["end"], m["concept"])
             for m in tag.tag_text(text, converter("hk2s")(text), load_lexicon(Config()))}
    sample = [json.loads(line) for line in (ROOT / "tests/gold/precision-seed-sample.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert len(sample) == 80
    for r in sample:
        assert text[r["start"]:r["end"]] == r["surface"]
        assert ((r["start"], r["end"], r["concept"]) in found) == r["new"], r
    new = [r for r in sample if r["new"]]
    assert (len(new), sum(r["correct"] for r in new)) == (80, 79)
