"""Stage 3, segment: text/<doc>.txt -> segmented/<doc>.txt (one sentence per
line, tokens separated by one space, in the document's own script).

Chinese paragraphs are converted to the analysis script (zh-Hans, the script
of jieba's dictionary) with an offset map (:func:`pipeline.chinese.analysis_view`),
segmented by a project-owned jieba ``Tokenizer`` that knows every dictionary
alias as a word, and the tokens are cut from the original characters: a
Traditional text and its Simplified conversion get the same boundaries.
English paragraphs go through a blank spaCy English pipeline with a
sentencizer and a lemmatizer that needs no downloaded model (lemminflect).

The container is a spaCy ``Doc`` per paragraph: ``token.text`` is the original,
``token.norm_`` the analysis form (the Simplified word, or the lower-case
English word) and ``token.lemma_`` the lemma (English) or the analysis form.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from . import io
from .chinese import analysis_view
from .language import HAN, SAMPLE_TEXT, cache_folder, lemma, paragraph_spans, stopwords
from .lexicon import jieba_words

NAME = "segment"
# A Chinese sentence ends after 。！？； (and ASCII !?), with any closing quotes
# or brackets right after them; an English one at a full stop between a
# lower-case letter, digit or bracket and a capital (inside mixed paragraphs).
SENTENCE_END = re.compile(r"[。！？；!?]+[」』”’）》】〕\)\]\"']*|(?<=[a-z0-9\)])\.(?=\s+[A-Z\"“(])")


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) inside one paragraph, whitespace trimmed.

    >>> p = "推進兩化融合。「四基」是基礎！Then English. More."
    >>> [p[s:e] for s, e in split_sentences(p)]
    ['推進兩化融合。', '「四基」是基礎！', 'Then English.', 'More.']
    """
    spans, start = [], 0
    for match in SENTENCE_END.finditer(paragraph):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(paragraph)))
    return [t for t in (_trim(paragraph, s, e) for s, e in spans) if t]


def _trim(text: str, s: int, e: int) -> tuple[int, int] | None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if e > s else None


def _import_jieba():
    """jieba, imported without pkg_resources: jieba imports it only to open
    its own data files and, when it is missing, opens them from its folder
    (the same files). Importing pkg_resources was most of jieba's import."""
    import sys

    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    before = sys.modules.get("pkg_resources", ...)
    sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import jieba
    finally:
        if before is ...:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = before
    return jieba


@functools.lru_cache(maxsize=None)
def tokenizer(cache_dir: str, words: tuple[str, ...], hmm: bool):
    """A jieba Tokenizer of our own: every dictionary alias added as a word so
    no term is ever split, its prefix dictionary cached in the project's cache
    folder (not jieba's default file shared by every user in /tmp)."""
    from importlib import metadata

    jieba = _import_jieba()
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    dictionary = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME).stat()
    key = hashlib.sha256("\x00".join([metadata.version("jieba"), f"{dictionary.st_size} {dictionary.st_mtime_ns}",
                                        *words]).encode()).hexdigest()[:24]

    def build():
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        tk.tmp_dir = cache_dir
        tk.initialize()
        for word in words:
            tk.add_word(word, freq=max(tk.suggest_freq(word, tune=False), 100))
        return tk.FREQ, tk.total

    # jieba's own cache is a marshal file of the bare dictionary, and then every
    # alias has to be added; a pickle of the finished prefix dictionary (jieba's
    # FREQ and total after add_word) loads in less than half the time.
    tk.FREQ, tk.total = io.cached_pickle(Path(cache_dir), "jieba", key, build)
    tk.initialized = True
    return tk


def _lemmatize(doc):
    """Set the lemma of every word (not whitespace, not punctuation) with
    :func:`lemma`, through arrays: a Token object per token is slow."""
    import numpy
    from spacy.attrs import IS_PUNCT, IS_SPACE, LEMMA, ORTH

    strings = doc.vocab.strings
    values = [lem if space or punct else strings.add(lemma(strings[orth]))
              for orth, space, punct, lem in doc.to_array([ORTH, IS_SPACE, IS_PUNCT, LEMMA]).tolist()]
    doc.from_array([LEMMA], numpy.array(values, dtype=numpy.uint64))
    return doc


@functools.lru_cache(maxsize=None)
def english():
    """A blank spaCy English pipeline: rule-based sentencizer and a lookup
    lemmatizer (lemminflect's tables, ~1 MB; no model download)."""
    import spacy
    from spacy.language import Language

    if "policy_lemmatizer" not in Language.factories:
        Language.component("policy_lemmatizer", func=_lemmatize)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("policy_lemmatizer")
    return nlp


@functools.lru_cache(maxsize=None)
def _vocab():
    """The vocabulary of the Chinese Docs: what ``spacy.blank("zh")`` would
    make (spaCy's Chinese lexical attributes and stop words) without the
    blank pipeline's tokenizer, which is never used and slow to build."""
    from spacy.lang.zh import Chinese
    from spacy.vocab import create_vocab

    return create_vocab("zh", Chinese.Defaults)


def is_word(token) -> bool:
    """A token that counts as a word: not punctuation, not whitespace."""
    return _is_word(token.text, token.is_space, token.is_punct)


def _is_word(text: str, is_space, is_punct) -> bool:
    return not (is_punct or is_space or (len(text) == 1 and not text.isalnum()))


def is_keyword(token) -> bool:
    """A word that is not a stopword (by its analysis form or lemma)."""
    if not is_word(token):
        return False
    if HAN.search(token.text):
        return token.norm_ not in stopwords("zh")
    return token.lemma_ not in stopwords("en") and token.lower_ not in stopwords("en")


@dataclass
class Paragraph:
    """One paragraph as a spaCy Doc whose ``doc.text`` equals the paragraph,
    with its offset in the text and its sentences as token index ranges."""
    start: int
    doc: object  # spacy.tokens.Doc
    sentences: list  # [(first token, end token), ...]

    @functools.cached_property
    def text(self) -> str:
        """``doc.text``, joined once: spaCy joins every token again on each call."""
        return self.doc.text

    @functools.cached_property
    def columns(self) -> tuple[list[str], list[int], list[int], list[int]]:
        """Text, start offset, is_space and is_punct of every token, read from
        the Doc in one call: ``for token in doc`` makes a Token object per
        token, too slow to repeat for every question about the paragraph."""
        from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH

        rows = self.doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT]).tolist()
        return ([self.text[i:i + n] for i, n, _, _ in rows], [i for i, _, _, _ in rows],
                [space for _, _, space, _ in rows], [punct for _, _, _, punct in rows])

    def sentence_spans(self) -> list[tuple[int, int]]:
        """(start, end) offsets of the sentences in the whole text (whitespace trimmed)."""
        words, starts, _, _ = self.columns
        out = []
        for i, j in self.sentences:
            if i < j:
                s, e = starts[i], starts[j - 1] + len(words[j - 1])
            else:  # never made by analyse(); as spaCy's empty Span would have it
                s, e = self.doc[i:j].start_char, self.doc[i:j].end_char
            trimmed = _trim(self.text, s, e)
            out.append((self.start + trimmed[0], self.start + trimmed[1]))
        return out

    def sentence_tokens(self) -> list[list[str]]:
        words, _, spaces, _ = self.columns
        return [[words[k] for k in range(i, j) if not spaces[k]] for i, j in self.sentences]

    def counts(self) -> tuple[int, int]:
        """(tokens, words): the tokens that are not whitespace, and the words
        among them (as :func:`is_word`)."""
        words, _, spaces, puncts = self.columns
        return len(words) - sum(spaces), sum(map(_is_word, words, spaces, puncts))


def _cut(analysis: str, view, a0: int, tk, hmm: bool) -> list[tuple[int, int, str]]:
    """(start, end, analysis form) of jieba's tokens of ``analysis`` (which
    starts at converted offset ``a0``), as original offsets: a cut inside a
    phrase whose conversion changed length moves to the phrase's edge."""
    pieces = list(tk.cut(analysis, HMM=hmm))
    if view.same_length:
        out, pos = [], a0
        for piece in pieces:
            out.append((pos, pos + len(piece), piece))
            pos += len(piece)
        return out
    cuts, pos = [a0], a0
    for piece in pieces:
        pos += len(piece)
        if view.is_boundary(pos) or pos == a0 + len(analysis):
            cuts.append(pos)
    out = []
    for k in range(len(cuts) - 1):
        s, e = view.to_original(cuts[k], cuts[k + 1])
        if e > s:
            out.append((s, e, view.converted[cuts[k]:cuts[k + 1]]))
    return out


def _chinese_paragraph(text: str, start: int, end: int, view, tk, hmm: bool) -> Paragraph:
    """A Chinese (or mixed) paragraph: sentences by punctuation, Han sentences
    by jieba on the analysis text, Latin-only sentences by spaCy's English tokenizer."""
    import numpy
    from spacy.attrs import LEMMA, NORM
    from spacy.tokens import Doc

    paragraph = text[start:end]
    words, spaces, norms, lemmas, sentences = [], [], [], [], []
    pos = start

    def add(s: int, e: int, norm: str, lem: str | None = None):
        nonlocal pos
        if s > pos:  # whitespace between tokens
            gap = text[pos:s]
            if gap == " " and words and not spaces[-1]:
                spaces[-1] = True
            else:
                words.append(gap), spaces.append(False), norms.append(gap), lemmas.append(gap)
        words.append(text[s:e]), spaces.append(False), norms.append(norm), lemmas.append(lem or norm)
        pos = e

    for s, e in split_sentences(paragraph):
        s, e = start + s, start + e
        first = len(words)
        if HAN.search(text, s, e):
            a0, a1 = view.to_converted(s, e)
            analysis = view.converted[a0:a1]
            for ts, te, norm in _cut(analysis, view, a0, tk, hmm):
                if not norm.isspace():
                    add(ts, te, norm)
        else:
            for token in english().tokenizer(text[s:e]):
                if not token.is_space:
                    ts = s + token.idx
                    add(ts, ts + len(token.text), token.lower_, lemma(token.text))
        sentences.append((first, len(words)))
    if pos < end:
        gap = text[pos:end]
        words.append(gap), spaces.append(False), norms.append(gap), lemmas.append(gap)
    doc = Doc(_vocab(), words=words, spaces=spaces)
    # Lemmas and norms in one from_array call (setting them token by token
    # makes a Token object each); a norm of 0 keeps the word's own norm.
    add = doc.vocab.strings.add
    values = [(add(lem), add(norm) if norm != word else 0) for word, norm, lem in zip(words, norms, lemmas)]
    doc.from_array([LEMMA, NORM], numpy.array(values, dtype=numpy.uint64).reshape(-1, 2))
    return Paragraph(start, doc, _fix_first(sentences, doc))


def _fix_first(sentences, doc):
    """Sentence token ranges without leading whitespace tokens."""
    out = []
    for i, j in sentences:
        while i < j and doc[i].is_space:
            i += 1
        out.append((i, j))
    return out


def _english_paragraph(text: str, start: int, end: int) -> Paragraph:
    from spacy.attrs import LOWER, NORM

    doc = english()(text[start:end])
    sentences = []
    for sent in doc.sents:
        i, j = sent.start, sent.end
        while i < j and doc[i].is_space:
            i += 1
        while j > i and doc[j - 1].is_space:
            j -= 1
        if j > i:
            sentences.append((i, j))
    doc.from_array([NORM], doc.to_array([LOWER]))  # norm_ = lower_, for all tokens at once
    return Paragraph(start, doc, sentences)


def analyse(text: str, script: str | None, config, words: tuple[str, ...] = ()) -> list[Paragraph]:
    """The paragraphs of ``text`` as spaCy Docs with sentences. Pure apart from
    loading jieba and spaCy once. ``script`` is the document's (it decides
    paragraphs without script-specific characters); ``words`` are the
    dictionary aliases in the analysis script."""
    view = None
    out = []
    for start, end in paragraph_spans(text):
        if HAN.search(text, start, end):
            if view is None:
                view = analysis_view(text, script, config)
                tk = tokenizer(str(cache_folder()), words, config.segment.hmm)
            out.append(_chinese_paragraph(text, start, end, view, tk, config.segment.hmm))
        else:
            out.append(_english_paragraph(text, start, end))
    return out


def segment_text(text: str, script: str | None, config, words: tuple[str, ...] = ()) -> list[list[str]]:
    """Tokens of each sentence of ``text`` (one paragraph per blank-line block),
    in the text's own script.

    >>> from pipeline.config import Config
    >>> segment_text("推進兩化融合。", "zh-Hant", Config(), ("两化融合",))
    [['推進', '兩化融合', '。']]
    """
    return [tokens for p in analyse(text, script, config, words) for tokens in p.sentence_tokens()]


def sentences_with_tokens(text: str, script: str | None, config, words: tuple[str, ...] = ()):
    """[((start, end), [token, ...]), ...] for every sentence of ``text``."""
    out = []
    for p in analyse(text, script, config, words):
        out.extend(zip(p.sentence_spans(), p.sentence_tokens()))
    return out


def preload(config) -> None:
    """Load what this stage loads on its first document: spaCy, jieba's
    dictionary with every alias, OpenCC (see ``runner.preload``)."""
    for script in ("zh-Hant", "zh-Hans"):
        analyse(SAMPLE_TEXT, script, config, jieba_words(config))


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    script = entry["stages"]["convert"]["script"]
    paragraphs = analyse(text, script, config, jieba_words(config))
    lines, spans, tokens, words = [], [], 0, 0
    for p in paragraphs:
        spans.extend(p.sentence_spans())
        lines.extend(" ".join(sentence) + "\n" for sentence in p.sentence_tokens())
        counts = p.counts()
        tokens, words = tokens + counts[0], words + counts[1]
    io.write_text(outputs / "segmented" / f"{doc_id}.txt", "".join(lines))
    io.write_state(outputs / ".state" / "segment" / f"{doc_id}.json", {"sentences": [list(s) for s in spans]})
    return {"sentences": len(spans), "tokens": tokens, "words": words,
            "seconds": round(time.perf_counter() - started, 3)}
