"""Stage 1, extract: corpus/<doc>.pdf|.txt -> text/<doc>.txt (clean text, original script).

The core is pure and shared by both PDF engines:

- :func:`chars_to_lines` turns positioned characters into the text lines of a
  page in reading order (duplicated fake-bold glyphs dropped, spaces between
  words restored from the geometry, columns separated);
- :func:`garbled_reason` says whether a page's text is garbage (``(cid:N)``
  codes, Latin-1 mojibake, control or private-use characters, an unexpected
  script);
- :func:`clean_pages` turns the lines of all pages into paragraphs (running
  headers, footers and page numbers removed, the lines of a paragraph
  rejoined) and :func:`normalize_chars` repairs compatibility characters;
- :func:`find_metadata` reads the document number, issuing body and date;
- :func:`read_text_file` decodes ``.txt`` inputs.

Two engines read characters from a PDF: ``pdfplumber`` (pdfminer.six, the
default) and ``pdfium`` (pypdfium2, faster). A page that one engine reads as
garbage or not at all goes to the other engine, then to OCR with tesseract
(when installed); a page nobody can read is reported, never passed on.

Each PDF is read in a worker process with a wall-clock budget and an
address-space cap (:func:`run_isolated`), so a hostile file costs at most its
budget and never stops the batch. Only :func:`process` touches files.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import itertools
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import unicodedata
from collections import Counter
from operator import attrgetter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import io
from .errors import DocumentError

NAME = "extract"
ENGINES = ("pdfplumber", "pdfium")

# CJK ideographs, kana, CJK punctuation and full-width forms: no space between them.
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                 r"\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")
# the same without full-width Latin letters and digits, which join like Latin
CJK_JOIN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                      r"\uf900-\ufaff\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uffef\U00020000-\U0003134f]")
PAGE_NUMBER = re.compile(
    r"""^(?:
        [-—–－―~]*\s*\d{1,4}\s*[-—–－―~]*            # 3, - 3 -, — 3 —
      | 第\s*\d{1,4}\s*[页頁](?:\s*[,，/]?\s*共\s*\d{1,4}\s*[页頁])?  # 第 3 页, 第3頁, 第3页 共9页
      | (?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?  # Page 3, Page 3 of 9
      | \d{1,4}\s*/\s*\d{1,4}                          # 3 / 9
      | [-—–]?\s*[ivxlcdm]{1,7}\s*[-—–]?               # iv, - iv -
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
CID = re.compile(r"\(cid:\d+\)")
DIGITS = re.compile(r"\d+")
# the start of a numbered or bulleted item: 1. 2) （一） 一、 • ...
LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)、．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|[•·▪●■-])")


class Char(NamedTuple):
    """One glyph as an engine reports it, in PDF points (top from the page top).
    ``size`` is the font size; a space is kept as the text " " (an explicit
    space in the PDF marks a word break even when the gap is tiny).

    A named tuple, not a dataclass: a page has thousands of glyphs, and a
    tuple is several times cheaper to make."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


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


# --------------------------------------------------------------------------- characters


def normalize_chars(text: str, *, fullwidth_to_ascii: bool = True) -> str:
    """Map Kangxi radicals and CJK compatibility ideographs to unified
    characters, and (optionally) full-width Latin letters and digits to ASCII.
    CJK punctuation such as ，。（）is kept.

    >>> normalize_chars("⼯業 ２０２５ Ｏｐｔｉｍｉｚａｔｉｏｎ，")
    '工業 2025 Optimization，'
    """
    return text.translate(_normalize_table(fullwidth_to_ascii))


@functools.lru_cache(maxsize=None)
def _normalize_table(fullwidth_to_ascii: bool) -> dict[int, str]:
    """The str.translate table of :func:`normalize_chars`: each character is
    mapped on its own, so one table lookup per character does it."""
    table = {}
    for low, high in ((0x2E80, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)):
        for code in range(low, high + 1):
            table[code] = unicodedata.normalize("NFKC", chr(code))
    if fullwidth_to_ascii:
        for low, high in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)):
            for code in range(low, high + 1):
                table[code] = chr(code - 0xFEE0)
    return table


def dedupe_chars(chars: list[Char], tolerance: float = 1.0) -> list[Char]:
    """Drop glyphs drawn again at (almost) the same place: fake bold draws each
    glyph two or four times with a small offset. Real repeats (年年) sit a
    glyph width apart and stay.

    >>> a, b, c = Char("年", 10, 20, 0, 10, 10), Char("年", 10.3, 20.3, 0.2, 10.2, 10), Char("年", 20, 30, 0, 10, 10)
    >>> [ch.x0 for ch in dedupe_chars([a, b, c])]
    [10, 20]
    """
    # a glyph is compared with the kept glyphs of the same text in its 2-pt
    # grid cell and the 8 around it; most glyphs have none there at all
    # (:func:`_crowded` finds those in one pass) and are kept without a look
    kept, grid = [], {}
    for ch, crowded in zip(chars, _crowded(chars)):
        if crowded:
            cell = (ch.text, int(ch.x0 // 2), int(ch.top // 2))
            duplicate = False
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for x0, top in grid.get((cell[0], cell[1] + dx, cell[2] + dy), ()):
                        if abs(x0 - ch.x0) <= tolerance and abs(top - ch.top) <= tolerance:
                            duplicate = True
                            break
            if duplicate:
                continue
            grid.setdefault(cell, []).append((ch.x0, ch.top))
        kept.append(ch)
    return kept


def _crowded(chars: list[Char]) -> list[bool]:
    """For each glyph: is there another glyph of the same text in its 2-pt grid
    cell or one of the 8 around it? (All True when a coordinate is not a finite
    number: :func:`dedupe_chars` then fails on it as it always did.)"""
    if not chars:
        return []
    texts, x0s, _, tops, _, _ = zip(*chars)
    try:
        columns, rows = [int(x // 2) for x in x0s], [int(y // 2) for y in tops]
    except (TypeError, ValueError, OverflowError):
        return [True] * len(chars)
    # one integer per cell: (text, column, row) in a mixed radix with a free
    # column and row on each side, so that +-1 row and +-1 column never wrap
    ids = {text: i for i, text in enumerate(set(texts))}
    left, low = min(columns) - 1, min(rows) - 1
    width, height = max(columns) - left + 2, max(rows) - low + 2
    keys = [(ids[t] * width + x - left) * height + y - low for t, x, y in zip(texts, columns, rows)]
    # near[k]: how many glyphs are in cell k or the cells just above and below it
    near = Counter(itertools.chain(keys, map((1).__add__, keys), map((-1).__add__, keys)))
    return [near[k] > 1 or k - height in near or k + height in near for k in keys]


def _piece_text(chars: list[Char]) -> str:
    """Characters of one line piece (sorted by x) -> text, with one space where
    the PDF has an explicit space or a gap wider than a letter gap."""
    out, pending = [], False
    prev_x1 = prev_size = prev_last = None  # of the previous glyph that is not a space
    for text, x0, x1, _, _, size in chars:
        if text.isspace():
            pending = prev_x1 is not None
            continue
        if prev_x1 is not None:
            if pending:
                out.append(" ")
            else:
                gap = x0 - prev_x1
                smaller = (prev_size if prev_size < size else size) or 1.0  # min(size, prev_size) or 1.0
                # a space is a gap wider than a CJK letter gap (0.5 em) next to a CJK
                # character, than a Latin one (0.15 em) otherwise; the (slower) CJK
                # test matters only for a gap between the two
                wide, narrow = gap > 0.5 * smaller, gap > 0.15 * smaller
                if wide != narrow:
                    wide = wide if CJK.match(text[0]) or CJK.match(prev_last) else narrow
                if wide:
                    out.append(" ")
        out.append(text)
        prev_x1, prev_size, prev_last, pending = x1, size, text[-1], False
    return "".join(out)


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Group characters into rows by their vertical middle (sorted top to bottom)."""
    rows: list[list[Char]] = []
    anchor = height = 0.0
    middles = [(top + bottom) / 2 for _, _, _, top, bottom, _ in chars]
    for i in sorted(range(len(chars)), key=middles.__getitem__):
        ch, mid = chars[i], middles[i]
        if rows and mid - anchor <= 0.4 * height:
            rows[-1].append(ch)
        else:
            rows.append([ch])
            anchor, height = mid, max(ch.bottom - ch.top, 1.0)
    for row in rows:
        row.sort(key=attrgetter("x0"))
    return rows


def _gutters(solid: list[list[Char]], width: float, size: float) -> list[float]:
    """x positions of the gaps between text columns: vertical white stripes at
    least 0.6 em wide that almost no row crosses, with prose on both sides.
    ``solid`` holds the glyphs of each row that are not spaces (none empty)."""
    if len(solid) < 8:
        return []
    bins = int(width) + 2
    # cover[x]: how many rows have a glyph over the 1-pt bin x; each row adds
    # +1/-1 at the ends of the union of its glyphs' bins (sorted by x0, so
    # their starts only grow), and a running sum gives the counts
    steps = [0] * (bins + 1)
    for row in solid:
        begin = end = 0
        for ch in row:
            a, b = int(ch.x0 + 0.5), int(ch.x1 - 0.5) + 1
            if a < 0:
                a = 0
            if b > bins:
                b = bins
            if a >= b:
                continue
            if a > end:
                if end > begin:
                    steps[begin] += 1
                    steps[end] -= 1
                begin, end = a, b
            elif b > end:
                end = b
        if end > begin:
            steps[begin] += 1
            steps[end] -= 1
    cover, total = [0] * bins, 0
    for x in range(bins):
        total += steps[x]
        cover[x] = total
    starts = sorted(row[0].x0 for row in solid)
    ends = sorted(row[-1].x1 for row in solid)
    lo, hi = starts[0] + 2 * size, ends[-1] - 2 * size
    limit = max(1, len(solid) // 25)
    runs, begin = [], None
    # glyphs off the page (beyond its edges) are real: scan only the page's own width
    for x in range(max(0, int(lo)), min(bins, int(hi) + 1)):
        if cover[x] <= limit:
            begin = x if begin is None else begin
        elif begin is not None:
            # a gutter is touched by text on both sides in several rows;
            # the gaps between words of one or two rows are not
            if x - begin >= 0.6 * size:
                touch_left = sum(1 for row in solid if any(begin - 2 * size <= c.x1 <= begin + 1 for c in row))
                touch_right = sum(1 for row in solid if any(x - 1 <= c.x0 <= x + 2 * size for c in row))
                if min(touch_left, touch_right) >= 2 and max(touch_left, touch_right) >= 4:
                    runs.append((begin + x) / 2)
            begin = None
    if not runs:
        return []
    # columns must hold prose: most pieces in each column run most of its width;
    # a stripe that fails (beside a short last line, a page number) is dropped
    while runs:
        edges = [starts[0]] + runs + [ends[-1]]
        for k, (left, right) in enumerate(zip(edges, edges[1:])):
            pieces = []
            for row in solid:
                inside = [c for c in row if left <= c.x0 and c.x1 <= right]
                if inside:
                    pieces.append(max([c.x1 for c in inside]) - min([c.x0 for c in inside]))
            if len(pieces) < 2 or statistics.median(pieces) < 0.6 * (right - left):
                del runs[min(k, len(runs) - 1)]
                break
        else:
            return runs
    return []


def chars_to_lines(chars: list[Char], width: float) -> tuple[Line, ...]:
    """Positioned characters of one page -> its lines in reading order.

    Duplicated glyphs are dropped, spaces restored, and text columns read one
    after the other (a line crossing the gap between columns, such as a title,
    splits them into bands read top to bottom). The lines of column k are
    shifted left onto column 1, so that margins and indents can be measured
    the same way on every column.

    >>> chars = [Char(t, 10 + 6 * i, 16 + 6 * i, 0, 10, 10) for i, t in enumerate("ab")]
    >>> chars += [Char(t, 40 + 6 * i, 46 + 6 * i, 0, 10, 10) for i, t in enumerate("cd")]
    >>> [line.text for line in chars_to_lines(chars, 100)]
    ['ab cd']
    """
    chars = dedupe_chars([c for c in chars if c.text and not (c.text[0] == "(" and CID.fullmatch(c.text))])
    rows, solid = [], []  # the rows with a glyph that is not a space, and those glyphs
    for row in _rows(chars):
        glyphs = [c for c in row if not c.text.isspace()]
        if glyphs:
            rows.append(row)
            solid.append(glyphs)
    if not rows:
        return ()
    # the most common font size, rounded; rounding each distinct size (not each glyph)
    # gives the same counts, in the same first-seen order that breaks ties
    sizes = Counter()
    for raw_size, count in Counter([c.size for glyphs in solid for c in glyphs]).items():
        sizes[round(raw_size)] += count
    size = float(sizes.most_common(1)[0][0]) or 10.0
    gutters = _gutters(solid, width, size)
    if not gutters:
        return tuple(_line(glyphs, text) for row, glyphs in zip(rows, solid) if (text := _piece_text(row)).strip())
    # split rows at the gutters; a row with a glyph across a gutter spans the columns
    pieces = []  # (column or -1, chars, text)
    for row, glyphs in zip(rows, solid):
        if any(c.x0 < g < c.x1 for g in gutters for c in glyphs):
            pieces.append((-1, row, _piece_text(row)))
            continue
        for k in range(len(gutters) + 1):
            left = gutters[k - 1] if k else float("-inf")
            right = gutters[k] if k < len(gutters) else float("inf")
            part = [c for c in row if left <= (c.x0 + c.x1) / 2 < right]
            if part and (text := _piece_text(part)).strip():
                pieces.append((k, part, text))
    lefts = {}
    for k, part, _ in pieces:
        lefts.setdefault(k, []).append(part[0].x0)
    col_left = {k: sorted(v)[len(v) // 10] for k, v in lefts.items()}
    out, band = [], []

    def flush():
        for k, part, text in sorted(band, key=lambda p: (p[0], p[1][0].top)):
            out.append(_line(_solid(part), text, col_left[0] - col_left[k] if 0 in col_left else 0.0))
        band.clear()

    for k, part, text in pieces:  # already top to bottom
        if k == -1:
            flush()
            if text.strip():
                out.append(_line(_solid(part), text))
        else:
            band.append((k, part, text))
    flush()
    return tuple(out)


def _line(solid: list[Char], text: str, shift: float = 0.0) -> Line:
    """The Line of a row or piece: ``solid`` are its glyphs that are not
    spaces, ``text`` its :func:`_piece_text`."""
    _, x0s, x1s, tops, bottoms, _ = zip(*solid)
    return Line(text, min(x0s) + shift, max(x1s) + shift, min(tops), max(bottoms))


def _solid(chars: list[Char]) -> list[Char]:
    return [c for c in chars if not c.text.isspace()]


# --------------------------------------------------------------------------- garbage detection

SIMPLIFIED_ONLY = frozenset("这个们国发为会对时说经过还进动实现业产关开问题应与东长书车门见认设话语请务员条准创质术标资计划区级战")
TRADITIONAL_ONLY = frozenset("這個們國發為會對時說經過還進動實現業產關開問題應與東長書車門見認設話語請務員條準創質術標資計劃區級戰")


def _expected(ch: str) -> bool:
    """Is ``ch`` from a script a Chinese or English policy document uses?"""
    code = ord(ch)
    return (code < 0x250 or 0x370 <= code < 0x400 or 0x2000 <= code < 0x2C00 or 0x2E80 <= code < 0xA000
            or 0xF900 <= code < 0xFB00 or 0xFE30 <= code < 0xFE50 or 0xFF00 <= code < 0xFFF0
            or 0x20000 <= code < 0x32000)


def garbled_reason(text: str) -> str | None:
    """Why the text of a page is garbage, or None when it looks like text.

    >>> garbled_reason("(cid:4)(cid:5)(cid:6)")
    '(cid:N) codes: a font without a Unicode map'
    >>> garbled_reason("¹ØÓÚºì¾ü×÷Õ½µÄÔ­Ôò")
    'Latin-1 mojibake: a GB-encoded font read as Latin-1'
    >>> garbled_reason("关于红军作战的原则 Page 1") is None
    True
    """
    cid = sum(len(m) for m in CID.findall(text))
    # each distinct character is looked at once; a Counter keeps them in
    # first-seen order, so the first odd one below is the first in the text
    solid = Counter(CID.sub("", text))
    for ch in [ch for ch in solid if ch.isspace()]:
        del solid[ch]
    if not solid and not cid:
        return None
    n = solid.total() + cid
    if cid > 0.1 * n:
        return "(cid:N) codes: a font without a Unicode map"
    latin1 = sum(count for ch, count in solid.items() if 0x80 <= ord(ch) <= 0xFF)
    if latin1 >= 3 and latin1 > 0.2 * n:
        return "Latin-1 mojibake: a GB-encoded font read as Latin-1"
    control = sum(count for ch, count in solid.items()
                  if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd")
    if control > 0.1 * n:
        return "control, private-use or replacement characters: a font without a usable Unicode map"
    odd = [(ch, count) for ch, count in solid.items() if not _expected(ch)]
    if sum(count for _, count in odd) > 0.3 * n:
        name = unicodedata.name(odd[0][0], "unknown").split()[0].title()
        return f"text in an unexpected script ({name})"
    return None


def detect_script(text: str) -> str | None:
    """'zh-Hans', 'zh-Hant' or 'en' from the characters of a text; None when there is too little.

    >>> detect_script("国务院关于印发的通知"), detect_script("國務院關於印發的通知"), detect_script("The State Council")
    ('zh-Hans', 'zh-Hant', 'en')
    """
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if han < 2 and latin < 8:
        return None
    if han * 3 < latin:
        return "en"
    simplified = sum(1 for ch in text if ch in SIMPLIFIED_ONLY)
    traditional = sum(1 for ch in text if ch in TRADITIONAL_ONLY)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


# --------------------------------------------------------------------------- paragraphs


def _join(left: str, right: str) -> str:
    """Join two lines of one paragraph: no space between CJK characters,
    English end-of-line hyphenation undone, one space between words.

    >>> _join("informatiza-", "tion and"), _join("兩化", "融合"), _join("made in", "China")
    ('informatization and', '兩化融合', 'made in China')
    """
    if not left:
        return right
    if not right:
        return left
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha() and right[0].islower():
        return left[:-1] + right
    if CJK_JOIN.match(left[-1]) or CJK_JOIN.match(right[0]):
        return left + right
    return left + " " + right


_CJK_CLASS = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uffef]"
_CJK_SPACES = re.compile(rf"(?<={_CJK_CLASS})[ \t]+(?={_CJK_CLASS})")


def _squeeze_cjk_spaces(text: str) -> str:
    """Drop spaces a PDF put between two CJK characters (justified lines);
    full-width Latin letters and digits are words, their spaces stay.

    >>> _squeeze_cjk_spaces("目 录 ， Ｏｆ ｔｈｅ")
    '目录， Ｏｆ ｔｈｅ'
    """
    return _CJK_SPACES.sub("", text)


def _in_band(line: Line, page: Page, header_band: float, footer_band: float) -> bool:
    return line.top < page.height * header_band or line.bottom > page.height * (1 - footer_band)


def _repeated_margins(pages: list[Page], header_band: float, footer_band: float) -> set[str]:
    """Texts (digits folded) of lines that recur in the top or bottom band of
    at least half the pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    seen = Counter()
    for page in pages:
        keys = set()
        for line in page.lines:
            if _in_band(line, page, header_band, footer_band):
                keys.add(DIGITS.sub("#", line.text.strip()))
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
            if not text or (_in_band(line, page, header_band, footer_band)
                            and (PAGE_NUMBER.match(text) or DIGITS.sub("#", text) in margins)):
                continue
            body.append((number, line))
    if not body:
        return "", [0] * len(pages), []

    # the body text size: the line height that carries the most characters
    chars_by_height = Counter()
    for _, line in body:
        chars_by_height[round(line.bottom - line.top)] += len(line.text)
    size = float(chars_by_height.most_common(1)[0][0]) or 1.0
    # margins are measured per line height (lines within 2.5 pt of it), so that
    # tables and small print do not set them for the body text, and the other
    # way round; a height with too few lines uses the body text's margins
    cache: dict[int, tuple[float, float]] = {}

    def margins(height: float) -> tuple[float, float]:
        key = round(height)
        if key not in cache:
            group = [line for _, line in body if abs((line.bottom - line.top) - key) <= 2.5]
            if len(group) < 4 and key != round(size):
                cache[key] = margins(size)
                return cache[key]
            group = group or [line for _, line in body]
            # the left margin: the leftmost x where a good share of lines start
            lefts = Counter(round(line.x0) for line in group)
            common = lefts.most_common(1)[0][1]
            left = min(x for x, n in lefts.items() if n >= min(common, max(2, common // 4)))
            # the right margin is where most full lines end; a paragraph's last line stops short of it
            # (the 90th percentile of line ends: full lines reach it, a few overhang)
            ends = sorted((line.x1 for line in group), reverse=True)
            right = ends[min(len(ends) - 1, len(ends) // 10)]
            cache[key] = (float(left), float(right))
        return cache[key]

    _, body_right = margins(size)
    # the usual gap between lines of one paragraph, per line height: the lower
    # quartile of the gaps between consecutive lines of that height (most such
    # gaps are inside paragraphs); a clearly larger gap separates paragraphs
    gaps: dict[int, list[float]] = {}
    for (pa, a), (pb, b) in zip(body, body[1:]):
        if pa == pb and b.top > a.bottom - 1 and round(a.bottom - a.top) == round(b.bottom - b.top):
            gaps.setdefault(round(a.bottom - a.top), []).append(b.top - a.bottom)
    line_gaps = {h: sorted(v)[len(v) // 4] for h, v in gaps.items() if len(v) >= 2}
    everything = sorted(g for values in gaps.values() for g in values)
    default_gap = everything[len(everything) // 4] if everything else 0.0

    paragraphs: list[list[tuple[int, str]]] = []
    previous = None  # (page number, line, is heading)
    for number, line in body:
        text = _squeeze_cjk_spaces(normalize_chars(line.text.strip(), fullwidth_to_ascii=fullwidth_to_ascii))
        height = line.bottom - line.top
        # larger than the body text and not running to the right margin
        left, _ = margins(height)
        heading = height > 1.25 * size and line.x1 < body_right - 2 * size
        indented = line.x0 > left + 0.8 * min(size, height) or line.text.startswith("\u3000")
        if previous is None:
            starts = True
        else:
            prev_number, prev_line, prev_heading = previous
            gap = line.top - prev_line.bottom if prev_number == number else 0.0
            prev_height = prev_line.bottom - prev_line.top
            prev_full = prev_line.x1 >= margins(prev_height)[1] - 2 * size
            # the line gap of this height, or of the nearest height within 2.5 pt
            near = min(line_gaps, key=lambda h: abs(h - prev_height), default=None)
            line_gap = line_gaps[near] if near is not None and abs(near - prev_height) <= 2.5 else default_gap
            if (heading and not prev_heading and prev_full and prev_number == number and abs(prev_height - height) < 1
                    and gap <= line_gap + 0.6 * min(size, height)):
                heading = False  # the last line of a paragraph in large print, not a heading
            if indented and prev_full and not heading and (
                    abs(line.x0 - prev_line.x0) < 1 or LIST_ITEM.match(prev_line.text.strip())):
                indented = False  # hanging indent: the continuation of a numbered item
            if heading or prev_heading:
                # a heading is its own paragraph; a long one may wrap onto a second line
                starts = not (heading and prev_heading and prev_number == number and gap < 0.8 * height)
            else:
                starts = indented or gap > line_gap + 0.6 * min(size, height) or not prev_full
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
        spans.append((offset, offset + len(joined)))
        text_parts.append(joined)
        offset += len(joined) + 2
    text = "\n\n".join(text_parts)
    starts, last = [], 0
    for number in range(len(pages)):
        last = page_starts.get(number, last)
        starts.append(last)
    return text, starts, spans


# --------------------------------------------------------------------------- metadata

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔［\[【（(]\s*(?:19|20)\d{2}\s*[〕］\]】）)]\s*(?:第\s*)?\d{1,5}\s*[号號]")
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
CN_DATE = re.compile(rf"((?:19|20)\d{{2}}|[〇○零一二三四五六七八九]{{4}})\s*年\s*({_NUM})\s*月\s*({_NUM})\s*日")
EN_DATE = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                     r"\s+(\d{1,2}),\s*((?:19|20)\d{2})\b")
TITLE_ISSUER = re.compile(r"^(.{2,40}?)(?:关于|關於)\S*(?:通知|意见|意見|决定|決定|办法|辦法|规定|規定|批复|批覆|通告|公告|"
                          r"规划|規劃|方案|函|报告|報告|纲要|綱要|指导意见|指導意見)$")
ORG_SUFFIX = re.compile(r"^(?:[\u4e00-\u9fff]{1,30}(?:国务院|國務院|人民政府|委员会|委員會|办公厅|辦公廳|办公室|辦公室|"
                        r"部|局|厅|廳|署|银行|銀行|总局|總局|中心|协会|協會))$")
MONTHS = ("january february march april may june july august september october november december").split()


def _cn_number(text: str) -> int:
    """'2015' -> 2015, '二〇一五' -> 2015, '十二' -> 12, '二十八' -> 28."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
    if "十" not in text:
        return int("".join(str(digits[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def find_metadata(first_page: str) -> dict:
    """Document number, issuing body and date (ISO) from the text of a first page.

    >>> find_metadata("国务院文件\\n\\n国发〔2015〕28号\\n\\n国务院关于印发《中国制造2025》的通知\\n\\n二〇一五年五月八日")
    {'document_number': '国发〔2015〕28号', 'issuer': '国务院', 'date': '2015-05-08'}
    """
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in first_page.split("\n\n") if p.strip()]
    meta = {"document_number": None, "issuer": None, "date": None}
    match = DOC_NUMBER.search(first_page)
    if match:
        meta["document_number"] = re.sub(r"\s+", "", match.group())
    for para in paragraphs:
        squeezed = para.replace(" ", "")
        if len(squeezed) <= 30 and squeezed.endswith("文件") and len(squeezed) > 2:
            meta["issuer"] = squeezed[:-2]
            break
    if meta["issuer"] is None:
        for para in paragraphs:
            title = TITLE_ISSUER.match(para.replace(" ", ""))
            if title:
                meta["issuer"] = title.group(1)
                break
    if meta["issuer"] is None:
        for para in paragraphs:
            if len(para) <= 30 and ORG_SUFFIX.match(para.replace(" ", "")):
                meta["issuer"] = para.replace(" ", "")
                break
    match = CN_DATE.search(first_page)
    if match:
        try:
            year, month, day = (_cn_number(g) for g in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                meta["date"] = f"{year:04d}-{month:02d}-{day:02d}"
        except (KeyError, ValueError):
            pass
    if meta["date"] is None:
        match = EN_DATE.search(first_page)
        if match:
            meta["date"] = f"{int(match.group(3)):04d}-{MONTHS.index(match.group(1).lower()) + 1:02d}-" \
                           f"{int(match.group(2)):02d}"
    return meta


# --------------------------------------------------------------------------- text files


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that ordinary Chinese text is made of
    (common characters, CJK punctuation, full-width forms, general punctuation)."""
    from .extract_charset import COMMON_HANZI

    wide = [ch for ch in text if not ch.isascii() and not ch.isspace()]
    if not wide:
        return 1.0
    good = sum(1 for ch in wide if ch in COMMON_HANZI or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or "\u2010" <= ch <= "\u206f")
    return good / len(wide)


def read_text_file(data: bytes) -> str:
    """Decode a .txt document: UTF-8 (BOM or not), UTF-16 (BOM or not),
    GB18030/GBK or Big5/Big5-HKSCS, telling the last two apart by how much of
    each decoding is made of common characters. Anything else raises
    DocumentError.

    >>> read_text_file("中國製造".encode("big5")), read_text_file("中国制造".encode("gbk"))
    ('中國製造', '中国制造')
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data[3:], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(data, "utf-16")
    try:
        return _checked(data, "utf-8")
    except DocumentError:
        pass
    # UTF-16 without BOM, GB18030 and Big5 all decode many byte strings; the
    # right one is the decoding made of common characters and no control codes
    candidates = []
    for encoding in ("gb18030", "big5hkscs") + (("utf-16-le", "utf-16-be") if len(data) % 2 == 0 else ()):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn") and ch not in "\t\n\r\f")
        if control <= len(text) // 100:
            candidates.append((_plausibility(text), encoding == "gb18030", encoding, text))
    if candidates:
        score, _, encoding, text = max(candidates)
        if score >= 0.7:
            return text
        raise DocumentError(f"not text in UTF-8, UTF-16, GB18030/GBK or Big5/Big5-HKSCS "
                            f"(best guess {encoding}: only {score:.0%} ordinary characters)")
    raise DocumentError("not text in UTF-8, UTF-16, GB18030/GBK or Big5/Big5-HKSCS (undecodable bytes)")


def _checked(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\t\n\r\f")
    if control > len(text) // 100:
        raise DocumentError(f"not text: decoding it as {encoding} gives control or private-use characters")
    return text


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
            joined = _join(joined, normalize_chars(line.strip(" \t\u3000"), fullwidth_to_ascii=fullwidth_to_ascii))
        if joined:
            paragraphs.append(joined)
    spans, offset = [], 0
    for para in paragraphs:
        spans.append((offset, offset + len(para)))
        offset += len(para) + 2
    return "\n\n".join(paragraphs), spans


# --------------------------------------------------------------------------- engines


class PdfplumberEngine:
    """Characters from pdfplumber (pdfminer.six)."""

    name = "pdfplumber"

    def __init__(self, path: str):
        import pdfplumber

        self.pdf = pdfplumber.open(path)
        self.pages = self.pdf.pages

    def __len__(self):
        return len(self.pages)

    def page(self, index: int) -> tuple[float, float, list[Char]]:
        """The page's glyphs as ``page.chars`` has them, read from pdfplumber's
        layout (pdfminer's LTChar objects) directly: ``page.chars`` would first
        turn every object into a dict of all its attributes (colours, fonts,
        marked content, ...), which costs more than a third of the reading."""
        page = self.pages[index]
        try:
            width, height = page.width, page.height
            # the same arithmetic as pdfplumber's Page.process_object
            mb_x0, mb_top = page.mediabox[:2]
            chars = []
            for obj in _layout_chars(page.layout._objs):
                if obj.upright:
                    text = obj.get_text()
                    if self.pdf.unicode_norm is not None:
                        text = unicodedata.normalize(self.pdf.unicode_norm, text)
                    x0, x1 = (obj.x0 + mb_x0, obj.x1 + mb_x0) if mb_x0 != 0 else (obj.x0, obj.x1)
                    chars.append(Char(text, float(x0), float(x1), float((height - obj.y1) + mb_top),
                                      float((height - obj.y0) + mb_top), float(obj.size)))
            return float(width), float(height), chars
        finally:
            page.close()  # drop the page's layout: each page is read once

    def close(self):
        self.pdf.close()


def _layout_chars(objects):
    """pdfminer's LTChar objects in a layout, in pdfplumber's order (a figure's
    glyphs where the figure is)."""
    from pdfminer.layout import LTChar, LTContainer

    for obj in objects:
        if isinstance(obj, LTContainer):
            yield from _layout_chars(obj._objs)
        elif isinstance(obj, LTChar):
            yield obj


class PdfiumEngine:
    """Characters from pypdfium2 (PDFium); also renders pages for OCR."""

    name = "pdfium"

    def __init__(self, path: str):
        import pypdfium2

        self.pdf = pypdfium2.PdfDocument(path)

    def __len__(self):
        return len(self.pdf)

    def page(self, index: int) -> tuple[float, float, list[Char]]:
        import ctypes
        import struct

        import pypdfium2.raw as raw
        from pypdfium2 import PdfiumError

        # PDFium has no call that returns the boxes of many glyphs at once: four
        # calls per glyph. Called without ctypes' argument conversion (a bare
        # pointer, an int index, byref() results), each costs half as much.
        # (FPDFText_GetText would give the page's text in one call, but its
        # text is not the glyph list: a line-end hyphen shifts it.)
        get_unicode, is_generated = _bare(raw.FPDFText_GetUnicode, ctypes.c_uint), _bare(raw.FPDFText_IsGenerated)
        get_box, get_origin = _bare(raw.FPDFText_GetLooseCharBox), _bare(raw.FPDFText_GetCharOrigin)
        get_object = _bare(raw.FPDFText_GetTextObject, ctypes.c_void_p)
        get_font_size, get_matrix = _bare(raw.FPDFText_GetFontSize, ctypes.c_double), _bare(raw.FPDFText_GetMatrix)
        # plain buffers read with one struct call, not a ctypes attribute per field
        box, origin, matrix = (ctypes.c_float * 4)(), (ctypes.c_double * 2)(), raw.FS_MATRIX()
        box_ref, x_ref, y_ref, matrix_ref = ctypes.byref(box), ctypes.byref(origin), ctypes.byref(origin, 8), \
            ctypes.byref(matrix)
        read_box = struct.Struct("4f").unpack_from  # FS_RECTF: left, top, right, bottom
        new_char = functools.partial(tuple.__new__, Char)  # Char(...) without its Python-level __new__: 2x faster

        page = self.pdf[index]
        left, bottom, right, top = page.get_cropbox()
        textpage = page.get_textpage()
        try:
            handle = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)
            chars, codes = [], []
            # a glyph's font size and matrix are those of its text object
            # (CPDF_TextPage::GetCharFontSize, CharInfo::m_Matrix): one size per object
            sizes: dict[int, float] = {}
            for i in range(textpage.count_chars()):
                code = get_unicode(handle, i)
                # PDFium generates only spaces and line breaks (CPDF_TextPage::GenerateCharInfo):
                # no need to ask about any other character
                if code in (10, 13, 0xFFFE) or (code == 32 and is_generated(handle, i) == 1):
                    continue
                if 0xD800 <= code < 0xDC00:  # a surrogate pair is two entries
                    codes.append((i, code))
                    continue
                if 0xDC00 <= code < 0xE000 and codes:
                    first, high = codes.pop()
                    code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    i = first
                if code == 2:  # PDFium's mark for a hyphen that ends a line
                    code = 0x2D
                if not get_box(handle, i, box_ref):
                    raise PdfiumError("Failed to get charbox.")
                get_origin(handle, i, x_ref, y_ref)
                text_object = get_object(handle, i)
                size = sizes.get(text_object)
                if size is None:
                    get_matrix(handle, i, matrix_ref)
                    # the font size times the text matrix's scale: what pdfminer calls the size
                    size = get_font_size(handle, i) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
                    if text_object is not None:
                        sizes[text_object] = size
                x0, _, x1, _ = read_box(box)
                baseline = top - origin[1]
                chars.append(new_char((chr(code), x0 - left, x1 - left, baseline - 0.8 * size,
                                       baseline + 0.2 * size, float(size))))
        finally:
            textpage.close()
            page.close()
        return float(right - left), float(top - bottom), chars

    def has_graphics(self, index: int) -> bool:
        """Does the page draw images or paths (a scan, or text drawn as outlines)?"""
        import pypdfium2.raw as raw

        return any(obj.type in (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_PATH) for obj in self.pdf[index].get_objects())

    def render(self, index: int, dpi: int):
        return self.pdf[index].render(scale=dpi / 72).to_pil()

    def close(self):
        self.pdf.close()


def _bare(function, restype=None):
    """A C function of ``pypdfium2.raw`` without its argument types: ctypes then
    passes the arguments as they are (c_void_p, int, byref()), which must match
    the C signature; ``restype`` is the C return type (int when None)."""
    import ctypes

    return ctypes.CFUNCTYPE(restype or ctypes.c_int)(ctypes.cast(function, ctypes.c_void_p).value)


ENGINE_CLASSES = {"pdfplumber": PdfplumberEngine, "pdfium": PdfiumEngine}


def tesseract_languages() -> set[str]:
    """Languages of the installed tesseract; empty when tesseract is missing."""
    binary = shutil.which("tesseract")
    if not binary:
        return set()
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


_FULLWIDTH_PUNCTUATION = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}


def cjk_punctuation(text: str) -> str:
    """OCR reads Chinese punctuation as ASCII; next to a CJK character it is the full-width form.

    >>> cjk_punctuation("通知:各省,自治区(直辖市) and A, B")
    '通知：各省，自治区（直辖市） and A, B'
    """
    def repl(m):
        before, after = text[m.start() - 1] if m.start() else "", text[m.end()] if m.end() < len(text) else ""
        if (before and CJK_JOIN.match(before)) or (after and CJK_JOIN.match(after)):
            return _FULLWIDTH_PUNCTUATION[m.group()]
        return m.group()

    return re.sub(r"[,:;()?!]", repl, text)


def ocr_lines(image, languages: str, dpi: int) -> tuple[tuple[Line, ...], float]:
    """OCR one page image with tesseract -> (lines in PDF points, mean word confidence)."""
    with tempfile.TemporaryDirectory(prefix="extract-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        image.save(png)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        proc = subprocess.run(["tesseract", png, "stdout", "-l", languages, "--psm", "3", "tsv"],
                              capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    scale = 72 / dpi
    groups: dict[tuple, list] = {}
    boxes: dict[tuple, tuple] = {}
    for row in proc.stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level, key = int(cols[0]), tuple(int(c) for c in cols[2:5])
        left, top, width, height = (int(c) for c in cols[6:10])
        if level == 4:
            boxes[key] = (left, top, left + width, top + height)
        elif level == 5 and cols[11].strip() and float(cols[10]) >= 0:
            groups.setdefault(key, []).append((cols[11].strip(), float(cols[10])))
    lines, confidences = [], []
    for key, words in groups.items():
        text = ""
        for word, conf in words:
            text = _join(text, word) if not text or CJK.match(text[-1]) or CJK.match(word[0]) else text + " " + word
            confidences.append(conf)
        x0, top, x1, bottom = boxes.get(key, (0, 0, 0, 0))
        lines.append(Line(cjk_punctuation(text), x0 * scale, x1 * scale, top * scale, bottom * scale))
    lines.sort(key=lambda line: line.top)
    return tuple(lines), (statistics.mean(confidences) if confidences else 0.0)


# --------------------------------------------------------------------------- reading a PDF


def _page_text(lines) -> str:
    return "\n".join(line.text for line in lines)


def _describe(exc: BaseException) -> str:
    """One line for a library's exception; a wrapper (pdfplumber's
    PdfminerException) is described by what it wraps."""
    inner = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], BaseException) else None
    if inner is not None:
        exc = inner
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0]}" if lines else exc.__class__.__name__


def _needs_password(exc: BaseException) -> bool:
    """pdfminer's PDFPasswordIncorrect (wrapped by pdfplumber) or PDFium's password error."""
    inner = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], BaseException) else exc
    return inner.__class__.__name__ == "PDFPasswordIncorrect" or "password" in str(exc).lower()


def read_pdf(path: str, cfg, progress=None) -> tuple[list[Page], list[dict], str | None]:
    """Read every page of a PDF through the fallback chain.

    Returns the pages, one record per page ({"page", "engine", "reason"}: the
    engine that produced the page, or None, and why the primary engine was not
    used) and the OCR languages used. ``progress(seconds)`` is called before
    each OCR page to extend the caller's time budget.
    """
    engines, errors, locked = {}, [], False
    order = [cfg.engine] + ([e for e in ENGINES if e != cfg.engine] if cfg.fallback else [])

    def engine(name):
        """The engine ``name``, opened on first use (most documents never need
        the fallback); None when it cannot open the file."""
        nonlocal locked
        if name not in engines:
            try:
                engines[name] = ENGINE_CLASSES[name](path)
            except Exception as exc:  # every library has its own exception types for broken files
                engines[name] = None
                errors.append(f"{name}: {_describe(exc)}")
                locked = locked or _needs_password(exc)
        return engines[name]

    first = next((opened for name in order if (opened := engine(name)) is not None), None)
    if first is None and locked:
        raise DocumentError("encrypted: the PDF needs a password to be opened (a user password); "
                            "remove the password or leave the file out")
    if first is None:
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(0, os.fstat(f.fileno()).st_size - 1024))
            tail = f.read()
        if b"%PDF-" not in head:
            raise DocumentError("not a PDF: no %PDF- header in its first 1024 bytes")
        hint = ", probably truncated: no %%EOF at its end" if b"%%EOF" not in tail else ""
        raise DocumentError(f"not a readable PDF{hint} (" + "; ".join(errors) + ")")
    try:
        count = len(first)
        pages, records, pending = [], [], []
        for index in range(count):
            reasons, page, engine_used = [], None, None
            for name in order:
                if engine(name) is None:
                    continue
                try:
                    width, height, chars = engines[name].page(index)
                except Exception as exc:  # a broken page in one engine: the next engine may read it
                    reasons.append(f"{name}: error {exc.__class__.__name__}")
                    continue
                raw = "".join([c.text for c in chars])
                reason = garbled_reason(raw)
                lines = chars_to_lines(chars, width) if reason is None else ()
                if reason is None and lines:
                    page, engine_used = Page(width, height, lines), name
                    break
                reasons.append(f"{name}: {reason or 'no text'}")
                page = page or Page(width, height, ())
            records.append({"page": index + 1, "engine": engine_used,
                            "reason": "; ".join(reasons) if reasons else None})
            pages.append(page or Page(595.0, 842.0, ()))
            if engine_used is None:
                pending.append(index)
        ocr_used = None
        pdfium = engines.get("pdfium")
        if pending and pdfium is not None:
            blank = [i for i in pending if not pdfium.has_graphics(i) and all(
                r.endswith("no text") for r in records[i]["reason"].split("; "))]
            for i in blank:
                records[i]["reason"] = "blank page"
                records[i]["blank"] = True
            pending = [i for i in pending if i not in blank]
        if pending and cfg.fallback and cfg.ocr:
            ocr_used = _ocr_pages(pages, records, pending, pdfium, cfg, progress)
        return pages, records, ocr_used
    finally:
        for opened in engines.values():
            if opened is not None:
                opened.close()


def _ocr_pages(pages, records, pending, pdfium, cfg, progress) -> str | None:
    """OCR the pages in ``pending`` in place; returns the languages used."""
    installed = tesseract_languages()
    if pdfium is None or not installed:
        for i in pending:
            records[i]["reason"] += "; ocr: tesseract is not installed" if not installed else "; ocr: cannot render"
        return None
    languages = cfg.ocr_languages
    candidates = []
    if languages == "auto":
        script = detect_script("".join(line.text for page in pages for line in page.lines))
        by_script = {"zh-Hans": ["chi_sim+eng"], "zh-Hant": ["chi_tra+eng"], "en": ["eng"]}
        candidates = by_script.get(script, ["chi_sim+eng", "chi_tra+eng"])
        candidates = [c for c in candidates if set(c.split("+")) <= installed] or (["eng"] if "eng" in installed else [])
    elif set(languages.split("+")) <= installed:
        candidates = [languages]
    if not candidates:
        for i in pending:
            records[i]["reason"] += f"; ocr: tesseract has no data for {languages}"
        return None
    chosen = None
    for i in pending:
        if progress:
            progress(cfg.ocr_page_seconds * (len(candidates) if chosen is None else 1))
        image = pdfium.render(i, cfg.ocr_dpi)
        results = []
        for langs in ([chosen] if chosen else candidates):
            lines, confidence = ocr_lines(image, langs, cfg.ocr_dpi)
            results.append((confidence, langs, lines))
        confidence, langs, lines = max(results, key=lambda r: r[0])
        chosen = chosen or langs  # the first page decides between Simplified and Traditional
        text = _page_text(lines)
        reason = garbled_reason(text)
        if lines and reason is None:
            pages[i] = Page(pages[i].width, pages[i].height, lines)
            records[i]["engine"] = f"ocr:{langs}"
            records[i]["confidence"] = round(confidence, 1)
        else:
            records[i]["reason"] += f"; ocr: {reason or 'no text found'}"
    return chosen


# --------------------------------------------------------------------------- isolation


def _worker(send, function, args, memory_mb):
    """The child's side: cap the address space, run, send ("ok"|"failed", value)."""
    try:
        import resource

        # on top of what the process already holds: a pool worker that has
        # loaded jieba and spaCy (several hundred MB) gives each PDF the same room
        limit = memory_mb * 1024 * 1024 + _address_space()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ImportError, ValueError, OSError):
        pass  # no address-space limit on this platform; the timeout still applies
    try:
        result = ("ok", function(*args, progress=lambda seconds: send(("extend", seconds))))
    except DocumentError as exc:
        result = ("failed", str(exc))
    except MemoryError:
        result = ("failed", f"reading the PDF needed more than the memory cap of {memory_mb} MB "
                            f"(extract.memory_mb); stopped")
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        result = ("failed", f"internal error in extract: {exc.__class__.__name__}: {message}"[:500])
    try:
        send(result)
    except MemoryError:
        send(("failed", f"the result did not fit in the memory cap of {memory_mb} MB (extract.memory_mb)"))


def _address_space() -> int:
    """Bytes of address space this process holds now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_isolated(function, args: tuple, *, timeout: float, memory_mb: int):
    """Call ``function(*args, progress=...)`` in a forked child process with a
    wall-clock budget and an address-space cap; its DocumentError comes back
    as one, and so does a child over its budget or its memory cap.
    ``progress(seconds)`` called by the child extends the budget.

    The child is forked by the forker (:func:`pdf_forker`) when this process
    or the one it was forked from started one, else here. A plain fork (not
    multiprocessing), so that it also works inside daemonic pool workers,
    which multiprocessing does not let have children.
    """
    if not hasattr(os, "fork"):  # no fork (Windows): no isolation, same results
        return function(*args, progress=None)
    if _FORKER is not None:
        try:
            return _wait_for_child(function, args, timeout, memory_mb, forker=_FORKER)
        except _ForkerGone:
            pass  # fork here instead
    return _wait_for_child(function, args, timeout, memory_mb, forker=None)


class _ForkerGone(Exception):
    """The forker did not start a child (it has ended, or its fork failed)."""


def _wait_for_child(function, args, timeout, memory_mb, forker):
    import pickle
    import select
    import signal
    import socket
    import struct

    read_fd, write_fd = os.pipe()
    pid, own = None, forker is None  # own: a child of this process, which must reap it
    try:
        if own:
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(read_fd)
                    _child(write_fd, (function, args, memory_mb))
                finally:
                    os._exit(0)
        else:
            try:
                job = pickle.dumps((function, args, memory_mb), protocol=pickle.HIGHEST_PROTOCOL)
                socket.send_fds(forker, [job], [write_fd])
            except (OSError, pickle.PicklingError, AttributeError, TypeError):
                raise _ForkerGone() from None
    finally:
        os.close(write_fd)
    budget, deadline = timeout, time.monotonic() + timeout
    buffer, finished = bytearray(), False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DocumentError(f"reading the PDF took longer than its budget of {budget:g} s "
                                    f"(extract.timeout_seconds); stopped")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                finished = True
                if not own and pid is None:
                    raise _ForkerGone()
                how = "without a result"
                if own:
                    _, status = os.waitpid(pid, 0)
                    pid = None
                    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
                        f"exit code {os.WEXITSTATUS(status)}"
                raise DocumentError(f"the worker reading the PDF died ({how}); most likely it went over the "
                                    f"memory cap of {memory_mb} MB (extract.memory_mb)")
            buffer += chunk
            while len(buffer) >= 8 and len(buffer) >= 8 + struct.unpack("<Q", buffer[:8])[0]:
                size = struct.unpack("<Q", buffer[:8])[0]
                kind, value = pickle.loads(bytes(buffer[8:8 + size]))
                del buffer[:8 + size]
                if kind == "pid":
                    pid = value
                elif kind == "extend":
                    deadline += value
                    budget += value
                else:
                    finished = True
                    if kind == "ok":
                        return value
                    raise DocumentError(value)
    finally:
        os.close(read_fd)
        if own and pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        elif pid and not finished:  # the forker's child, still at work: over its budget, or we were interrupted
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _child(write_fd: int, job) -> None:
    """The forked child of one PDF: hold nothing of its parent's, say its pid,
    run the job ((function, args, memory_mb), or those pickled) and send the
    result. Never returns normally; the caller exits."""
    import gc
    import pickle
    import struct

    # the collector must not walk the heap inherited from the worker
    # (jieba, spaCy, the dictionary): collections in the child took
    # about a second per 40 PDFs, and touching those objects copies
    # their memory pages into the child
    gc.freeze()
    # hold nothing of the parent's: an inherited descriptor (the outputs
    # lock) must not outlive a killed parent; and die with the parent
    os.closerange(3, write_fd)
    os.closerange(write_fd + 1, 1 << 16)
    io.die_with_parent()

    def send(message):
        blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(struct.pack("<Q", len(blob)) + blob)
        while view:
            view = view[os.write(write_fd, view):]

    send(("pid", os.getpid()))
    try:
        function, args, memory_mb = pickle.loads(job) if isinstance(job, bytes) else job
    except Exception as exc:
        send(("failed", f"internal error in extract: cannot start the PDF's worker: {exc.__class__.__name__}: {exc}"))
        return
    _worker(send, function, args, memory_mb)


# ---------------------------------------------------------------- the forker

_FORKER = None  # this process's end of the socket to the forker, when one runs


@contextlib.contextmanager
def pdf_forker(engine: str, enabled: bool = True):
    """Run a forker for as long as the block runs: a small process, forked
    from this one before it loads anything big, that forks the child of each
    PDF (:func:`run_isolated`) for this process and for the pool workers
    forked from it later.

    Why: forking a worker that has loaded jieba, spaCy and the dictionary
    (250 MB) and reading a PDF in the child cost about 30 ms more per PDF
    than doing the same from a 30 MB process (page tables to copy, pages
    copied on write, a bigger address space to tear down). The forker also
    imports the PDF libraries itself, while this process loads the rest.

    Where fork or descriptor passing is missing it does nothing, and so it
    does when the forker fails: the children are forked here, as before.
    """
    import signal
    import socket

    global _FORKER
    if not enabled or _FORKER is not None or not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        yield
        return
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:
        yield
        return
    try:
        pid = os.fork()
    except OSError:  # no room for another process: each child is forked by its asker
        ours.close(), theirs.close()
        yield
        return
    if pid == 0:
        try:
            ours.close()
            _serve(theirs, engine)
        finally:
            os._exit(0)
    theirs.close()
    _FORKER = ours
    try:
        yield
    finally:
        _FORKER = None
        ours.close()
        try:
            os.kill(pid, signal.SIGKILL)  # it holds no work of its own: each PDF's child reports to its asker
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _serve(sock, engine: str) -> None:
    """The forker: for each job on ``sock`` (pickled bytes and the write end
    of the asker's pipe), fork a child that runs it (:func:`_child`)."""
    import signal
    import socket

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command, which ends this process
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    io.HELD_LOCKS.clear()
    io.die_with_parent()
    _import_engine_libraries(engine)
    while True:
        try:
            job, fds, _, _ = socket.recv_fds(sock, 1 << 20, 1)
        except InterruptedError:
            continue
        if not job and not fds:  # every asker has closed its end
            return
        _reap()
        if not fds:
            continue
        try:
            pid = os.fork()
        except OSError:
            pid = -1  # closing the pipe with no pid in it tells the asker to fork the child itself
        if pid == 0:
            try:
                sock.close()
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _child(fds[0], job)
            finally:
                os._exit(0)
        os.close(fds[0])


def _reap() -> None:
    """Collect the forker's children that have ended."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --------------------------------------------------------------------------- the stage


def _first_page(text: str, page_starts: list[int]) -> str:
    end = next((s for s in page_starts[1:] if s > page_starts[0]), len(text))
    return text[page_starts[0]:end] if end > page_starts[0] else text[:3000]


def preload(config) -> None:
    """Import what this stage imports on its first document (see
    ``runner.preload``): the PDF libraries, unless a forker (which imports
    them itself) forks the child of each PDF."""
    if _FORKER is None:
        _import_engine_libraries(config.extract.engine)


def _import_engine_libraries(engine: str) -> None:
    """Import the PDF libraries here, once, before the worker of each PDF is
    forked: the worker inherits them, instead of importing them again for
    every PDF (pdfplumber costs about 0.25 s, pypdfium2 0.08 s). pypdfium2 is
    always needed (fallback, blank pages, rendering for OCR); pdfplumber, the
    slower import, only when it reads first. A library that fails to import
    is left to the worker, which reports it as before."""
    try:
        import pypdfium2  # noqa: F401

        if engine == "pdfplumber":
            import pdfplumber  # noqa: F401
    except ImportError:
        pass


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    """Extract one document into text/<doc>.txt and .state/extract/<doc>.json."""
    cfg = config.extract
    source = Path(entry["path"])
    started = time.perf_counter()
    warnings = []
    records, ocr_languages = [], None
    if source.stat().st_size == 0:
        raise DocumentError("empty file (0 bytes)")
    if entry["suffix"] == ".txt":
        text, spans = text_to_paragraphs(read_text_file(source.read_bytes()), fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        page_starts, n_pages, engine = [0], 1, "text"
        metadata = find_metadata(text[:3000])
    else:
        if _FORKER is None:
            _import_engine_libraries(cfg.engine)
        pages, records, ocr_languages = run_isolated(read_pdf, (str(source), cfg), timeout=cfg.timeout_seconds,
                                                     memory_mb=cfg.memory_mb)
        n_pages, engine = len(pages), cfg.engine
        text, page_starts, spans = clean_pages(pages, header_band=cfg.header_band, footer_band=cfg.footer_band,
                                               fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        metadata = find_metadata(_first_page(text, page_starts))
    lost = [r for r in records if r["engine"] is None and not r.get("blank")]
    unreadable = [r["page"] for r in lost if not all(p.endswith("no text") for p in r["reason"].split("; ")[:2])]
    empty = [r["page"] for r in lost if r["page"] not in unreadable]
    if not text.strip():
        why = "; ".join(f"p.{r['page']}: {r['reason']}" for r in lost[:3])
        raise DocumentError(f"no extractable text in {n_pages} page(s)" + (f" ({why})" if why else ""))
    for r in lost:
        warnings.append(f"page {r['page']} left out: {r['reason']}")
    io.write_text(outputs / "text" / f"{doc_id}.txt", text + "\n")
    page_engines = [r["engine"] for r in records] if records else [engine]
    io.write_state(outputs / ".state" / "extract" / f"{doc_id}.json",
                   {"page_starts": page_starts, "paragraphs": spans, "metadata": metadata,
                    "page_engines": page_engines})
    return {
        "engine": engine,
        "pages": n_pages,
        "page_engines": page_engines,
        "fallbacks": [r for r in records if r["engine"] != engine and not r.get("blank")],
        "ocr_pages": [r["page"] for r in records if (r["engine"] or "").startswith("ocr")],
        "ocr_languages": ocr_languages,
        "unreadable_pages": unreadable,
        "empty_pages": empty,
        "blank_pages": [r["page"] for r in records if r.get("blank")],
        "metadata": metadata,
        "paragraphs": len(spans),
        "chars": len(text),
        "warnings": warnings,
        "seconds": round(time.perf_counter() - started, 3),
    }
