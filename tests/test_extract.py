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


def _lines(rows, x0=50, right=500, top=100, pitch=18, size=12):
    """Lines of one page from (text, end x or None for full, extra space before) rows."""
    lines, y = [], top
    for text, end, before in rows:
        y += before
        lines.append((text, x0, right if end is None else end, y))
        y += pitch
    return lines


def test_gap_relative_to_the_page_pitch_separates_paragraphs():
    # a single-spaced page (pitch 16) and a double-spaced one (pitch 30): the same extra 8 pt
    # is a paragraph break only where it is large against the page's own pitch
    single = page(_lines([("第一段第一行文字文字", None, 0), ("第一段第二行，文字", None, 0), ("繼續寫完。", None, 0),
                          ("第二段第一行文字", None, 8), ("第二段寫完。", None, 0)], pitch=16))
    double = page(_lines([("第三段第一行文字文字", None, 0), ("第三段第二行，文字", None, 0), ("繼續寫，", None, 0),
                          ("第三段第一行文字", None, 8), ("第三段寫完。", None, 0)], pitch=30))
    text, _, _ = clean_pages([single])
    assert text.split("\n\n") == ["第一段第一行文字文字第一段第二行，文字繼續寫完。", "第二段第一行文字第二段寫完。"]
    text, _, _ = clean_pages([double])
    assert len(text.split("\n\n")) == 1


def test_ragged_english_lines_stay_in_their_paragraph():
    # ragged right: a line ends where the next word would not fit, well before the margin
    rows = [("China has been the world's largest", 430), ("manufacturer by output since 2010 and", 470),
            ("accounts for roughly a fifth of global", 455), ("manufacturing output.", 200),
            ("Yet much of that output is low-margin", 440), ("assembly.", 110)]
    lines = [(text, 50, end, 100 + 16 * k + (10 if k == 4 else 0)) for k, (text, end) in enumerate(rows)]
    text, _, _ = clean_pages([page(lines)])
    assert text.split("\n\n") == [
        "China has been the world's largest manufacturer by output since 2010 and accounts for roughly a fifth "
        "of global manufacturing output.", "Yet much of that output is low-margin assembly."]


@pytest.mark.parametrize("last, first, joined", [
    ("頁底的一行寫滿了，沒有句號", "下一頁接著寫完。", True),  # full, no sentence end, not indented: continues
    ("頁底的一行寫滿了，也寫完了。", "下一頁接著再寫。", True),  # a sentence end alone is no paragraph end
    ("頁底的一行寫滿了，也寫完了。", "（三）新的一項。", False),  # a sentence end and a new item
    ("頁底的一行寫滿了，也寫完了：", "1.新的一項。", False),
])
def test_page_break_in_a_document_without_indents(last, first, joined):
    one = page(_lines([("這一段寫在第一頁上，第一行寫滿了", None, 0), (last, None, 0)], top=690))
    two = page(_lines([(first, 200, 0), ("另一段從這裡開始，寫了一行。", 250, 12)], top=60))
    text, _, _ = clean_pages([one, two])
    paragraphs = text.split("\n\n")
    assert (len(paragraphs) == 2) == joined and paragraphs[-1] == "另一段從這裡開始，寫了一行。"


def test_short_last_line_before_a_page_break_ends_the_paragraph():
    one = page(_lines([("這一段寫在第一頁上，第一行寫滿了", None, 0), ("短短的末行。", 130, 0)], top=690))
    two = page(_lines([("下一段在新的一頁開始，寫滿了一行", None, 0), ("寫完。", 100, 0)], top=60))
    text, _, _ = clean_pages([one, two])
    assert text.split("\n\n") == ["這一段寫在第一頁上，第一行寫滿了短短的末行。", "下一段在新的一頁開始，寫滿了一行寫完。"]


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


# --------------------------------------------------------------------------- fast paths against the plain ones
# The engines and the cleanup take shortcuts for speed (issue 9); each is pinned
# here against the plain computation it replaces, on real PDFs, so that a
# library upgrade that breaks an assumption fails here rather than changing text.

from pipeline import extract  # noqa: E402
from pipeline.extract import garbled  # noqa: E402
from conftest import SAMPLES  # noqa: E402

REAL_PDFS = [ROOT / "corpus/mic2025-hk.pdf", ROOT / "corpus/mic2025-brief-en.pdf"] + sorted(
    (SAMPLES / "pdf").glob("*.pdf"))[:4]


@pytest.mark.parametrize("pdf", REAL_PDFS, ids=lambda p: p.name)
def test_pdfplumber_engine_reads_what_page_chars_has(pdf):
    import pdfplumber

    engine = extract.PdfplumberEngine(str(pdf))
    try:
        with pdfplumber.open(pdf) as plain:
            for index, page in enumerate(plain.pages[:3]):
                try:
                    expected = [(c["text"], float(c["x0"]), float(c["x1"]), float(c["top"]), float(c["bottom"]),
                                 float(c["size"])) for c in page.chars if c.get("upright", True)]
                except Exception:
                    continue  # a page pdfminer cannot read: the engine's error is the fallback's business
                assert engine.page(index)[2] == expected
    finally:
        engine.close()


def _pdfium_chars_one_call_at_a_time(pdf, index):
    """The pdfium glyphs the plain way: every property asked of every glyph."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as raw

    document = pypdfium2.PdfDocument(str(pdf))
    page = document[index]
    left, _, _, top = page.get_cropbox()
    textpage = page.get_textpage()
    handle, chars, codes = textpage.raw, [], []
    x, y, matrix = ctypes.c_double(), ctypes.c_double(), raw.FS_MATRIX()
    for i in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(handle, i)
        if code in (10, 13, 0xFFFE) or raw.FPDFText_IsGenerated(handle, i) == 1:
            continue
        if 0xD800 <= code < 0xDC00:
            codes.append((i, code))
            continue
        if 0xDC00 <= code < 0xE000 and codes:
            first, high = codes.pop()
            code, i = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00), first
        code = 0x2D if code == 2 else code
        x0, _, x1, _ = textpage.get_charbox(i, loose=True)
        raw.FPDFText_GetCharOrigin(handle, i, x, y)
        raw.FPDFText_GetMatrix(handle, i, matrix)
        size = raw.FPDFText_GetFontSize(handle, i) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
        baseline = top - y.value
        chars.append((chr(code), x0 - left, x1 - left, baseline - 0.8 * size, baseline + 0.2 * size, float(size)))
    textpage.close()
    document.close()
    return chars


@pytest.mark.parametrize("pdf", REAL_PDFS, ids=lambda p: p.name)
def test_pdfium_engine_matches_one_call_per_property(pdf):
    # PDFium generates only spaces and line breaks, and a glyph's size is its text object's
    engine = extract.PdfiumEngine(str(pdf))
    try:
        for index in range(min(3, len(engine))):
            assert engine.page(index)[2] == _pdfium_chars_one_call_at_a_time(pdf, index)
    finally:
        engine.close()


def _dedupe_plain(chars, tolerance=1.0):
    """dedupe_chars before issue 9: every glyph looked up in the 9 cells around it."""
    kept, grid = [], {}
    for ch in chars:
        cell = (int(ch.x0 // 2), int(ch.top // 2))
        duplicate = any(other.text == ch.text and abs(other.x0 - ch.x0) <= tolerance
                        and abs(other.top - ch.top) <= tolerance
                        for dx in (-1, 0, 1) for dy in (-1, 0, 1) for other in grid.get((cell[0] + dx, cell[1] + dy), ()))
        if not duplicate:
            kept.append(ch)
            grid.setdefault(cell, []).append(ch)
    return kept


@pytest.mark.parametrize("seed", range(20))
def test_dedupe_chars_matches_the_plain_grid_search(seed):
    import random

    rng = random.Random(seed)
    chars = []
    for _ in range(rng.randint(0, 400)):
        x, top = rng.uniform(-5, 60), rng.uniform(-5, 60)
        chars.append(extract.Char(rng.choice("年的ll."), x, x + 5, top, top + 5, 5.0))
        if rng.random() < 0.3:  # fake bold: the same glyph again, slightly off (sometimes just out of tolerance)
            dx, dy = rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2)
            chars.append(extract.Char(chars[-1].text, x + dx, x + dx + 5, top + dy, top + dy + 5, 5.0))
    assert extract.dedupe_chars(chars) == _dedupe_plain(chars)


def test_normalize_chars_table_maps_each_character_as_before():
    """As before, except that the CJK Radicals Supplement now goes to its equivalent unified
    ideographs, and Latin ligatures (U+FB00-FB06) to their letters."""
    import unicodedata

    from pipeline.extract.radicals import EQUIVALENT_UNIFIED_IDEOGRAPH

    def plain(ch, fullwidth_to_ascii):
        code = ord(ch)
        if code in EQUIVALENT_UNIFIED_IDEOGRAPH:
            return chr(EQUIVALENT_UNIFIED_IDEOGRAPH[code])
        if 0x2E80 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F or 0xFB00 <= code <= 0xFB06:
            return unicodedata.normalize("NFKC", ch)
        if fullwidth_to_ascii and (0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A):
            return chr(code - 0xFEE0)
        return ch

    every = "".join(chr(c) for c in list(range(0x2E00, 0x3100)) + list(range(0xF800, 0xFFFF)) +
                    list(range(0x2F700, 0x2FB00)))
    for fullwidth_to_ascii in (True, False):
        expected = "".join(plain(ch, fullwidth_to_ascii) for ch in every)
        assert normalize_chars(every, fullwidth_to_ascii=fullwidth_to_ascii) == expected


@pytest.mark.parametrize("radical, unified", [
    ("⻅⻆⻄⻓", "见角西长"),  # Radicals Supplement: not in NFKC, from EquivalentUnifiedIdeograph.txt
    ("⺟⻳", "母龟"),  # the two of the block that NFKC maps, to the same
    ("⼯⼈⼒", "工人力"),  # Kangxi radicals, as NFKC maps them
    ("\uf900\ufa5c\U0002f800", "豈臭丽"),  # compatibility ideographs
    ("\u2e80\u2e9a", "\u2e80\u2e9a"),  # no equivalent (or unassigned): kept
    ("ﬁve ﬂagship oﬀicial", "five flagship official"),  # Latin ligatures, as pdfplumber reads Chromium's PDFs
])
def test_radicals_and_compatibility_ideographs_become_unified(radical, unified):
    assert normalize_chars(radical) == unified


def test_radicals_table_agrees_with_nfkc_where_nfkc_maps():
    import unicodedata

    from pipeline.extract.radicals import EQUIVALENT_UNIFIED_IDEOGRAPH

    for code, target in EQUIVALENT_UNIFIED_IDEOGRAPH.items():
        assert 0x2E80 <= code <= 0x2FDF
        nfkc = unicodedata.normalize("NFKC", chr(code))
        assert nfkc in (chr(code), chr(target))


def _garbled_plain(text):
    """garbled_reason before issue 9: every character looked at one by one."""
    import unicodedata

    cid = sum(len(m) for m in extract.CID.findall(text))
    solid = [ch for ch in extract.CID.sub("", text) if not ch.isspace()]
    if not solid and not cid:
        return None
    n = len(solid) + cid
    if cid > 0.1 * n:
        return "(cid:N) codes: a font without a Unicode map"
    latin1 = sum(1 for ch in solid if 0x80 <= ord(ch) <= 0xFF)
    if latin1 >= 3 and latin1 > 0.2 * n:
        return "Latin-1 mojibake: a GB-encoded font read as Latin-1"
    control = sum(1 for ch in solid if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd")
    if control > 0.1 * n:
        return "control, private-use or replacement characters: a font without a usable Unicode map"
    odd = [ch for ch in solid if not garbled._expected(ch)]
    if len(odd) > 0.3 * n:
        return f"text in an unexpected script ({unicodedata.name(odd[0], 'unknown').split()[0].title()})"
    return None


@pytest.mark.parametrize("text", [
    "", "   \n", "(cid:3)(cid:4) ab", "¹ØÓÚºì¾ü×÷Õ½µÄÔ­Ôò", "abc\x01\x02\x03\ue000\ufffd", "関于 ภาษาไทย ภาษา ไทย ok",
    "Ελληνικά κείμενα אבג", "国务院关于印发的通知 Page 1 (cid:9)", "ab\u0378\u0379cd", "\U0001f600\U0001f601x",
])
def test_garbled_reason_counts_as_before(text):
    assert extract.garbled_reason(text) == _garbled_plain(text)
