"""Stage 3, segment: text/<doc>.txt -> segmented/<doc>.txt (one sentence per
line, tokens separated by one space, in the document's own script).

Chinese is converted to the analysis script (zh-Hans, jieba's dictionary) with
the same length, segmented by a project-owned jieba ``Tokenizer`` that knows
every dictionary alias as a word, and the tokens are cut from the original
text at the same offsets. English goes through a blank spaCy English pipeline.
Both produce spaCy ``Doc`` objects whose token ``norm_`` is the analysis form.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from pathlib import Path

from . import convert, io

NAME = "segment"
HAN = convert.HAN
# A sentence ends after 。！？；!? (and any closing quotes or brackets right after them).
SENTENCE_END = re.compile(r"[。！？；!?]+[」』”’）》】\)\]\"']*|(?<=[a-z0-9\)])\.(?=\s+[A-Z\"“(])")


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
    out = []
    for s, e in spans:
        while s < e and paragraph[s].isspace():
            s += 1
        while e > s and paragraph[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


@functools.lru_cache(maxsize=None)
def tokenizer(cache_dir: str, words: tuple[str, ...], hmm: bool):
    """A jieba Tokenizer of our own: its cache in the project's cache folder
    (not jieba's default file shared by every user in /tmp), every dictionary
    alias added as a word so no term is ever split."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    tk.tmp_dir = cache_dir
    tk.initialize()
    for word in words:
        tk.add_word(word, freq=max(tk.suggest_freq(word, tune=False), 100))
    return tk


@functools.lru_cache(maxsize=None)
def english():
    """A blank spaCy English pipeline with a rule-based sentencizer (no model download)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@functools.lru_cache(maxsize=None)
def _vocab():
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}}).vocab


def segment_chinese(original: str, analysis: str, tk, hmm: bool):
    """A spaCy Doc of ``original`` cut where jieba cuts ``analysis`` (same
    length); each token's ``norm_`` is its analysis form."""
    from spacy.tokens import Doc

    words, norms, spaces = [], [], []
    pos = 0
    for piece in tk.cut(analysis, HMM=hmm):
        start, end = pos, pos + len(piece)
        pos = end
        if piece.isspace():
            if spaces:
                spaces[-1] = True
            continue
        words.append(original[start:end])
        norms.append(piece)
        spaces.append(False)
    doc = Doc(_vocab(), words=words, spaces=spaces)
    for token, norm in zip(doc, norms):
        token.norm_ = norm
    return doc


def segment_text(text: str, script: str | None, config, words: tuple[str, ...] = ()) -> list[list[str]]:
    """Tokens of each sentence of ``text`` (one paragraph per blank-line block),
    in the text's own script. Pure apart from loading jieba and spaCy once.

    >>> from pipeline.config import Config
    >>> segment_text("推進兩化融合。", "zh-Hant", Config(), ("两化融合",))
    [['推進', '兩化融合', '。']]
    """
    return [tokens for _, tokens in _sentences_with_tokens(text, script, config, words)]


def _sentences_with_tokens(text, script, config, words):
    analysis = convert.to_analysis(text, script, config)
    tk = None
    out = []
    for para_start, para_end in paragraph_spans(text):
        paragraph = text[para_start:para_end]
        for s, e in split_sentences(paragraph):
            start, end = para_start + s, para_start + e
            sentence = text[start:end]
            if HAN.search(sentence):
                tk = tk or tokenizer(str(cache_folder()), words, config.segment.hmm)
                doc = segment_chinese(sentence, analysis[start:end], tk, config.segment.hmm)
            else:
                doc = english().make_doc(sentence)
            out.append(((start, end), [t.text for t in doc if not t.is_space]))
    return out


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the blank-line separated paragraphs of a clean text."""
    spans, pos = [], 0
    for block in text.split("\n\n"):
        stripped = block.strip("\n")
        if stripped:
            s = pos + block.index(stripped)
            spans.append((s, s + len(stripped)))
        pos += len(block) + 2
    return spans


def cache_folder() -> Path:
    """The project's cache folder (jieba's prefix dictionary lives here)."""
    return Path(__file__).resolve().parent.parent / ".cache"


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    from . import tag

    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    script = entry["stages"]["convert"]["script"]
    sentences = _sentences_with_tokens(text, script, config, tag.jieba_words(config))
    io.write_text(outputs / "segmented" / f"{doc_id}.txt",
                  "".join(" ".join(tokens) + "\n" for _, tokens in sentences))
    io.write_json(outputs / ".state" / "segment" / f"{doc_id}.json", {"sentences": [list(s) for s, _ in sentences]})
    return {"sentences": len(sentences), "tokens": sum(len(t) for _, t in sentences),
            "seconds": round(time.perf_counter() - started, 3)}
