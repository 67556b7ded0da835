"""Paragraphs: the lines of all pages of a PDF (:func:`clean_pages`) or a
plain text (:func:`text_to_paragraphs`) -> clean text, one blank line
between paragraphs; running headers, footers and page numbers removed.
"""

from __future__ import annotations

import re
from collections import Counter

from .chars import CJK, CJK_JOIN, Line, Page, normalize_chars

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


# the end of a sentence or of a lead-in to a list, closing quotes and brackets allowed after it
SENTENCE_END = re.compile(r"[。！？!?.:：;；][」』”’）)\]】〕》\"']*$")
# the first unbreakable piece of a line: opening brackets, one CJK character or a run of
# Latin letters and digits, and the punctuation that may not start a line (a typesetter
# moves the whole piece down when it does not fit)
FIRST_PIECE = re.compile(r"[（(《「『“‘〔【\[]*(?:[A-Za-z0-9%.,\-]+|.)[，。、；：？！）》」』〕】”’,.;:?!)\]]*")


def _line_pitches(body: list[tuple[int, Line]]):
    """A function (page number, line height) -> the line pitch inside a paragraph on that page:
    the distance between the bottoms (the baselines, give or take the font's descent) of
    consecutive lines of that height.

    The page's own pitch is the lower quartile of its steps, not the median: on a page of
    one- and two-line items most steps cross a paragraph gap. A page with fewer than three
    steps of that height uses the whole document's; a height without steps the nearest
    height's within 2.5 pt, else the document's overall pitch.
    """
    steps: dict[tuple[int, int], list[float]] = {}
    for (pa, a), (pb, b) in zip(body, body[1:]):
        # a step smaller than the line's own height is not one line below another (table cells, marks)
        if (pa == pb and b.bottom - a.bottom >= 1.05 * (a.bottom - a.top)
                and round(a.bottom - a.top) == round(b.bottom - b.top)):
            steps.setdefault((pa, round(a.bottom - a.top)), []).append(b.bottom - a.bottom)
    by_height: dict[int, list[float]] = {}
    for (_, height), values in steps.items():
        by_height.setdefault(height, []).extend(values)

    def quartile(values):
        return sorted(values)[len(values) // 4]

    document = {h: quartile(v) for h, v in by_height.items() if len(v) >= 2}
    overall = quartile([v for values in by_height.values() for v in values]) if by_height else 0.0

    def pitch(number: int, height: float) -> float:
        values = steps.get((number, round(height)), ())
        if len(values) >= 3:
            return quartile(values)
        near = min(document, key=lambda h: abs(h - height), default=None)
        return document[near] if near is not None and abs(near - height) <= 2.5 else overall

    return pitch


def _ended_short(prev: Line, line: Line, right: float, size: float) -> bool:
    """Did ``prev`` stop short on purpose: would the first word of ``line`` (for
    CJK its first character, with the punctuation that may not start a line)
    have fitted between the end of ``prev`` and the column's right edge ``right``?
    A typesetter fills every line of a paragraph but the last, ragged or justified.

    >>> _ended_short(Line("之一。", 0, 30, 0, 10), Line("我们", 0, 20, 12, 22), 100, 10)
    True
    >>> _ended_short(Line("the big", 0, 85, 0, 10), Line("manufacturers of", 0, 80, 12, 22), 100, 10)
    False
    """
    text = line.text.strip()
    if not text:
        return False
    room = right - prev.x1
    if CJK.search(text):
        # CJK glyphs are one em wide, Latin letters and digits about half of one
        piece = FIRST_PIECE.match(text).group()
        need = sum(0.55 if ch.isascii() else 1.0 for ch in piece) * min(size, line.bottom - line.top)
    else:
        word = text.split()[0]
        need = (len(word) + 1) * (line.x1 - line.x0) / len(text)  # the word and a space, at this line's mean width
    return room > need + 0.25 * size


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
    pitch = _line_pitches(body)

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
            prev_height = prev_line.bottom - prev_line.top
            # a line in larger print (a heading) sits in the body's column: its right edge is at least the body's
            prev_right = max(margins(prev_height)[1], body_right) if prev_height > size else margins(prev_height)[1]
            prev_full = prev_line.x1 >= prev_right - 2 * size
            prev_text = prev_line.text.strip()
            # a gap: the step from the previous line clearly larger than the page's own line pitch
            # (by 0.4 of the text size, or by 0.3 of the pitch on a widely spaced page)
            line_pitch = pitch(number, prev_height)
            gapped = prev_number == number and (
                line.bottom - prev_line.bottom > line_pitch + max(0.4 * min(size, height), 0.3 * line_pitch))
            if heading and not prev_heading and prev_full and not gapped and abs(prev_height - height) < 1:
                heading = False  # the last line of a paragraph in large print, not a heading
            if indented and prev_full and not heading and (
                    abs(line.x0 - prev_line.x0) < 1 or LIST_ITEM.match(prev_text)):
                indented = False  # hanging indent: the continuation of a numbered item
            if heading or prev_heading:
                # a heading is its own paragraph; a long one may wrap onto a second line
                starts = not (heading and prev_heading and prev_number == number
                              and line.top - prev_line.bottom < 0.8 * height)
            else:
                starts = indented or gapped or _ended_short(prev_line, line, prev_right, size)
                if prev_number != number and not starts:
                    # across a page break there is no gap to see: a full last line ending a
                    # sentence and a new numbered item at the top of the next page
                    starts = SENTENCE_END.search(prev_text) is not None and bool(LIST_ITEM.match(line.text.strip()))
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
