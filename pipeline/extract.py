"""Stage 1, extract: corpus/<doc>.pdf|.txt -> text/<doc>.txt (clean text, original script).

The core is pure: :func:`clean_pages` turns the positioned lines of each page
into paragraphs (running headers, footers and page numbers removed, the lines
of a paragraph rejoined) and :func:`normalize_chars` repairs compatibility
characters. Only :func:`process` touches files.
"""

from __future__ import annotations

import codecs
import re
import statistics
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import io
from .errors import DocumentError

NAME = "extract"

# CJK ideographs, kana, CJK punctuation and full-width forms: no space between them.
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                 r"\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")
PAGE_NUMBER = re.compile(
    r"""^(?:
        [-—–－―~]*\s*\d{1,4}\s*[-—–－―~]*            # 3, - 3 -, — 3 —
      | 第\s*\d{1,4}\s*[页頁]                          # 第 3 页, 第3頁
      | (?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?  # Page 3, Page 3 of 9
      | \d{1,4}\s*/\s*\d{1,4}                          # 3 / 9
      | [-—–]?\s*[ivxlcdm]{1,7}\s*[-—–]?               # iv, - iv -
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
CID = re.compile(r"\(cid:\d+\)")
# the start of a numbered or bulleted item: 1. 2) （一） 一、 • ...
LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)、．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|[•·▪●■-])")


@dataclass(frozen=True)
class Line:
    """One text line of a page, with its box in PDF points (top from the page top)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]


def normalize_chars(text: str, *, fullwidth_to_ascii: bool = True) -> str:
    """Map Kangxi radicals and CJK compatibility ideographs to unified
    characters, and (optionally) full-width Latin letters and digits to ASCII.
    CJK punctuation such as ，。（）is kept.

    >>> normalize_chars("⼯業 ２０２５ Ｏｐｔｉｍｉｚａｔｉｏｎ，")
    '工業 2025 Optimization，'
    """
    out = []
    for ch in text:
        code = ord(ch)
        if (0x2E80 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F):
            ch = unicodedata.normalize("NFKC", ch)
        elif fullwidth_to_ascii and (0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A):
            ch = chr(code - 0xFEE0)
        out.append(ch)
    return "".join(out)


def _join(left: str, right: str) -> str:
    """Join two lines of one paragraph: no space between CJK characters,
    English end-of-line hyphenation undone, one space between words."""
    if not left:
        return right
    if not right:
        return left
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha() and right[0].islower():
        return left[:-1] + right
    if CJK.match(left[-1]) or CJK.match(right[0]):
        return left + right
    return left + " " + right


def _squeeze_cjk_spaces(text: str) -> str:
    """Drop spaces a PDF put between two CJK characters (justified lines)."""
    return re.sub(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t]+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])",
                  "", text)


def _repeated_margins(pages: list[Page], header_band: float, footer_band: float) -> set[str]:
    """Texts (digits folded) of lines that recur in the top or bottom band of
    at least half the pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    seen = Counter()
    for page in pages:
        keys = set()
        for line in page.lines:
            if line.top < page.height * header_band or line.bottom > page.height * (1 - footer_band):
                keys.add(re.sub(r"\d+", "#", line.text.strip()))
        seen.update(keys)
    threshold = max(2, len(pages) // 2)
    return {key for key, count in seen.items() if count >= threshold and key}


def clean_pages(pages: list[Page], *, header_band: float = 0.1, footer_band: float = 0.1,
                fullwidth_to_ascii: bool = True) -> tuple[str, list[int], list[tuple[int, int]]]:
    """Positioned lines of each page -> (text, page_starts, paragraphs).

    ``page_starts[i]`` is the offset in ``text`` where page i+1's content
    begins; ``paragraphs`` are (start, end) offsets. Paragraphs are separated
    by one blank line; a paragraph continues across a page break unless the
    next page starts with an indented line.
    """
    margins = _repeated_margins(pages, header_band, footer_band)
    body: list[tuple[int, Line]] = []
    for number, page in enumerate(pages):
        for line in page.lines:
            text = line.text.strip()
            in_band = line.top < page.height * header_band or line.bottom > page.height * (1 - footer_band)
            if not text or (in_band and (PAGE_NUMBER.match(text) or re.sub(r"\d+", "#", text) in margins)):
                continue
            body.append((number, line))
    if not body:
        return "", [0] * len(pages), []

    # the body text size: the line height that carries the most characters
    chars_by_height = Counter()
    for _, line in body:
        chars_by_height[round(line.bottom - line.top)] += len(line.text)
    size = float(chars_by_height.most_common(1)[0][0]) or 1.0
    # the left margin: the leftmost x where a good share of lines start
    lefts = Counter(round(line.x0) for _, line in body)
    common = lefts.most_common(1)[0][1]
    left = min(x for x, n in lefts.items() if n >= min(common, max(2, common // 4)))
    # the right margin is where most full lines end; a paragraph's last line stops short of it
    right = Counter(round(line.x1 / 2) * 2 for _, line in body).most_common(1)[0][0]
    # the usual gap between lines of one paragraph; a clearly larger gap separates paragraphs
    # (measured after full lines, which are inside paragraphs, and per font size, so that
    # small-print tables do not set the spacing of double-spaced body text)
    gaps: dict[int, list[float]] = {}
    for (pa, a), (pb, b) in zip(body, body[1:]):
        if pa == pb and b.top > a.bottom - 1 and a.x1 >= right - 2 * size:
            gaps.setdefault(round(a.bottom - a.top), []).append(b.top - a.bottom)
    everything = [g for values in gaps.values() for g in values]
    line_gaps = {h: statistics.median(v) for h, v in gaps.items()}
    default_gap = statistics.median(everything) if everything else 0.0

    paragraphs: list[list[tuple[int, str]]] = []
    previous = None  # (page number, line, is heading)
    for number, line in body:
        text = _squeeze_cjk_spaces(line.text.strip())
        height = line.bottom - line.top
        # larger than the body text and not running to the right margin
        heading = height > 1.25 * size and line.x1 < right - 2 * size
        indented = line.x0 > left + 0.8 * size or line.text.startswith("\u3000")
        if previous is None:
            starts = True
        else:
            prev_number, prev_line, prev_heading = previous
            gap = line.top - prev_line.bottom if prev_number == number else 0.0
            prev_full = prev_line.x1 >= right - 2 * size
            if indented and prev_full and not heading and (
                    abs(line.x0 - prev_line.x0) < 1 or LIST_ITEM.match(prev_line.text.strip())):
                indented = False  # hanging indent: the continuation of a numbered item
            if heading or prev_heading:
                # a heading is its own paragraph; a long one may wrap onto a second line
                starts = not (heading and prev_heading and prev_number == number and gap < 0.8 * height)
            else:
                line_gap = line_gaps.get(round(prev_line.bottom - prev_line.top), default_gap)
                starts = indented or gap > line_gap + 0.6 * size or not prev_full
        if starts:
            paragraphs.append([])
        paragraphs[-1].append((number, text.lstrip("\u3000 ")))
        previous = (number, line, heading)

    text_parts, spans, page_starts = [], [], {}
    offset = 0
    for para in paragraphs:
        joined = ""
        for number, piece in para:
            joined = _join(joined, piece)
            # a page begins where its first piece begins in the joined paragraph
            page_starts.setdefault(number, offset + len(joined) - len(piece))
        joined = normalize_chars(joined, fullwidth_to_ascii=fullwidth_to_ascii)
        spans.append((offset, offset + len(joined)))
        text_parts.append(joined)
        offset += len(joined) + 2
    text = "\n\n".join(text_parts)
    starts, last = [], 0
    for number in range(len(pages)):
        last = page_starts.get(number, last)
        starts.append(last)
    return text, starts, spans


def read_text_file(data: bytes) -> str:
    """Decode a .txt document: UTF-8 (BOM or not), UTF-16 with BOM, GB18030, Big5-HKSCS.

    >>> read_text_file("中國製造".encode("big5"))
    '中國製造'
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    # GB18030 decodes most Big5 byte strings too, into nonsense; prefer the
    # decoding whose characters are common CJK (more refined in issue 3).
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    candidates = []
    for encoding in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        common = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or ch.isascii() or "\u3000" <= ch <= "\u303f"
                     or "\uff00" <= ch <= "\uffef")
        candidates.append((common / max(1, len(text)), encoding == "gb18030", text))
    if not candidates:
        raise DocumentError("not text in UTF-8, UTF-16, GB18030 or Big5")
    return max(candidates)[2]


def text_to_paragraphs(text: str, *, fullwidth_to_ascii: bool = True) -> tuple[str, list[tuple[int, int]]]:
    """Plain text -> clean text with paragraphs separated by one blank line.

    Blank lines separate paragraphs; in a file without blank lines, each line
    is a paragraph.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    blocks = re.split(r"\n[ \t\u3000]*\n", text) if re.search(r"\n[ \t\u3000]*\n", text) else text.split("\n")
    paragraphs = []
    for block in blocks:
        joined = ""
        for line in block.split("\n"):
            joined = _join(joined, line.strip(" \t\u3000"))
        if joined:
            paragraphs.append(normalize_chars(joined, fullwidth_to_ascii=fullwidth_to_ascii))
    spans, offset = [], 0
    for para in paragraphs:
        spans.append((offset, offset + len(para)))
        offset += len(para) + 2
    return "\n\n".join(paragraphs), spans


def pdf_pages(path: Path) -> tuple[list[Page], list[int], list[int]]:
    """Read a PDF with pdfplumber: positioned lines per page, the numbers of
    pages that held only (cid:N) codes (a font without a Unicode map) and of
    pages with no text at all (scanned pages, until OCR is wired in)."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    pages, unreadable, empty = [], [], []
    try:
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, 1):
                # dedupe_chars: fake bold draws each glyph twice at the same place
                lines = page.dedupe_chars().extract_text_lines(return_chars=False)
                kept = []
                for raw in lines:
                    text = CID.sub("", raw["text"])
                    if CID.search(raw["text"]) and len(text.strip()) < len(raw["text"]) / 4:
                        continue
                    kept.append(Line(text, raw["x0"], raw["x1"], raw["top"], raw["bottom"]))
                if lines and not kept:
                    unreadable.append(number)
                elif not lines:
                    empty.append(number)
                pages.append(Page(float(page.width), float(page.height), tuple(kept)))
    except PDFSyntaxError as exc:
        raise DocumentError(f"not a readable PDF ({exc})") from None
    except Exception as exc:  # pdfminer raises many types on broken files
        if exc.__class__.__module__.startswith(("pdfminer", "pdfplumber")):
            raise DocumentError(f"not a readable PDF ({exc.__class__.__name__}: {exc})") from None
        raise
    return pages, unreadable, empty


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    """Extract one document into text/<doc>.txt and .state/extract/<doc>.json."""
    cfg = config.extract
    source = Path(entry["path"])
    started = time.perf_counter()
    if entry["suffix"] == ".txt":
        text, spans = text_to_paragraphs(read_text_file(source.read_bytes()), fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        page_starts, unreadable, empty, n_pages = [0], [], [], 1
    else:
        pages, unreadable, empty = pdf_pages(source)
        n_pages = len(pages)
        text, page_starts, spans = clean_pages(pages, header_band=cfg.header_band, footer_band=cfg.footer_band,
                                               fullwidth_to_ascii=cfg.fullwidth_to_ascii)
    if not text.strip():
        detail = f"; pages with unreadable fonts: {unreadable}" if unreadable else ""
        raise DocumentError(f"no extractable text in {n_pages} page(s){detail} (scanned or unreadable fonts; no OCR fallback yet)")
    warnings = []
    if unreadable:
        warnings.append(f"pages {unreadable} use fonts without a Unicode map; their text is left out")
    if empty:
        warnings.append(f"pages {empty} have no text layer (scanned?); their text is left out")
    io.write_text(outputs / "text" / f"{doc_id}.txt", text + "\n")
    io.write_json(outputs / ".state" / "extract" / f"{doc_id}.json",
                  {"page_starts": page_starts, "paragraphs": spans})
    return {
        "engine": "text" if entry["suffix"] == ".txt" else cfg.engine,
        "pages": n_pages,
        "unreadable_pages": unreadable,
        "empty_pages": empty,
        "ocr_pages": [],
        "paragraphs": len(spans),
        "chars": len(text),
        "warnings": warnings,
        "seconds": round(time.perf_counter() - started, 3),
    }
