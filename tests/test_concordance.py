"""pipeline/concordance.py through the `kwic` and `matrix` commands on the
DATED fixture corpus (2015 and 2021, Simplified and Traditional, one undated
document), and the Matrix Market file read back by scipy."""

import csv
import io

from conftest import run_cli


def cli(dated, *args, check=0):
    return run_cli(*args, "--config", dated / "config.toml", "--outputs", dated / "outputs", check=check)


def kwic_rows(dated, *args):
    return list(csv.DictReader(io.StringIO(cli(dated, "kwic", *args, "--format", "csv").stdout)))


def test_concept_kwic(dated):
    rows = kwic_rows(dated, "工業互聯網")
    assert list(rows[0]) == ["doc", "group", "page", "sentence", "left", "match", "right"]
    assert {r["match"] for r in rows} == {"工业互联网", "工業互聯網"} and len(rows) == 11
    assert [r["doc"] for r in rows] == sorted(r["doc"] for r in rows)
    for term in ("工业互联网", "Industrial Internet", "industrial_internet"):
        assert kwic_rows(dated, term) == rows
    first = rows[0]
    assert (first["doc"], first["group"], first["page"], first["sentence"]) == ("net-2021-cn", "2021", "1", "0")
    text = cli(dated, "kwic", "工业互联网", "--chars", "4", "--limit", "2").stdout.splitlines()
    assert text[0] == "# concept industrial_internet (工業互聯網 / 工业互联网 / Industrial Internet): 11 mentions " \
                      "in 3 documents"
    assert text[1:] == ["net-2021-cn 2021 p.1 s.0 关于推进 [工业互联网] 的意见",  # matches in one column
                        "net-2021-cn 2021 p.1 s.2     加快 [工业互联网] 建设。工",
                        "# ... 9 more"]


def test_word_kwic_folds_scripts_and_respects_tokens(dated):
    # 數字化 (Traditional) finds 数字化 in the Simplified document
    rows = kwic_rows(dated, "數字化", "--chars", "3")
    assert [(r["doc"], r["left"], r["match"], r["right"]) for r in rows] == [("net-2021-cn", "制造。", "数字化", "转型离")]
    assert rows[0]["sentence"] == "6"  # the line of segmented/net-2021-cn.txt, 0-based
    # 互联网 alone is one token once; inside 工业互联网 it is no token of its own
    alone = kwic_rows(dated, "互聯網")
    assert [(r["doc"], r["right"][:2]) for r in alone] == [("net-2021-cn", "企业")]
    anywhere = kwic_rows(dated, "互聯網", "--anywhere")
    assert len(anywhere) == 12 and {r["match"] for r in anywhere} == {"互联网", "互聯網"}
    # --word: the literal word, not the concept's aliases
    assert len(kwic_rows(dated, "智能制造", "--word")) == len(kwic_rows(dated, "智能制造")) == 9
    assert cli(dated, "kwic", "沒有這個詞").stdout == "# word 沒有這個詞 (both scripts): 0 occurrences in 0 documents\n"


def test_kwic_groups(dated):
    rows = kwic_rows(dated, "智能制造", "--group", "2015")
    assert {r["group"] for r in rows} == {"2015"} and len(rows) == 7
    assert len(kwic_rows(dated, "智能制造", "--group", "2015,2021")) == 8  # the undated document is in no group
    proc = cli(dated, "kwic", "智能制造", "--group", "1999", check=2)
    assert "groups: 2015 (2 documents), 2021 (2 documents)" in proc.stderr


def test_matrix_csv_and_matrix_market(dated):
    import scipy.io

    out = dated / "outputs"
    assert cli(dated, "matrix").stdout == f"{out}/matrix/doc_concept.csv\n"
    dense = list(csv.reader((out / "matrix/doc_concept.csv").read_text(encoding="utf-8").splitlines()))
    assert dense[0][0] == "doc" and dense[0][1:] == sorted(dense[0][1:])
    assert [r[0] for r in dense[1:]] == ["net-2021-cn", "net-2021-tw", "plan-2015-cn", "plan-2015-hk", "undated"]
    column = dense[0].index("industrial_internet")
    assert [int(r[column]) for r in dense[1:]] == [6, 4, 1, 0, 0]
    stem = out / "matrix" / "doc_concept"
    cli(dated, "matrix", "--format", "mtx")
    first = {p: p.read_bytes() for p in (stem.with_suffix(".mtx"), out / "matrix/doc_concept.rows.txt",
                                         out / "matrix/doc_concept.cols.txt")}
    sparse = scipy.io.mmread(stem.with_suffix(".mtx")).toarray()
    assert sparse.tolist() == [[int(v) for v in r[1:]] for r in dense[1:]]
    assert (out / "matrix/doc_concept.rows.txt").read_text().split() == [r[0] for r in dense[1:]]
    assert (out / "matrix/doc_concept.cols.txt").read_text().split() == dense[0][1:]
    cli(dated, "matrix", "--format", "mtx")
    assert {p: p.read_bytes() for p in first} == first  # a rerun writes the same bytes
    assert cli(dated, "matrix", "--output", "-").stdout == (out / "matrix/doc_concept.csv").read_text(encoding="utf-8")


def test_word_matrix(dated, tmp_path):
    cli(dated, "matrix", "--of", "words", "--output", tmp_path / "words")
    rows = list(csv.DictReader((tmp_path / "words.csv").read_text(encoding="utf-8").splitlines()))
    by_doc = {r["doc"]: r for r in rows}
    assert by_doc["plan-2015-hk"]["智能制造"] == "3" and by_doc["plan-2015-cn"]["智能制造"] == "4"
    assert "的" not in rows[0] and "2015" not in rows[0]
    assert cli(dated, "matrix", "--format", "mtx", "--output", "-", check=2).stderr.startswith("error: --output -")
