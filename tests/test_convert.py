"""Conversion: OpenCC's own test cases through our interface, same-length
conversion, and script detection."""

import json
import re

import pytest

from conftest import ROOT, SAMPLES
from pipeline.convert import convert_same_length, converter, detect_script


def opencc_cases():
    raw = (SAMPLES / "opencc/testcases.json").read_text(encoding="utf-8")
    data = json.loads(re.sub(r",(\s*[\]}])", r"\1", raw))
    cases = []
    for case in data["cases"]:
        for config, expected in case["expected"].items():
            cases.append((config, case["input"], expected))
    return cases


def test_opencc_testcases_all_pass():
    cases = opencc_cases()
    assert len(cases) == 543
    failures = [(c, i) for c, i, e in cases if converter(c)(i) != e]
    assert failures == []


def test_same_length_conversion_keeps_offsets():
    text = "鼠標和軟件\n香港的機牀"
    for name in ("s2twp", "hk2s", "t2s", "s2hk"):
        assert len(convert_same_length(text, converter(name))) == len(text)


@pytest.mark.parametrize("path, script, language", [
    ("tools/corpus_src/mic2025-hk.txt", "zh-Hant", "zh"),
    ("corpus/mic2025-cn.txt", "zh-Hans", "zh"),
    ("tools/corpus_src/mic2025-brief-en.txt", None, "en"),
])
def test_detect_script(path, script, language):
    found = detect_script((ROOT / path).read_text(encoding="utf-8"))
    assert (found["script"], found["language"]) == (script, language)
