"""Conversion: OpenCC's own test cases through the `convert -c` text tool, the
offset map of length-changing conversions, regional variant folding, script
detection per paragraph, and the opencc-python-reimplemented path in a
separate small environment."""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import pytest

from conftest import ROOT, SAMPLES, needs_samples, run_cli
from pipeline.chinese import (align, analysis_converter, analysis_view, converter, detect_paragraphs, detect_script,
                              to_analysis)
from pipeline.config import Config, ConvertConfig

# Hong Kong and Taiwan variants next to the OpenCC-standard Traditional form of the same character.
VARIANTS = [("衞", "衛"), ("綫", "線"), ("峯", "峰"), ("裏", "裡"), ("羣", "群"), ("啓", "啟"), ("爲", "為"),
            ("僞", "偽"), ("衆", "眾"), ("麪", "麵"), ("牀", "床"), ("敍", "敘"), ("枱", "檯"), ("温", "溫"),
            ("説", "說"), ("户", "戶"), ("簷", "檐"), ("痺", "痹"), ("睪", "睾"), ("着", "著")]


def opencc_cases():
    raw = (SAMPLES / "opencc/testcases.json").read_text(encoding="utf-8")
    data = json.loads(re.sub(r",(\s*[\]}])", r"\1", raw))
    return [(config, case["input"], expected) for case in data["cases"] for config, expected in case["expected"].items()]


@needs_samples
def test_opencc_testcases_all_pass_through_the_convert_tool():
    cases = opencc_cases()
    assert len(cases) == 543
    by_config = defaultdict(list)
    for config, text, expected in cases:
        by_config[config].append((text, expected))
    failures = []
    for config, pairs in sorted(by_config.items()):
        proc = run_cli("convert", "-c", config, "-", input="".join(t + "\n" for t, _ in pairs), check=0)
        got = proc.stdout.split("\n")[:-1]
        assert len(got) == len(pairs), config
        failures += [(config, t, g, e) for (t, e), g in zip(pairs, got) if g != e]
    assert failures == []


@needs_samples
@pytest.mark.parametrize("config", ["s2twp", "tw2sp", "s2hkp", "hk2sp", "s2t", "t2s", "hk2s", "tw2s", "jp2t"])
def test_offset_map_blocks_are_opencc_conversions(config):
    """Every block of the map that changes length, converted on its own, gives
    exactly its converted slice; every other block is one character for one."""
    convert_ = converter(config)
    changed_length = 0
    for _, text, _ in opencc_cases():
        a = align(text, convert_)
        assert a.converted == convert_(text)
        ob, cb = a.bounds()
        assert ob[0] == cb[0] == 0 and ob[-1] == len(text) and cb[-1] == len(a.converted)
        for k in range(len(ob) - 1):
            o_len, c_len = ob[k + 1] - ob[k], cb[k + 1] - cb[k]
            if o_len != c_len:
                assert convert_(text[ob[k]:ob[k + 1]]) == a.converted[cb[k]:cb[k + 1]]
            else:
                assert o_len == c_len == 1
        changed_length += len(a.converted) != len(text)
        assert len(to_analysis_like(a, convert_)) == len(text)
    if config in ("s2twp", "tw2sp"):
        assert changed_length > 0  # the phrase configurations really change lengths on these inputs


def to_analysis_like(a, convert_):
    return a.same_length_text(convert_)


def test_offset_map_of_a_length_changing_phrase():
    a = align("我买了U盘和鼠标，插上U盘。", converter("s2twp"))
    assert a.converted == "我買了隨身碟和滑鼠，插上隨身碟。"
    start = a.converted.index("隨身碟")
    assert a.to_original(start, start + 3) == (3, 5)
    assert a.to_original(start + 1, start + 2) == (3, 5)  # inside a phrase: the whole phrase
    last = a.converted.rindex("隨身碟")
    assert a.original.__getitem__(slice(*a.to_original(last, last + 3))) == "U盘"
    assert a.to_converted(9, 10) == (a.converted.index("插"), a.converted.index("插") + 1)


def test_to_analysis_keeps_length_where_the_phrase_configuration_changes_it():
    config = Config(convert=ConvertConfig(traditional_to_simplified="tw2sp"))
    text = "我買了隨身碟和滑鼠。\n\n推進兩化融合。"
    out = to_analysis(text, "zh-Hant", config)
    assert len(out) == len(text)
    assert out.endswith("推进两化融合。")


@pytest.mark.parametrize("variant, standard", VARIANTS)
def test_regional_variants_fold_like_standard_traditional(variant, standard):
    """The analysis conversion of a Traditional text folds a Hong Kong or Taiwan
    variant into the Simplified form of its standard character."""
    expected = converter("t2s")(standard)
    if variant == "着":  # a Simplified character already, and OpenCC's standard form of 著 (zhuó)
        expected = "着"
    assert analysis_converter("hk2s")(variant) == expected


def test_chaining_whole_configurations_breaks_phrases():
    """Why variant_folds folds single characters instead of chaining tw2s and hk2s."""
    chained = converter("hk2s")(converter("tw2s")("乾安縣"))
    assert chained != converter("t2s")("乾安縣") == analysis_converter("hk2s")("乾安縣") == "乾安县"


@pytest.mark.parametrize("path, script, language", [
    ("tools/corpus_src/mic2025-hk.txt", "zh-Hant", "zh"),
    ("corpus/mic2025-cn.txt", "zh-Hans", "zh"),
    ("tools/corpus_src/mic2025-brief-en.txt", None, "en"),
])
def test_detect_script(path, script, language):
    found = detect_script((ROOT / path).read_text(encoding="utf-8"))
    assert (found["script"], found["language"]) == (script, language)


def test_detect_paragraphs_of_a_mixed_document():
    text = ("推进两化融合，发展智能制造，提高国家制造业创新能力。\n\n"
            "推進兩化融合，發展智慧製造。\n\n"
            "中文\n\n"
            "Made in China 2025 is a ten-year plan.\n\n"
            "Made in China即中國製造。\n\n"
            "2025")
    doc, paragraphs = detect_paragraphs(text)
    assert [p["label"] for p in paragraphs] == ["zh-Hans", "zh-Hant", "zh-Hans", "en", "mixed", "other"]
    assert doc["script"] == "zh-Hans" and doc["majority"] == "zh-Hans"
    assert doc["paragraphs"] == {"en": 1, "mixed": 1, "other": 1, "zh-Hans": 2, "zh-Hant": 1}
    # the Traditional paragraph of a Simplified document is converted for analysis too
    assert analysis_view(text, doc["script"], Config()).converted.startswith(
        "推进两化融合，发展智能制造，提高国家制造业创新能力。\n\n推进两化融合，发展智慧制造。")


def test_convert_stage_records_paragraph_scripts(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    hk = manifest["documents"]["mic2025-hk"]["stages"]["convert"]
    assert hk["script"] == hk["majority"] == "zh-Hant" and set(hk["paragraphs"]) == {"zh-Hant"}
    en = manifest["documents"]["mic2025-brief-en"]["stages"]["convert"]
    assert en["script"] is None and en["majority"] == "en"


REIMPLEMENTED = """
import sys
sys.path.insert(0, sys.argv[1])
import opencc
assert not hasattr(opencc, "CONFIGS"), "this must be opencc-python-reimplemented"
from pipeline.chinese import align, converter
print(converter("hk2s")("衞生綫路，機牀"))
print(converter("s2t")("汉字"))
print(align("我买了U盘", converter("s2twp")).converted)
try:
    converter("x2y")
except Exception as exc:
    print(type(exc).__name__)
"""


def test_opencc_python_reimplemented_in_its_own_environment(tmp_path):
    """The converter interface with only opencc-python-reimplemented installed
    (its constructor differs): a fresh venv with that package and numpy, the
    only other library pipeline/chinese.py imports. Needs PyPI (CI reaches it)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    numpy = re.search(r"^numpy==\S+", constraints, re.M).group(0)
    proc = subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "opencc-python-reimplemented==0.1.7", numpy], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([py, "-c", REIMPLEMENTED, str(ROOT)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "卫生线路，机床"
    assert lines[1] == "漢字"
    assert lines[2].startswith("我買了")
    assert lines[3] == "ConfigError"
