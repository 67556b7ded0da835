"""Paragraphs: the lines of all pages of a PDF (:func:`clean_pages`) or a
plain text (:func:`text_to_paragraphs`) -> clean text, one blank line
between paragraphs; running headers, footers and page numbers removed.
"""

from __future__ import annotations

import re
from collections import Counter

from .chars import CJK_JOIN, Line, Page, normalize_chars

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
DIGITS = re.compile(r"\d+")
# the start of a numbered or bulleted item: 1. 2) （一） 一、 • ...
LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)、．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|[•·▪●■-])")


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
