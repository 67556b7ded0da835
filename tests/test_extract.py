"""Extraction: the pure cleanup on hand-made pages, text decoding, and the
bundled PDFs against the text they were made from."""

import re

import pytest

from conftest import ROOT
from pipeline.errors import DocumentError
from pipeline.extract import Line, Page, clean_pages, normalize_chars, read_text_file, text_to_paragraphs


def page(lines, height=800):
    return Page(600, height, tuple(Line(t, x0, x1, top, top + 12) for t, x0, x1, top in lines))


@pytest.mark.parametrize("number", ["3", "- 3 -", "— 3 —", "第 3 页", "第3頁", "Page 3 of 9", "iii"])
def test_page_numbers_and_running_headers_go(number):
    pages = [page([("國務院關於印發《中國製造2025》的通知", 100, 400, 20),
                   ("　　第一段第一行文字文字文字文字文字文字文字文字文字文字", 76, 500, 100),
                   ("第一段第二行。", 52, 200, 118),
                   (number.replace("3", str(n)), 290, 310, 770)]) for n in (1, 2, 3)]
    text, starts, spans = clean_pages(pages)
    assert text == "\n\n".join(["第一段第一行文字文字文字文字文字文字文字文字文字文字第一段第二行。"] * 3)
    assert len(spans) == 3 and starts[1] == spans[1][0]


def test_lines_join_cjk_without_space_and_english_dehyphenated():
    pages = [page([("The integration of informatiza-", 50, 500, 100), ("tion and industrial", 50, 500, 114),
                   ("policy.", 50, 120, 128), ("兩化融合是", 50, 500, 160), ("主攻方向。", 50, 200, 174)])]
    text, _, spans = clean_pages(pages)
    assert text == "The integration of informatization and industrial policy.\n\n兩化融合是主攻方向。"


def test_paragraph_continues_across_a_page_break():
    first = page([("這一段從第一頁開始，一直寫到頁底還沒有寫完，", 50, 500, 700)])
    second = page([("在第二頁才結束。", 50, 200, 60), ("　　新的一段。", 74, 200, 90)])
    text, starts, _ = clean_pages([first, second])
    assert text == "這一段從第一頁開始，一直寫到頁底還沒有寫完，在第二頁才結束。\n\n新的一段。"
    assert text[starts[1]:].startswith("在第二頁")


def test_normalize_chars():
    assert normalize_chars("⼯業⾰新 ２０２５ ＡＢｃ，。（）") == "工業革新 2025 ABc，。（）"
    assert normalize_chars("ＡＢ", fullwidth_to_ascii=False) == "ＡＢ"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5hkscs"])
def test_text_encodings(encoding):
    # real text: the first sentences of the bundled article, in a script the encoding can hold
    article = (ROOT / "corpus/mic2025-cn.txt").read_text(encoding="utf-8")[:300]
    if encoding == "big5hkscs":
        article = (ROOT / "tools/corpus_src/mic2025-hk.txt").read_text(encoding="utf-8")[2:300]
    assert read_text_file(article.encode(encoding)) == article.lstrip("\ufeff")


def test_text_paragraphs():
    text, spans = text_to_paragraphs("第一段\r\n續行\r\n\r\n\r\nSecond para-\ngraph here\n")
    assert text == "第一段續行\n\nSecond paragraph here"
    assert [text[s:e] for s, e in spans] == ["第一段續行", "Second paragraph here"]


@pytest.mark.parametrize("doc, source", [("mic2025-hk", "mic2025-hk"), ("mic2025-brief-en", "mic2025-brief-en")])
def test_bundled_pdfs_give_their_source_paragraphs(built, doc, source):
    """Character-exact (whitespace aside) and paragraph-exact against the text the PDF was made from."""
    truth = re.sub(r"^#+ ", "", (ROOT / f"tools/corpus_src/{source}.txt").read_text(encoding="utf-8"), flags=re.M)
    got = (built / f"text/{doc}.txt").read_text(encoding="utf-8")
    squash = lambda s: [re.sub(r"\s", "", p) for p in s.split("\n\n") if p.strip()]  # noqa: E731
    assert squash(got) == squash(truth)
    assert "\n\n\n" not in got and got.endswith("\n") and not got.endswith("\n\n")


# real text in every encoding the contract names; each must come back exactly
CN = (ROOT / "corpus/mic2025-cn.txt").read_text(encoding="utf-8")[:2000]
HK = (ROOT / "tools/corpus_src/mic2025-hk.txt").read_text(encoding="utf-8")[2:2000]


@pytest.mark.parametrize("text, encoding", [
    (CN, "utf-8"), (CN, "utf-8-sig"), (HK, "utf-8"), (CN, "utf-16"), (HK, "utf-16"), (CN, "utf-16-le"),
    (HK, "utf-16-be"), (CN, "gb18030"), (CN, "gbk"), (CN[:300], "gb2312"), (HK, "big5hkscs"),
    (HK.encode("big5", "ignore").decode("big5"), "big5"), (CN[:40], "gbk"), (HK[:40], "big5hkscs"),
])
def test_text_encodings_detected(text, encoding):
    assert read_text_file(text.encode(encoding)) == text


@pytest.mark.parametrize("data", [
    "Déclaration de politique générale, résumé en français.".encode("latin-1"),
    "日本語の政策文書です。製造業の高度化を目指す。".encode("shift_jis"),
    bytes(range(256)) * 8,
])
def test_text_in_other_encodings_is_a_failed_document(data):
    with pytest.raises(DocumentError, match="not"):
        read_text_file(data)
