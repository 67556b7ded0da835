"""Concordances (keyword in context) and document × item matrices, below the
stages: pure functions over a document's text, its segmentation and its
mentions. Used by the ``kwic`` and ``matrix`` commands; imports no stage.

A concordance line is where a concept is mentioned (any alias, any script,
from tags/) or where any other word occurs in text/. A word is looked for in
the text folded into the analysis script (zh-Hans, as the tagger reads it),
so 工業互聯網 finds 工业互联网 and the other way round; a match must start
and end on a token boundary of the segmentation (segmented/), so 互联 does
not match inside the token 互联网. English words match whole words, any case.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from . import chinese
from .language import HAN, LATIN
from .lexicon import FOLDINGS  # the folds the dictionary applies to its aliases



def find_concept(lexicon, term: str) -> str | None:
    """The concept ``term`` names: its id, a label or alias in any script, or
    an English wording (any case or inflection); None when it names none.

    >>> from pipeline.config import Config
    >>> from pipeline.lexicon import load_lexicon
    >>> lex = load_lexicon(Config())
    >>> find_concept(lex, "兩化融合"), find_concept(lex, "两化融合"), find_concept(lex, "Smart Manufacturing")
    ('informatisation_industrialisation_integration', 'informatisation_industrialisation_integration', 'smart_manufacturing')
    >>> find_concept(lex, "four_foundations"), find_concept(lex, "互联")
    ('four_foundations', None)
    """
    from .lexicon import english_lookup, fold

    term = term.strip()
    if term in lexicon.concepts:
        return term
    for form in sorted(fold(term)):
        if form in lexicon.zh:
            return lexicon.zh[form]
    if LATIN.search(term) and not HAN.search(term):
        cid = english_lookup(lexicon, term)
        if cid:
            return cid
    for cid, c in lexicon.concepts.items():
        if term.lower() in (c.zh_hant, c.zh_hans, c.en.lower()):
            return cid
    return None


def word_forms(term: str) -> list[str]:
    """The forms of a word looked for in a text folded into zh-Hans: the word
    under each Traditional folding (Hong Kong, Taiwan, general).

    >>> word_forms("工業互聯網"), word_forms("工业互联网"), word_forms("robots")
    (['工业互联网'], ['工业互联网'], ['robots'])
    """
    return sorted({chinese.analysis_converter(name)(term) for name in FOLDINGS})


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not HAN.match(ch)


def find_word(text: str, folded: str, term: str, *, boundaries: set[int] | None = None) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of ``term`` in ``text``. ``folded`` is
    ``text`` in the analysis script, character for character
    (:func:`pipeline.chinese.to_analysis`). A match must start and end on
    ``boundaries`` when given (token boundaries), and never inside a Latin
    word or number; Latin letters match in any case.

    >>> text = "發展工業互聯網。互联网和robots, Robots."
    >>> folded = "发展工业互联网。互联网和robots, Robots."
    >>> find_word(text, folded, "工业互联网"), find_word(text, folded, "ROBOT")
    ([(2, 7)], [])
    >>> find_word(text, folded, "互联网"), find_word(text, folded, "互联网", boundaries={0, 2, 7, 8, 11, 12})
    ([(4, 7), (8, 11)], [(8, 11)])
    >>> find_word(text, folded, "robots"), find_word("İ robots", "İ robots", "Robots")
    ([(12, 18), (20, 26)], [(2, 8)])
    """
    term = term.strip()
    if not term:
        return []
    flags = re.IGNORECASE if LATIN.search(term) else 0  # not lower(): it can change a text's length (İ)
    found = set()
    for form in word_forms(term):
        for m in re.finditer(re.escape(form), folded, flags):
            start, end = m.start(), m.end()
            if boundaries is not None and not (start in boundaries and end in boundaries):
                continue
            if (start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start])) or \
                    (end < len(text) and _is_word_char(text[end]) and _is_word_char(text[end - 1])):
                continue
            found.add((start, end))
    return sorted(found)


def context(text: str, start: int, end: int, *, chars: int = 30) -> tuple[str, str, str]:
    """Left context, match and right context, ``chars`` characters either
    side, whitespace folded to one space.

    >>> context("我们要推进\\n智能制造。后来", 6, 10, chars=3)
    ('推进 ', '智能制造', '。后来')
    """
    fold = lambda s: re.sub(r"\s+", " ", s)  # noqa: E731
    return fold(text[max(0, start - chars):start]), fold(text[start:end]), fold(text[end:end + chars])


def position(start: int, sentences: list, page_starts: list) -> tuple[int | str, int | str]:
    """(page, sentence) of an offset: the page is 1-based, the sentence the
    0-based index in ``segmented/<doc>.txt``; "" when unknown.

    >>> position(12, [(0, 5), (5, 15)], [0, 10]), position(3, [], [])
    ((2, 1), (1, ''))
    """
    page = max(1, bisect.bisect_right(page_starts, start)) if page_starts else 1
    if not sentences:
        return page, ""
    k = bisect.bisect_right([s for s, _ in sentences], start) - 1
    return page, max(k, 0)


def width(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide characters two.

    >>> width("abc"), width("中国制造"), width("（中）")
    (3, 8, 6)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad_left(text: str, columns: int) -> str:
    return " " * (columns - width(text)) + text


def _pad_right(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def aligned(lines: list[dict]) -> list[str]:
    """Concordance lines as text: where, then the left context right-aligned
    and the match in brackets, so the matches form one column.

    >>> rows = [{"doc": "a", "group": "2015", "page": 1, "sentence": 3, "left": "推进", "match": "智能制造", "right": "。"},
    ...         {"doc": "bb", "group": "", "page": 2, "sentence": 10, "left": "make ", "match": "robots", "right": ""}]
    >>> print("\\n".join(aligned(rows)))
    a  2015 p.1 s.3   推进 [智能制造] 。
    bb      p.2 s.10 make  [robots]
    """
    where = [(str(r["doc"]), str(r["group"]), f"p.{r['page']} s.{r['sentence']}") for r in lines]
    cols = [max((width(w[i]) for w in where), default=0) for i in range(3)]
    left = max((width(r["left"]) for r in lines), default=0)
    return [" ".join(_pad_right(w[i], cols[i]) for i in range(3)) + " " + _pad_left(r["left"], left)
            + (f" [{r['match']}] " + r["right"]).rstrip() for w, r in zip(where, lines)]


def matrix_market(cells: dict, n_rows: int, n_cols: int, *, comment: str = "") -> str:
    """A sparse integer matrix in the Matrix Market coordinate format (what
    R's ``Matrix::readMM`` and ``scipy.io.mmread`` read): ``cells`` maps
    0-based (row, column) to a count; zeros are left out, entries sorted, no
    timestamp, so a rerun writes the same bytes.

    >>> print(matrix_market({(1, 0): 2, (0, 2): 1, (0, 1): 0}, 2, 3, comment="rows: a.rows.txt"), end="")
    %%MatrixMarket matrix coordinate integer general
    %rows: a.rows.txt
    2 3 2
    1 3 1
    2 1 2
    """
    entries = sorted((r, c, n) for (r, c), n in cells.items() if n)
    lines = ["%%MatrixMarket matrix coordinate integer general",
             *(f"%{line}" for line in comment.splitlines()), f"{n_rows} {n_cols} {len(entries)}",
             *(f"{r + 1} {c + 1} {n}" for r, c, n in entries)]
    return "\n".join(lines) + "\n"
