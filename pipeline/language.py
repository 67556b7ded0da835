"""Language resources below the stages: character classes, paragraphs,
stopwords, generic policy words, the background word table candidate terms
are ranked against, English lemmas, English lemma tokens and the project's
cache folder. Used by the segment and tag stages, the dictionary
(:mod:`pipeline.lexicon`) and :mod:`pipeline.chinese`; imports no stage.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from . import io

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
LATIN = re.compile(r"[A-Za-z]")
# jieba cuts a text into runs of these characters (its re_han_default) before
# it looks words up, so an alias holding anything else (brackets, spaces,
# punctuation: 核心基础零部件（元器件）) can never be one token.
JIEBA_WORD_CHARS = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
STOPWORDS_DIR = Path(__file__).resolve().parent / "lexicon"  # stopwords-<language>.txt, beside the dictionary

# One paragraph in each script and one in English: what the stages' preload()
# functions run on.
SAMPLE_TEXT = "推進兩化融合，發展智能製造。\n\n推进两化融合，发展智能制造。\n\nMade in China 2025."


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the blank-line separated paragraphs of a clean text.

    >>> paragraph_spans("一。\\n\\n\\n二。\\n")
    [(0, 2), (5, 7)]
    """
    spans, pos = [], 0
    for block in text.split("\n\n"):
        stripped = block.strip("\n")
        if stripped:
            s = pos + block.index(stripped)
            spans.append((s, s + len(stripped)))
        pos += len(block) + 2
    return spans


@functools.lru_cache(maxsize=None)
def cache_folder() -> Path:
    """The project's cache folder (jieba's prefix dictionary, the lemmas and
    the dictionary's index live here). Cached: lemma() asks for it on every
    new word."""
    return Path(__file__).resolve().parent.parent / ".cache"


@functools.lru_cache(maxsize=None)
def stopwords(language: str) -> frozenset[str]:
    """The stopword list of ``language`` (zh: Simplified and Traditional forms; en: lower case).

    >>> "的" in stopwords("zh"), "這些" in stopwords("zh"), "the" in stopwords("en")
    (True, True, True)
    """
    path = STOPWORDS_DIR / f"stopwords-{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@functools.lru_cache(maxsize=None)
def policy_words() -> frozenset[str]:
    """Generic words of Chinese policy prose (``stopwords-zh-policy.txt``):
    never a candidate new term on their own.

    >>> {"推进", "企业", "高端"} <= policy_words(), "人工智能" in policy_words()
    (True, False)
    """
    return stopwords("zh-policy")


# The background the candidate terms are ranked against: jieba's IDF table
# (jieba/analyse/idf.txt, the one jieba.analyse.extract_tags uses: an IDF per
# word, from document frequencies) and the part of speech of jieba's
# dictionary (jieba/dict.txt, third column). dict.txt's frequency column is
# not used: rare and recent words sit at its floor (新一代 3), while idf.txt
# still tells them apart (新一代 7.6, 人工智能 9.5).
GENERIC_IDF = 6.0  # below this IDF a word is in more than ~1 in 400 background documents: generic (发展 3.6, 创新 5.7)


@dataclass(frozen=True)
class Background:
    idf: dict  # word -> IDF
    pos: dict  # word -> part of speech (jieba's tag set: n, v, vn, d, ...)
    median: float  # the IDF of a word not in the table, as in jieba's extract_tags
    top: float  # the highest IDF in the table: a word of one background document


@functools.lru_cache(maxsize=None)
def background() -> Background:
    """jieba's IDF table and parts of speech (see above), read from the
    installed jieba package and pickled in the cache folder.

    >>> bg = background()
    >>> bg.idf["发展"] < GENERIC_IDF < bg.idf["人工智能"], bg.pos["推进"], bg.median > 11
    (True, 'v', True)
    """
    import importlib.util
    import statistics
    from importlib import metadata

    folder = Path(importlib.util.find_spec("jieba").origin).parent

    def build():
        idf, pos = {}, {}
        for line in (folder / "analyse" / "idf.txt").read_text(encoding="utf-8").splitlines():
            word, _, value = line.rpartition(" ")
            if word:
                idf[word] = float(value)
        for line in (folder / "dict.txt").read_text(encoding="utf-8").splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                pos.setdefault(parts[0], parts[2])
        return Background(idf, pos, statistics.median(idf.values()), max(idf.values()))

    return io.cached_pickle(cache_folder(), "background", io.sha256_text(metadata.version("jieba"), "2"), build)


@functools.lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The lemma of an English word without context, from lemminflect's
    tables (nouns first, as policy terms are mostly nouns); the lower-case
    word when it has none.

    >>> lemma("technologies"), lemma("Foundations"), lemma("Made"), lemma("2025")
    ('technology', 'foundation', 'make', '2025')
    """
    lower = word.lower()
    # Every entry of lemminflect's tables has an ASCII letter (a test pins
    # this): 中 or 2025 need not load them.
    if not lower.isalpha() or not LATIN.search(lower):
        return lower
    return lemma_table(str(cache_folder())).get(lower, lower)


LEMMA_UPOS = ("NOUN", "VERB", "ADJ", "ADV", "PROPN", "AUX")  # which of a word's lemmas lemma() takes


def lemminflect_lemma(lower: str) -> str:
    """lemma() of a lower-case word, asked of lemminflect itself."""
    import lemminflect

    found = lemminflect.getAllLemmas(lower)
    return next((found[upos][0] for upos in LEMMA_UPOS if upos in found), lower)


@functools.lru_cache(maxsize=None)
def lemma_table(cache_dir: str) -> dict[str, str]:
    """:func:`lemminflect_lemma` of every word in lemminflect's tables whose
    lemma is not the word itself. lemminflect parses its gzipped tables in
    every process; this table, built from them once and pickled in the cache
    folder, loads ten times faster."""
    from importlib import metadata

    def build():
        from lemminflect.core.Lemmatizer import Lemmatizer

        lemmatizer = Lemmatizer()
        # getAllLemmas looks a word up lower-cased, in the tables and their overrides
        words = {w.lower() for w in (*lemmatizer._getLemmaDict(), *lemmatizer._getOverridesDict())}
        return {w: lem for w in sorted(words) if (lem := lemminflect_lemma(w)) != w}

    key = io.sha256_text(metadata.version("lemminflect"), *LEMMA_UPOS)
    return io.cached_pickle(Path(cache_dir), "lemmas", key, build)


# An English token: a word, a number (4.0), or one punctuation character.
# Hyphens and dashes are no tokens, so "aero-engines" = "aero engines".
# A run of Han characters is one token: no English alias holds one, so the run
# only separates words, and a Chinese text need not be cut into characters.
EN_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"
                      r"|[A-Za-z]+|[0-9]+(?:\.[0-9]+)*|[^\sA-Za-z0-9\-\u2010-\u2014]")


def english_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, lemma) of the English tokens of ``text``: lower-case lemmas
    of words (lemminflect, as the segment stage), numbers and punctuation as they are.

    >>> [t[2] for t in english_tokens("Robots, robotics & aero-engines")]
    ['robot', ',', 'robotics', '&', 'aero', 'engine']
    """
    return [(m.start(), m.end(), lemma(m.group()) if m.group().isalpha() else m.group().lower())
            for m in EN_TOKEN.finditer(text)]


def token_boundaries(text: str, sentences) -> set[int] | None:
    """Offsets where a token of the segmentation starts or ends.

    ``sentences`` is ``[((start, end), [token, ...]), ...]`` (segmented/<doc>.txt
    with the sentence spans of .state/segment/); tokens are substrings of
    ``text`` in order. None when the tokens cannot be found (then every
    offset is allowed). The tagger keeps a dictionary term only where it
    starts and ends on these; kwic matches a word the same way.

    >>> sorted(token_boundaries("推進兩化融合。", [((0, 7), ["推進", "兩化融合", "。"])]))
    [0, 2, 6, 7]
    """
    out: set[int] = set()
    for (start, end), tokens in sentences:
        pos = start
        for token in tokens:
            if not token:
                continue
            k = text.find(token, pos, end)
            if k < 0:
                return None
            out.update((k, k + len(token)))
            pos = k + len(token)
    return out
