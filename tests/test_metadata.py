"""Metadata researchers set (corpus/metadata.csv, file names) over what
extraction found, and the time views built on it: graph/periods.csv,
graph/trends.csv and each concept's mean_period. Pure functions on strings,
then the real command line on a small corpus of three years."""

import csv
import json
from collections import Counter

import pytest

from conftest import ROOT, run_cli
from pipeline import io, metadata
from pipeline.errors import ConfigError
from pipeline.graph import group_order, trend

# ---------------------------------------------------------------- metadata.csv, pure


@pytest.mark.parametrize("text, line, message", [
    ("", 1, "the file is empty"),
    ("file,date\na.txt,2015\n", 1, "expected a column named 'document'"),
    ("document;date\na.txt;2015\n", 1, "columns must be separated by commas"),
    ("document,date,date\n", 1, "column 'date' appears twice"),
    ("document,,date\n", 1, "a column has no name"),
    ("document,date\na.txt,2015,extra\n", 2, "3 cells but the header names 2 columns"),
    ("document,date\n,2015\n", 2, "got an empty cell"),
    ("document,date\na.txt,2015\n\n./a.txt,2016\n", 4, "'a.txt' is named twice (first on line 2)"),
    ('document,date\n"a.txt,2015\n', 2, "CSV syntax"),
])
def test_bad_tables_name_file_and_line(text, line, message):
    with pytest.raises(ConfigError) as info:
        metadata.parse_table(text, "corpus/metadata.csv")
    assert str(info.value).startswith(f"corpus/metadata.csv:{line}: "), str(info.value)
    assert message in str(info.value)


def test_table_values_quotes_blanks_and_multiline_cells():
    rows = metadata.parse_table('document,date,issuer,note\n'
                                '" 2015/國發.pdf ",2015-05-08,,"two,\nlines"\n'
                                '\n'
                                'b.txt,2016\n')
    assert rows == {"2015/國發.pdf": (2, {"date": "2015-05-08", "note": "two,\nlines"}),
                    "b.txt": (5, {"date": "2016"})}


def test_read_table_utf8_with_or_without_bom_and_not_utf8(tmp_path):
    assert metadata.read_table(tmp_path) is None  # no file: no table
    body = "document,issuer\na.txt,國務院\n"
    for data in (body.encode("utf-8"), b"\xef\xbb\xbf" + body.encode("utf-8")):
        (tmp_path / "metadata.csv").write_bytes(data)
        assert metadata.read_table(tmp_path) == {"a.txt": (2, {"issuer": "國務院"})}
    (tmp_path / "metadata.csv").write_bytes("document,issuer\na.txt,ok\nb.txt,國務院\n".encode("big5"))
    with pytest.raises(ConfigError, match=r"metadata.csv:3: encoding: expected UTF-8 .*byte 0x"):
        metadata.read_table(tmp_path)


@pytest.mark.parametrize("source, pattern, expected", [
    ("2016/a.txt", r"^(?P<date>\d{4})/", {"date": "2016"}),
    ("工信部-2017-智能製造.pdf", r"(?P<issuer>[^/-]+)-(?P<date>\d{4})", {"issuer": "工信部", "date": "2017"}),
    ("notes/a.txt", r"^(?P<date>\d{4})/", {}),
    ("2016/a.txt", r"^(?P<date>\d{4})/(?:(?P<region>HK)-)?", {"date": "2016"}),  # a group left out sets nothing
    ("2016/a.txt", "", {}),
])
def test_metadata_from_names(source, pattern, expected):
    assert metadata.from_name(source, pattern) == expected


@pytest.mark.parametrize("pattern, problem", [
    (r"(?P<date>\d{4})", None),
    (r"(\d{4})", "named groups"),
    (r"(?P<date>\d{4}", "expected a regular expression (missing ), unterminated subpattern"),
])
def test_name_pattern_check(pattern, problem):
    got = metadata.check_name_pattern(pattern)
    assert got is None if problem is None else problem in got


def test_precedence_table_over_name_over_extraction():
    documents = {"2016/a": {"source": "2016/a.txt", "stages": {"extract": {"metadata": {
        "date": "2015-01-01", "issuer": "國務院", "document_number": None}}}},
        "b": {"source": "b.txt", "stages": {"extract": {"metadata": {"date": "2014-02-02"}}}}}
    unknown, changed = metadata.record(documents, {"2016/a.txt": (2, {"issuer": "工信部"}), "gone.pdf": (3, {})},
                                       r"^(?P<date>\d{4})/")
    assert unknown == ["gone.pdf"] and changed
    assert metadata.document_metadata(documents["2016/a"]) == {"date": "2016", "issuer": "工信部",
                                                              "document_number": None}
    assert documents["2016/a"]["metadata_source"] == {"date": "file name", "issuer": "metadata.csv"}
    # nothing set by the table or the name: extraction's record is the metadata, nothing is added
    assert "metadata" not in documents["b"] and metadata.document_metadata(documents["b"]) == {"date": "2014-02-02"}
    assert metadata.document_groups(documents, ["2016/a", "b"], "date", r"(\d{4})") == {"2016/a": "2016", "b": "2014"}
    # the same again changes nothing; without table and pattern the records go
    assert not metadata.record(documents, {"2016/a.txt": (2, {"issuer": "工信部"})}, r"^(?P<date>\d{4})/")[1]
    assert metadata.record(documents, None, "") == ([], True) and "metadata" not in documents["2016/a"]


def test_metadata_csv_is_never_a_document(tmp_path):
    (tmp_path / "a.txt").write_text("智能制造", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("document,date\na.txt,2015\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "metadata.csv").write_text("document\n", encoding="utf-8")
    docs, skipped = io.scan_corpus(tmp_path)
    assert [d.id for d in docs] == ["a"] and skipped == []


# ---------------------------------------------------------------- periods and trends, pure

def test_group_order_and_trend_rules():
    assert group_order(["2017", "2015", "2016"]) == ["2015", "2016", "2017"]
    assert group_order(["10", "9"]) == ["9", "10"]  # numbers by value, not as text
    assert group_order(["2016-03", "2015-12", "n.d."]) == ["2015-12", "2016-03", "n.d."]
    order = ["2015", "2016", "2017"]
    cases = {(0, 1, 2): "emerging", (2, 1, 0): "fading", (1, 0, 2): "rising", (2, 5, 1): "falling",
             (1, 3, 1): "steady", (0, 4, 0): "between"}
    for rates, kind in cases.items():
        assert trend([float(r) for r in rates], order)["trend"] == kind, rates
    t = trend([1.0, 2.0, 4.0], order)
    assert (t["difference"], t["ratio"], t["slope"]) == (3.0, 4.0, 1.5)


# ---------------------------------------------------------------- the command line on three years

DOCUMENTS = {
    # 2015: the programme and integration; smart manufacturing once
    "2015/国发-2015.txt": "国务院关于印发《中国制造2025》的通知\n\n推进两化融合。两化融合是主线。\n\n发展智能制造。\n",
    # 2016: smart manufacturing
    "2016/智能制造-2016.txt": "智能制造专项\n\n发展智能制造。智能制造是方向。\n\n建设工业互联网。推进两化融合。\n",
    # 2017: the industrial internet; green manufacturing appears
    "2017/互联网-2017.txt": "工业互联网行动\n\n建设工业互联网。工业互联网平台。\n\n发展工业互联网和智能制造。推广绿色制造。\n",
    # no year in its path and none in metadata.csv: in no group
    "notes/undated.txt": "笔记\n\n绿色制造很重要。\n",
}
NAMES = r"^(?P<date>\d{4})/"


def three_years(tmp_path, table="document,issuer,region\n2016/智能制造-2016.txt,工信部,CN\nmissing.pdf,x,y\n"):
    corpus = tmp_path / "corpus"
    for name, text in DOCUMENTS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    if table is not None:
        (corpus / "metadata.csv").write_text(table, encoding="utf-8")
    return corpus


def run(corpus, outputs, *extra, check=0):
    return run_cli("run", "--corpus", corpus, "--outputs", outputs, "--jobs", "1", "--set", "graph.group_by=date",
                   "--set", f"graph.metadata_from_names={NAMES}", *extra, check=check)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_periods_trends_and_mean_period_on_three_years(tmp_path):
    corpus, out = three_years(tmp_path), tmp_path / "out"
    proc = run(corpus, out)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    # one line for the documents without a date, one for the table's unknown row
    assert len(warnings) == 2, proc.stderr
    assert any("1 of 4 documents have no 'date' value" in w and w.endswith(": notes/undated") for w in warnings)
    assert any("metadata.csv: 1 row(s) name no document" in w and w.endswith(": missing.pdf") for w in warnings)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    entry = manifest["2016/智能制造-2016"]
    assert entry["metadata"]["date"] == "2016" and entry["metadata"]["issuer"] == "工信部"
    assert entry["metadata_source"] == {"date": "file name", "issuer": "metadata.csv", "region": "metadata.csv"}
    assert "metadata" not in manifest["notes/undated"]

    # periods.csv recomputed here from tags/ and text/: mentions per concept and year, rate per 10,000 characters
    year = {d: d[:4] for d in manifest if d[:4].isdigit()}
    mentions, docs, chars = Counter(), Counter(), Counter()
    for d, y in year.items():
        chars[y] += len((out / "text" / f"{d}.txt").read_text(encoding="utf-8").rstrip("\n"))
        found = Counter(json.loads(line)["concept"]
                        for line in (out / "tags" / f"{d}.jsonl").read_text(encoding="utf-8").splitlines())
        mentions.update({(c, y): n for c, n in found.items()})
        docs.update({(c, y): 1 for c in found})
    rows = read_csv(out / "graph/periods.csv")
    concepts = sorted({c for c, _ in mentions})
    assert [(r["concept"], r["group"]) for r in rows] == [(c, y) for c in concepts for y in ("2015", "2016", "2017")]
    for r in rows:
        key = (r["concept"], r["group"])
        assert (int(r["mentions"]), int(r["documents"]), int(r["chars"])) == (mentions[key], docs[key], chars[r["group"]])
        assert float(r["per_10k_chars"]) == round(mentions[key] * 10000 / chars[r["group"]], 4)
    assert rows[0]["label_zh_hant"] and rows[0]["label_en"]

    trends = {r["concept"]: r for r in read_csv(out / "graph/trends.csv")}
    assert trends["industrial_internet"]["trend"] == "emerging"  # absent in 2015, strongest in 2017
    assert trends["industrial_internet"]["first_seen"] == "2016"
    assert trends["green_manufacturing"]["trend"] == "emerging"  # the undated note does not count
    assert trends["informatisation_industrialisation_integration"]["trend"] == "fading"
    assert trends["mic2025"]["trend"] == "fading" and trends["mic2025"]["last_seen"] == "2015"
    differences = [float(r["difference"]) for r in read_csv(out / "graph/trends.csv")]
    assert differences == sorted(differences, reverse=True)

    # mean_period: the year of each mention, averaged (the undated note left out)
    nodes = {r["id"]: r for r in read_csv(out / "graph/nodes.csv")}
    for c in concepts:
        expected = sum(int(y) * n for (cc, y), n in mentions.items() if cc == c) / sum(
            n for (cc, _), n in mentions.items() if cc == c)
        assert float(nodes[c]["mean_period"]) == round(expected, 2)
    assert nodes["green_manufacturing"]["mean_period"] == "2017.0"
    graphml = (out / "graph/cooccurrence.graphml").read_text(encoding="utf-8")
    assert 'attr.name="mean_period"' in graphml

    # a rerun changes nothing and says nothing
    before = {p: p.read_bytes() for p in (out / "graph").rglob("*") if p.is_file()}
    again = run(corpus, out)
    assert "warning" not in again.stderr
    assert {p: p.read_bytes() for p in (out / "graph").rglob("*") if p.is_file()} == before


def test_changed_metadata_csv_regroups_without_redoing_documents(tmp_path):
    corpus, out = three_years(tmp_path), tmp_path / "out"
    run(corpus, out)
    keys = {d: {s: r["key"] for s, r in e["stages"].items()}
            for d, e in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"].items()}
    # the note gets a date of its own, and 2017's document is moved to 2016 (the table wins over the name)
    (corpus / "metadata.csv").write_text("document,date\nnotes/undated.txt,2015\n2017/互联网-2017.txt,2016\n",
                                         encoding="utf-8")
    proc = run(corpus, out)
    assert "warning" not in proc.stderr, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert {d: {s: r["key"] for s, r in e["stages"].items()} for d, e in manifest.items()} == keys
    assert {e["status"] for e in manifest.values()} == {"unchanged"}
    assert manifest["2017/互联网-2017"]["metadata_source"]["date"] == "metadata.csv"
    groups = read_csv(out / "graph/groups/groups.csv")
    assert [(g["group"], g["doc_ids"]) for g in groups] == [
        ("2015", "2015/国发-2015 notes/undated"), ("2016", "2016/智能制造-2016 2017/互联网-2017")]
    assert {r["group"] for r in read_csv(out / "graph/periods.csv")} == {"2015", "2016"}

    # without group_by the time files and mean_period go, and the graph is the plain one
    run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "1", check=0)
    assert not (out / "graph/periods.csv").exists() and not (out / "graph/trends.csv").exists()
    assert "mean_period" not in (out / "graph/nodes.csv").read_text(encoding="utf-8")
    assert "mean_period" not in (out / "graph/cooccurrence.graphml").read_text(encoding="utf-8")


def test_groups_that_are_not_numbers_have_no_mean_period(tmp_path):
    corpus, out = three_years(tmp_path, table=None), tmp_path / "out"
    run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "1", "--set", "graph.group_by=folder",
            "--set", r"graph.metadata_from_names=^(?P<folder>[^/]+)/", check=0)
    assert [r["group"] for r in read_csv(out / "graph/groups/groups.csv")] == ["2015", "2016", "2017", "notes"]
    assert "mean_period" not in (out / "graph/nodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert read_csv(out / "graph/trends.csv")  # trends need no numbers: text order


@pytest.mark.parametrize("table, expected", [
    ("document,date\n2015/国发-2015.txt,2015\n2015/国发-2015.txt,2016\n",
     "metadata.csv:3: document: '2015/国发-2015.txt' is named twice (first on line 2)"),
    ("name;date\n", "metadata.csv:1: header: expected a column named 'document'"),
])
def test_a_bad_metadata_csv_stops_the_run_before_any_work(tmp_path, table, expected):
    corpus, out = three_years(tmp_path, table=table), tmp_path / "out"
    proc = run(corpus, out, check=2)
    assert expected in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not (out / "manifest.json").exists() and not (out / "text").exists()


def test_a_name_pattern_without_named_groups_is_a_config_error(tmp_path):
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'metadata_from_names = ""', r'metadata_from_names = "^(\\d{4})/"')
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("metadata_from_names"))) + 1
    proc = run_cli("graph", "--config", config, "--outputs", tmp_path / "out", check=2)
    assert f"config.toml:{line}: [graph] metadata_from_names: expected a regular expression with named groups" \
        in proc.stderr, proc.stderr
