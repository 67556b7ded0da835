"""Tagging: offsets point into the clean text, scripts fold together, and
the dictionary loader rejects bad entries with file and line."""

import json
from collections import Counter

import pytest

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.tag import build_lexicon, load_lexicon, parse_lexicon


def mentions(outputs, doc):
    lines = (outputs / f"tags/{doc}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("doc", ["mic2025-hk", "mic2025-cn", "mic2025-brief-en"])
def test_surface_is_the_text_slice(built, doc):
    text = (built / f"text/{doc}.txt").read_text(encoding="utf-8")
    found = mentions(built, doc)
    assert found
    for m in found:
        assert text[m["start"]:m["end"]] == m["surface"]
        assert set(m) == {"concept", "surface", "start", "end", "paragraph", "sentence", "page"}


def test_traditional_and_simplified_give_the_same_counts(built):
    hk = Counter(m["concept"] for m in mentions(built, "mic2025-hk"))
    cn = Counter(m["concept"] for m in mentions(built, "mic2025-cn"))
    assert hk == cn


def test_english_brief_names_the_same_core_concepts(built):
    en = {m["concept"] for m in mentions(built, "mic2025-brief-en")}
    hk = {m["concept"] for m in mentions(built, "mic2025-hk")}
    core = {"mic2025", "four_foundations", "informatisation_industrialisation_integration", "three_step_strategy",
            "smart_manufacturing", "new_materials", "industrial_internet", "internet_plus"}
    assert core <= en and core <= hk


def test_builtin_dictionary_loads():
    lexicon = load_lexicon(Config())
    assert len(lexicon.concepts) >= 60
    assert {"four_foundations", "informatisation_industrialisation_integration"} <= set(lexicon.concepts)


ENTRY = '''
[[concept]]
id = "{id}"
category = "companion"
parent = "{parent}"
zh_hant = "{label}"
zh_hans = "{label}"
en = "{en}"
'''


def test_duplicate_id_names_file_and_line():
    text = ENTRY.format(id="a", parent="", label="甲", en="a") + ENTRY.format(id="a", parent="", label="乙", en="b")
    concepts = parse_lexicon(text, "mine.toml")
    with pytest.raises(ConfigError) as err:
        from pipeline import tag
        tag._check_unique_ids(concepts)
    assert "mine.toml" in str(err.value) and "duplicate" in str(err.value)


def test_alias_claimed_twice_and_missing_parent():
    two = ENTRY.format(id="a", parent="", label="智能製造", en="a") + ENTRY.format(id="b", parent="", label="智能制造",
                                                                                en="b")
    with pytest.raises(ConfigError, match="already an alias of 'a'"):
        build_lexicon(parse_lexicon(two, "x.toml"))
    orphan = ENTRY.format(id="a", parent="nobody", label="甲", en="a")
    with pytest.raises(ConfigError, match="x.toml:2: a parent: no concept with id 'nobody'"):
        build_lexicon(parse_lexicon(orphan, "x.toml"))
