"""pipeline/keyness.py and the `keyness` command: G² and log ratio against
values computed by hand, then the command on the DATED fixture corpus (2015
against 2021, both scripts in each year)."""

import csv
import io
import math

import pytest

from conftest import run_cli
from pipeline.keyness import keyness, log_likelihood, log_ratio, p_value, word_counts


def g2_by_hand(a, b, c, d):
    """Rayson and Garside's two-cell G², written out once more, unsigned."""
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * ((a * math.log(a / e1) if a else 0) + (b * math.log(b / e2) if b else 0))


@pytest.mark.parametrize("a, b, c, d, expected", [
    # Lancaster's log-likelihood calculator, its worked example: "Word 52 0.10 57 0.08 + 2.65"
    (52, 57, 50_000, 75_000, 2.65),
    # E1 = 1000·30/5000 = 6, E2 = 24: 2(10 ln(10/6) + 20 ln(20/24)) = 2(5.108256 − 3.646431)
    (10, 20, 1000, 4000, 2.92365),
    # E1 = E2 = 5: 2(0 + 10 ln 2), the reference's rate is the higher: negative
    (0, 10, 1000, 1000, -13.862944),
    # the DATED corpus, industrial_internet, 2021 (13 mentions) against 2015 (15):
    # E1 = 13·11/28 = 5.107143, E2 = 15·11/28 = 5.892857; 2(10 ln(10/E1) + ln(1/E2)) = 2(6.719450 − 1.773741)
    (10, 1, 13, 15, 9.891418),
    (5, 10, 100, 200, 0.0),  # equal rates
    (0, 0, 10, 10, 0.0),
])
def test_log_likelihood_by_hand(a, b, c, d, expected):
    digits = 2 if expected == 2.65 else 5
    assert round(log_likelihood(a, b, c, d), digits) == round(expected, digits)
    assert round(abs(log_likelihood(a, b, c, d)), 9) == round(g2_by_hand(a, b, c, d), 9)
    assert log_likelihood(b, a, d, c) == -log_likelihood(a, b, c, d) or expected == 0  # the sides swapped


@pytest.mark.parametrize("a, b, c, d, expected", [
    (10, 20, 1000, 4000, 1.0),  # 1% against 0.5%: twice as frequent
    (52, 57, 50_000, 75_000, 0.452512),  # log2(0.00104 / 0.00076)
    (0, 10, 1000, 1000, -4.321928),  # the zero becomes 0.5: log2(0.5 / 10)
    (3, 0, 100, 300, 4.169925),  # log2((3/100) / (0.5/300)) = log2(18)
    (0, 0, 5, 5, 0.0),
])
def test_log_ratio_by_hand(a, b, c, d, expected):
    assert round(log_ratio(a, b, c, d), 6) == expected


def test_p_value_at_the_critical_values():
    assert [round(p_value(g), 3) for g in (3.84, 6.63, 10.83)] == [0.05, 0.01, 0.001]


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        log_likelihood(5, 1, 4, 10)  # more occurrences than tokens


def test_keyness_rows_sorted_by_signed_g2_and_totals_given():
    rows = keyness({"up": 9, "same": 3, "down": 1}, {"up": 1, "same": 3, "down": 9, "gone": 2},
                   totals=(50, 50), min_count=2)
    assert [r["item"] for r in rows] == ["up", "same", "gone", "down"]
    assert rows[1]["g2"] == 0.0 and rows[0]["g2"] == -rows[-1]["g2"] > 0
    assert all(r["target_total"] == 50 and r["reference_total"] == 50 for r in rows)
    assert keyness({}, {"a": 1}) == []  # an empty side: nothing to compare


def test_stopwords_count_in_the_totals_only():
    pairs = [("的", "的"), ("推進", "推进"), ("推进", "推进"), ("。", "。"), ("2025", "2025")]
    assert word_counts(pairs, stopwords={"的"}) == ({"推进": 2}, 3)
    assert word_counts(pairs) == ({"的": 1, "推进": 2}, 3)


# ---------------------------------------------------------------- the command

def keyness_csv(dated, *args):
    proc = run_cli("keyness", "--config", dated / "config.toml", "--outputs", dated / "outputs", *args,
                   "--format", "csv", check=0)
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def test_concepts_2021_against_2015(dated):
    rows = keyness_csv(dated, "--target", "2021", "--reference", "2015")
    assert list(rows[0])[:6] == ["item", "target_count", "reference_count", "target_total", "reference_total", "g2"]
    first = rows[0]
    assert (first["item"], first["target_count"], first["reference_count"]) == ("industrial_internet", "10", "1")
    assert (first["target_total"], first["reference_total"]) == ("13", "15")  # all mentions of each year
    assert float(first["g2"]) == 9.891418 and first["label"].startswith("工業互聯網")
    g2 = [float(r["g2"]) for r in rows]
    assert g2 == sorted(g2, reverse=True) and g2[-1] < 0
    assert rows[-1]["item"] == "smart_manufacturing"  # 7 of 15 mentions in 2015, 1 of 13 in 2021
    # the default reference is every other group; the undated document is in none
    assert keyness_csv(dated, "--target", "2021") == rows


def test_lists_of_groups_and_another_grouping(dated):
    by_month = keyness_csv(dated, "--group-pattern", r"(\d{4}-\d{2})",
                           "--target", "2021-03,2021-06", "--reference", "2015-05, 2015-07")
    assert by_month == keyness_csv(dated, "--target", "2021", "--reference", "2015")


def test_words_fold_the_two_scripts(dated):
    rows = {r["item"]: r for r in keyness_csv(dated, "--of", "words", "--target", "2021")}
    assert (rows["工业互联网"]["target_count"], rows["工业互联网"]["reference_count"]) == ("10", "1")
    assert rows["智能制造"]["reference_count"] == "7"  # 智能制造 ×4 and 智能製造 ×3
    assert set(rows["工业互联网"]["label"].split(" / ")) == {"工业互联网", "工業互聯網"}
    assert "的" not in rows and "，" not in rows and "2015" not in rows
    kept = {r["item"]: r for r in keyness_csv(dated, "--of", "words", "--target", "2021", "--keep-stopwords")}
    assert "的" in kept and kept["工业互联网"] == rows["工业互联网"]  # stopwords change no other row
    top = keyness_csv(dated, "--of", "words", "--target", "2021", "--top", "2")
    assert len(top) == 4 and float(top[1]["g2"]) > 0 > float(top[2]["g2"])


def test_text_output(dated):
    out = run_cli("keyness", "--config", dated / "config.toml", "--outputs", dated / "outputs",
                  "--target", "2021", "--top", "1", check=0).stdout.splitlines()
    assert out[0].startswith("# concepts of 2021 (2 documents, 13 mentions) against 2015 (2 documents, 15 mentions)")
    assert out[1].split() == ["item", "target", "reference", "g2", "log_ratio", "p", "label"]
    assert out[2].split()[:4] == ["industrial_internet", "10", "1", "9.89"]
    assert out[3].startswith("# ... ") and out[4].startswith("smart_manufacturing")


@pytest.mark.parametrize("args, message", [
    (["--target", "2022"], "groups: 2015 (2 documents), 2021 (2 documents)"),
    (["--target", "2021", "--reference", "2015,1999"], "'2015,1999': no such group"),
    (["--target", "2021", "--reference", "2021"], "share 2021"),
    (["--target", "2021", "--group-by", ""], "set graph.group_by"),
    (["--target", "2021", "--group-pattern", "("], "not a regular expression"),
    (["--target", "2015,2021"], "no other group"),
    (["--target", "x", "--group-by", "issuer"], "no document has a value for 'issuer'"),
])
def test_usage_errors_name_the_groups(dated, args, message):
    proc = run_cli("keyness", "--config", dated / "config.toml", "--outputs", dated / "outputs", *args)
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize("command", ["keyness", "kwic", "matrix"])
def test_research_views_are_documented(command):
    """Each research view has its own section in docs/commands.md, with an
    example, and every option of its own is named there."""
    import re

    from conftest import ROOT
    from pipeline.__main__ import build_parser

    doc = (ROOT / "docs/commands.md").read_text(encoding="utf-8")
    section = re.search(rf"^## `{command}`.*?(?=^## |\Z)", doc, re.M | re.S)
    assert section and f"$ .venv/bin/python -m pipeline {command}" in section.group(), command
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    common = {"-h", "--help", "--config", "--corpus", "--outputs", "--set", "--jobs", "--quiet", "--executor",
              "--scheduler"}
    for action in parser._actions:
        for option in set(action.option_strings) - common:
            assert f"`{option}" in doc, f"{command} {option}"


# ---------------------------------------------------------------- the report's keyness section

def test_report_shows_the_last_group_against_the_first(dated):
    import re

    page = (dated / "outputs" / "report" / "index.html").read_text(encoding="utf-8")
    assert '<a href="#keyness">keyness</a>' in page
    section = re.search(r'<section id="keyness">(.*?)</section>', page, re.S).group(1)
    assert "<h2>Keyness: 2021 against 2015</h2>" in section
    up, down = section.split("<h3>More frequent in 2015</h3>")
    assert "<small>industrial_internet</small>" in up and "<small>industrial_internet</small>" not in down
    assert "<small>smart_manufacturing</small>" in down
    assert '<td class="num">9.89</td>' in up  # the same G² as `keyness --target 2021 --reference 2015`


def test_report_keyness_is_escaped_and_absent_without_groups():
    from pipeline import report

    evil = '<script>alert("x")</script>'
    view = report.keyness_view({"a": {"x": 3}, "b": {"x": 1, "y": 4}}, {"a": evil, "b": "2015"}, top_n=5)
    assert view["target"] == evil  # "<" sorts after digits: the last group
    page = report.render([{"id": "x", "label_zh_hant": evil}], [], {}, title="t", keyness=view)
    assert evil not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    plain = report.render([{"id": "x"}], [], {}, title="t")
    assert 'id="keyness"' not in plain and "#keyness" not in plain
    assert report.keyness_view({"a": {"x": 3}}, {"a": "2015"}) is None  # one group: nothing to compare
