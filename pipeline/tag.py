"""Stage 4, tag: text/<doc>.txt -> tags/<doc>.jsonl, one strategy-term mention per line.

The dictionary (:mod:`pipeline.lexicon`) indexes every alias in the analysis
script (Chinese aliases folded with every Traditional configuration, so a
term is found whatever script or regional variant a document uses) and by
English lemma key. Matching runs on the document's analysis-script text, which
has the same length as the original, so offsets point into text/<doc>.txt
unchanged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import io
from .chinese import to_analysis
from .language import HAN, SAMPLE_TEXT, english_tokens, lemma, stopwords
from .lexicon import END, Lexicon, english_key, load_lexicon

NAME = "tag"

# Characters a Chinese match may step over inside a term (never at its start or
# end): spaces that PDF extraction leaves between CJK characters and digits
# (中國製造 2025), and quotation marks put around a numeral (「五」大工程).
SKIPPABLE = frozenset(" \u3000「」『』“”‘’\"'")


def token_boundaries(text: str, sentences) -> set[int] | None:
    """Offsets where a token of the segmentation starts or ends.

    ``sentences`` is ``[((start, end), [token, ...]), ...]`` (segmented/<doc>.txt
    with the sentence spans); tokens are substrings of ``text`` in order. None
    when the tokens cannot be found (then no candidate is rejected).

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


def candidates(text: str, analysis: str, lexicon: Lexicon) -> list[tuple[int, int, str, bool]]:
    """Every dictionary match in ``text``: (start, end, concept, whole) where
    ``whole`` says the surface is a dictionary word as it stands (segmentation
    keeps it in one token). Chinese on ``analysis`` through the trie, English on
    ``text`` by lemma sequences."""
    assert len(text) == len(analysis)
    out = []
    trie, n = lexicon.trie, len(analysis)
    # Walk the trie only from characters that start an alias: most characters
    # of a document (all of an English one) start none.
    for first in lexicon.starts.finditer(analysis) if lexicon.starts else ():
        i = first.start()
        node = trie[first.group()]
        j, skipped = i + 1, False
        while node is not None:
            if END in node:
                cid, word = node[END]
                out.append((i, j, cid, not skipped and word))
            if j >= n:
                break
            ch = analysis[j]
            if ch in node:
                node, j = node[ch], j + 1
            elif ch in SKIPPABLE:
                skipped, j = True, j + 1
                while j < n and analysis[j] in SKIPPABLE:
                    j += 1
                node = node.get(analysis[j]) if j < n else None
                j += 1
            else:
                break
    if lexicon.en:
        tokens = english_tokens(text)
        en, prefixes = lexicon.en, lexicon.en_prefixes
        for i in range(len(tokens)):
            # Grow the lemma sequence from token i only while it can still
            # begin a key (most stop at once); the longest match goes first.
            key, found = tokens[i][2], []
            for j in range(i, min(i + lexicon.en_max, len(tokens))):
                if j > i:
                    key += " " + tokens[j][2]
                if key not in prefixes:
                    break
                cid = en.get(key)
                if cid:
                    found.append((tokens[i][0], tokens[j][1], cid, True))
            out.extend(reversed(found))
    return out


def match(text: str, analysis: str, lexicon: Lexicon, boundaries: set[int] | None = None):
    """(mentions, rejected): the longest candidates first, never overlapping.

    A candidate that is not a dictionary word as it stands and starts or ends
    inside a token of the segmentation (``boundaries``) is rejected
    (``"reason": "segmentation"``); so is one that fails its concept's coding
    rule (``"reason": "rule"``: a ``near`` word missing or a ``not_near`` word
    present within ``within`` characters of it), before the longest match is
    chosen, so that a shorter term inside it may still count.

    >>> from pipeline.config import Config
    >>> lex = load_lexicon(Config())
    >>> text = "扫地机器人，以及工业和服务领域的机器人"  # 机器人: not_near 扫地 within 10 characters
    >>> mentions, rejected = match(text, text, lex)
    >>> [m["start"] for m in mentions], [(r["start"], r["reason"]) for r in rejected]
    ([16], [(2, 'rule')])
    """
    found, rejected = [], []
    rules = lexicon.rules or {}
    for start, end, cid, whole in candidates(text, analysis, lexicon):
        if not whole and boundaries is not None and not (start in boundaries and end in boundaries):
            rejected.append({"concept": cid, "surface": text[start:end], "start": start, "end": end,
                             "reason": "segmentation"})
        elif cid in rules and not rules[cid].admits(analysis[max(0, start - rules[cid].within):start],
                                                     analysis[end:end + rules[cid].within]):
            rejected.append({"concept": cid, "surface": text[start:end], "start": start, "end": end,
                             "reason": "rule"})
        else:
            found.append((start, end, cid))
    taken = bytearray(len(text) + 1)
    mentions = []
    for start, end, cid in sorted(found, key=lambda c: (c[0] - c[1], c[0], c[2])):
        if not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            mentions.append({"concept": cid, "surface": text[start:end], "start": start, "end": end})
    mentions.sort(key=lambda m: m["start"])
    # a candidate inside a longer mention was no mention whatever its rule says, and one inside a
    # longer candidate turned down by a rule is the same use turned down once (先进制造 in 先进制造业)
    starts = [m["start"] for m in mentions]
    kept, reach = [], -1
    for r in sorted(rejected, key=lambda r: (r["start"], -r["end"])):
        if r["reason"] == "rule":
            if r["end"] <= reach or _inside(r, mentions, starts):
                continue
            reach = r["end"]
        kept.append(r)
    return mentions, kept


def _inside(candidate: dict, mentions: list[dict], starts: list[int]) -> bool:
    """Whether a mention (``mentions`` in text order, ``starts`` their starts) holds ``candidate``'s span."""
    import bisect

    k = bisect.bisect_right(starts, candidate["start"]) - 1
    return k >= 0 and mentions[k]["end"] >= candidate["end"]


def tag_text(text: str, analysis: str, lexicon: Lexicon, boundaries: set[int] | None = None) -> list[dict]:
    """Mentions in ``text``: longest match first, never overlapping.

    ``analysis`` is ``text`` in the analysis script (same length). Returns
    dicts with concept, surface, start, end (offsets into ``text``).

    >>> from pipeline.config import Config
    >>> lex = load_lexicon(Config())
    >>> [(m["concept"], m["surface"]) for m in tag_text("推進智能製造工程", "推进智能制造工程", lex)]
    [('smart_manufacturing_project', '智能製造工程')]
    >>> [m["surface"] for m in tag_text("Robots and robotics", "Robots and robotics", lex)]
    ['Robots']
    """
    return match(text, analysis, lexicon, boundaries)[0]


def locate(mentions: list[dict], paragraphs, sentences, page_starts) -> list[dict]:
    """Add paragraph, sentence (0-based indexes) and page (1-based) to mentions."""
    import bisect

    para_starts = [s for s, _ in paragraphs]
    sent_starts = [s for s, _ in sentences]
    for m in mentions:
        m["paragraph"] = max(0, bisect.bisect_right(para_starts, m["start"]) - 1)
        m["sentence"] = max(0, bisect.bisect_right(sent_starts, m["start"]) - 1)
        m["page"] = max(1, bisect.bisect_right(page_starts, m["start"]))
    return mentions


def _read_sentences(doc_id: str, spans: list, outputs: Path):
    """[((start, end), [token, ...]), ...] from the segment stage's sentence
    ``spans`` and segmented/<doc>.txt; None when they do not line up."""
    lines = (outputs / "segmented" / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n")[:len(spans)]
    if len(lines) != len(spans):
        return None
    return [(tuple(span), line.split(" ")) for span, line in zip(spans, lines)]


def preload(config) -> None:
    """Load what this stage loads on its first document: the dictionary and
    the analysis conversions (see ``runner.preload``)."""
    lexicon = load_lexicon(config)
    for script in ("zh-Hant", "zh-Hans"):
        match(SAMPLE_TEXT, to_analysis(SAMPLE_TEXT, script, config), lexicon, None)


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    script = entry["stages"]["convert"]["script"]
    lexicon = load_lexicon(config)
    spans = io.read_json(outputs / ".state" / "segment" / f"{doc_id}.json")["sentences"]
    sentences = _read_sentences(doc_id, spans, outputs)
    boundaries = token_boundaries(text, sentences) if sentences is not None else None
    analysis = to_analysis(text, script, config)
    mentions, rejected = match(text, analysis, lexicon, boundaries)
    by_rule = [r for r in rejected if r["reason"] == "rule"]
    rejected = [r for r in rejected if r["reason"] != "rule"]
    ruled_out: dict[str, int] = {}  # concept -> candidates its coding rule turned down
    for r in by_rule:
        ruled_out[r["concept"]] = ruled_out.get(r["concept"], 0) + 1
    extracted = io.read_json(outputs / ".state" / "extract" / f"{doc_id}.json")
    locate(mentions, extracted["paragraphs"], spans, extracted["page_starts"])
    keys = ("concept", "surface", "start", "end", "paragraph", "sentence", "page")
    io.write_text(outputs / "tags" / f"{doc_id}.jsonl",
                  "".join(json.dumps({k: m[k] for k in keys}, ensure_ascii=False) + "\n" for m in mentions))
    concepts: dict[str, int] = {}
    for m in mentions:
        concepts[m["concept"]] = concepts.get(m["concept"], 0) + 1
    io.write_state(outputs / ".state" / "tag" / f"{doc_id}.json", {
        "concepts": concepts, "ruled_out": ruled_out,
        "candidates": doc_candidates(text, analysis, sentences or [], mentions, lexicon)})
    return {"mentions": len(mentions), "concepts": len({m["concept"] for m in mentions}),
            "rejected": len(rejected), "rejected_surfaces": sorted({r["surface"] for r in rejected})[:20],
            "ruled_out": {k: ruled_out[k] for k in sorted(ruled_out)},
            "segmentation": boundaries is not None, "seconds": round(time.perf_counter() - started, 3)}


# --- corpus-level reports: outputs/concepts_not_found.csv and outputs/candidates.csv -------------------------------

def not_found(lexicon: Lexicon, counts: dict) -> list[list[str]]:
    """Rows (id, category, parent, zh_hant, zh_hans, en) of concepts with no mention, in dictionary order."""
    return [[c.id, c.category, c.parent, c.zh_hant, c.zh_hans, c.en]
            for c in lexicon.concepts.values() if not counts.get(c.id)]


def _candidate_key(token: str, analysis: str) -> str | None:
    """The analysis form a candidate word is counted under, or None for a non-word,
    a stopword, a number or a single Han character."""
    if HAN.search(token):
        if len(token) < 2 or analysis in stopwords("zh") or token in stopwords("zh"):
            return None
        return analysis
    if not token.isalpha() or len(token) < 3:
        return None
    key = lemma(token)
    return None if key in stopwords("en") or token.lower() in stopwords("en") else key


def doc_candidates(text: str, analysis: str, sentences, mentions: list[dict], lexicon: Lexicon) -> dict:
    """One document's share of the candidate new terms: words and two-word
    phrases of sentences that hold a tagged concept, outside every mention and
    in no dictionary. Counted per document in the tag stage (in parallel, and
    only for new documents) so that the corpus list is a cheap merge.

    ``sentences`` is [((start, end), [token, ...]), ...]. Returns {term
    (analysis script): [sentences with a concept, frequency in them,
    [[surface, count], ...], {concept: sentences}]}. Surfaces are kept in order
    of first appearance (a list: JSON files are written with sorted keys),
    because among equally frequent surfaces the first seen is shown.
    """
    import bisect

    known = set(lexicon.zh) | set(lexicon.en)
    out: dict[str, list] = {}
    covered = bytearray(len(text) + 1)
    for m in mentions:
        covered[m["start"]:m["end"]] = b"\x01" * (m["end"] - m["start"])
    starts = [m["start"] for m in mentions]  # mentions are in text order
    for (start, end), tokens in sentences:
        lo = bisect.bisect_left(starts, start)
        concepts = {m["concept"] for m in mentions[lo:] if m["start"] < end} if lo < len(starts) \
            and starts[lo] < end else set()
        if not concepts:
            continue
        words, pos = [], start
        for token in tokens:
            k = text.find(token, pos, end) if token else -1
            if k < 0:
                words.append(None)
                continue
            pos = k + len(token)
            key = None if any(covered[k:pos]) else _candidate_key(token, analysis[k:pos])
            words.append((key, token) if key else None)
        terms = [w for w in words if w]
        for a, b in zip(words, words[1:]):
            if a and b:
                joiner = "" if HAN.search(a[1]) and HAN.search(b[1]) else " "
                terms.append((a[0] + joiner + b[0], a[1] + joiner + b[1]))
        seen = set()
        for key, surface in terms:
            if key in known or english_key(key) in lexicon.en:
                continue
            stats = out.setdefault(key, [0, 0, {}, {}])
            stats[1] += 1
            stats[2][surface] = stats[2].get(surface, 0) + 1  # a dict until returned
            if key not in seen:
                seen.add(key)
                stats[0] += 1
                for c in concepts:
                    stats[3][c] = stats[3].get(c, 0) + 1
    for stats in out.values():
        stats[2] = [[surface, n] for surface, n in stats[2].items()]
    return out


def merge_candidates(per_document) -> list[list]:
    """The ranked candidate list from (doc_id, :func:`doc_candidates`) pairs,
    in document order. Rows: rank, term, surface (its most frequent original
    form), sentences (with a concept), frequency (in those sentences),
    documents, concepts (the three it co-occurs with most). Only terms seen in
    two sentences or more."""
    from collections import Counter, defaultdict

    sentences_with, freq, docs_with = Counter(), Counter(), Counter()  # docs_with: how many documents
    surfaces, with_concepts = defaultdict(Counter), defaultdict(Counter)
    for _, terms in per_document:
        for key, (n_sentences, n, doc_surfaces, concepts) in terms.items():
            sentences_with[key] += n_sentences
            freq[key] += n
            docs_with[key] += 1  # a term is a key once per document
            surfaces[key].update(dict(doc_surfaces))
            with_concepts[key].update(concepts)
    ranked = sorted((k for k in sentences_with if sentences_with[k] >= 2),
                    key=lambda k: (-sentences_with[k], -docs_with[k], -freq[k], k))
    return [[rank, key, surfaces[key].most_common(1)[0][0], sentences_with[key], freq[key], docs_with[key],
             " ".join(c for c, _ in sorted(with_concepts[key].items(), key=lambda kv: (-kv[1], kv[0]))[:3])]
            for rank, key in enumerate(ranked, 1)]


CANDIDATE_HEADER = ["rank", "term", "surface", "sentences", "frequency", "documents", "concepts"]


def finish(doc_ids: list[str], config, outputs: Path) -> dict:
    """Corpus-level reports after the tag stage: ``concepts_not_found.csv`` (concepts
    of the dictionary with no mention in any document) and ``candidates.csv``
    (candidate new terms, see :func:`doc_candidates`) under ``outputs/``,
    merged from each document's ``.state/tag/<doc>.json``."""
    from collections import Counter

    lexicon = load_lexicon(config)
    counts: Counter = Counter()

    def per_document():
        for doc_id in doc_ids:
            state = io.read_json(outputs / ".state" / "tag" / f"{doc_id}.json", default=None)
            if state:
                counts.update(state["concepts"])
                yield doc_id, state["candidates"]

    rows = merge_candidates(per_document())
    missing = not_found(lexicon, counts)
    io.write_text(outputs / config.report.candidates, io.csv_text(CANDIDATE_HEADER, rows))
    io.write_text(outputs / "concepts_not_found.csv",
                  io.csv_text(["id", "category", "parent", "zh_hant", "zh_hans", "en"], missing))
    return {"candidates": len(rows), "concepts_not_found": len(missing)}
