"""Characters and lines: the glyphs an engine reads (:class:`Char`), the
lines of a page in reading order (:class:`Line`, :class:`Page`,
:func:`chars_to_lines`) and the repair of compatibility characters
(:func:`normalize_chars`).
"""

from __future__ import annotations

import functools
import itertools
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from .radicals import EQUIVALENT_UNIFIED_IDEOGRAPH

# CJK ideographs, kana, CJK punctuation and full-width forms: no space between them.
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                 r"\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")
# the same without full-width Latin letters and digits, which join like Latin
CJK_JOIN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                      r"\uf900-\ufaff\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uffef\U00020000-\U0003134f]")
CID = re.compile(r"\(cid:\d+\)")


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


def normalize_chars(text: str, *, fullwidth_to_ascii: bool = True) -> str:
    """Map CJK radicals (Kangxi Radicals and the Radicals Supplement) and CJK
    compatibility ideographs to unified characters, Latin ligatures (ﬁ) to
    their letters, and (optionally)
    full-width Latin letters and digits to ASCII. CJK punctuation such as
    ，。（）is kept.

    >>> normalize_chars("⼯業 ２０２５ Ｏｐｔｉｍｉｚａｔｉｏｎ，")
    '工業 2025 Optimization，'
    >>> normalize_chars("⻅⻆⻄⻓ \uf900")
    '见角西长 豈'
    """
    return text.translate(_normalize_table(fullwidth_to_ascii))


@functools.lru_cache(maxsize=None)
def _normalize_table(fullwidth_to_ascii: bool) -> dict[int, str]:
    """The str.translate table of :func:`normalize_chars`: each character is
    mapped on its own, so one table lookup per character does it."""
    table = {}
    # NFKC maps the Kangxi radicals and the compatibility ideographs, but only
    # two of the Radicals Supplement: Unicode's Equivalent_Unified_Ideograph
    # property maps the rest (a radical without an equivalent stays)
    # Latin ligatures (ﬁ ﬂ ﬀ, U+FB00-FB06), which some engines read as one character, too
    for low, high in ((0x2E80, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F), (0xFB00, 0xFB06)):
        for code in range(low, high + 1):
            if code in EQUIVALENT_UNIFIED_IDEOGRAPH:
                table[code] = chr(EQUIVALENT_UNIFIED_IDEOGRAPH[code])
            elif (nfkc := unicodedata.normalize("NFKC", chr(code))) != chr(code):
                table[code] = nfkc
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
