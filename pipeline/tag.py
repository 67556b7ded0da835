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
import math
import re
import time
from pathlib import Path

from . import io
from .chinese import to_analysis
from .language import (GENERIC_IDF, HAN, SAMPLE_TEXT, background, english_tokens, lemma, policy_words, stopwords,
                       token_boundaries)
from .lexicon import END, Lexicon, english_key, load_lexicon

NAME = "tag"

# Characters a Chinese match may step over inside a term (never at its start or
# end): spaces that PDF extraction leaves between CJK characters and digits
# (中國製造 2025), and quotation marks put around a numeral (「五」大工程).
SKIPPABLE = frozenset(" \u3000「」『』“”‘’\"'")


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
    """Load what this stage loads on its first document: the dictionary, the
    analysis conversions and the candidates' background (jieba's IDF table),
    so that forked workers share them (see ``runner.preload``)."""
    background()
    policy_words()
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


# --- candidate new terms -----------------------------------------------------------------------------------------
#
# Every sentence is read (not only those that hold a concept). Its tokens become units: a
# mention is one unit whatever its tokens; punctuation, numbers standing alone, single Han
# characters, stopwords and function words break the sequence. A candidate is a unit that can
# stand alone (a content word: see unit_kind) or a run of two or three units (工业 互联网 平台,
# 工业 APP) that recurs, and no dictionary alias. Candidates are ranked by keyness against
# jieba's background (language.background): score = (1 + ln frequency) x IDF, sublinear TF-IDF
# (Manning, Raghavan & Schütze, Introduction to Information Retrieval, 2008, 6.4.1), so that a
# word common everywhere (发展, IDF 3.6) needs far more mentions than a rare one (人工智能, 9.5).

NGRAM = 3  # the longest run of units counted as one candidate
FUNCTION_POS = ("p", "c", "u", "r", "d", "ad", "m", "q", "f", "t", "y", "e", "o", "x")  # jieba tags of function words
NAME_POS = ("nr", "ns", "nt")  # person, place and organisation names: in a run, never alone
ACRONYM = re.compile(r"(?=.*[A-Za-z])(?=.*[0-9]|(?:.*[A-Z]){2})[A-Za-z0-9][A-Za-z0-9+#.]*$")  # 5G, IoT, APP, B2B
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*$")


def unit_kind(token: str, form: str, bg=None) -> str | None:
    """What a token (``form``: its analysis-script form) can be in a candidate:

    - ``"term"``: a candidate alone or in a run (人工智能, 5G, 工业APP's APP);
    - ``"generic"``: only inside a run that holds a non-generic unit: a word of
      the policy list, or with a background IDF below ``GENERIC_IDF`` (发展),
      or a name (广东), or an English word in lower case;
    - ``"verb"``: inside a run, never at its start or end (推进 5G is no term);
    - ``"number"``, ``"char"`` (one Han character): inside a run, never at its
      start (工业 4.0, 区块 链);
    - None: breaks runs (stopwords, function words, punctuation).

    >>> [unit_kind(t, t) for t in ("人工智能", "5G", "发展", "推进", "的", "，", "4.0", "链", "平台")]
    ['term', 'term', 'generic', 'verb', None, None, 'number', 'char', 'generic']
    """
    bg = bg or background()
    if not token.strip():
        return None
    if HAN.search(token):
        if form in stopwords("zh") or token in stopwords("zh"):
            return None
        if len(form) < 2:
            return "char"
        pos = bg.pos.get(form, "")
        if pos.startswith(FUNCTION_POS) and not pos.startswith(("an", "nr", "ns", "nt", "nz")):
            return None
        if pos.startswith("v") and pos != "vn":
            return "verb"
        generic = form in policy_words() or bg.idf.get(form, bg.median) < GENERIC_IDF or pos.startswith(NAME_POS)
        return "generic" if generic else "term"
    if NUMBER.match(token):
        return "number"
    if not any(ch.isalpha() for ch in token):
        return None
    if token.lower() in stopwords("en") or lemma(token) in stopwords("en"):
        return None
    if ACRONYM.match(token):
        return "term"  # 5G, IoT, APP, AI (a digit or two capitals), not China: as written in any text
    return "generic"


def _units(text: str, analysis: str, start: int, end: int, tokens, mentions, mention_at: dict, bg):
    """The units of one sentence: (start, end, kind, key) with kind from
    :func:`unit_kind` or ``"mention"``; None where a unit breaks runs."""
    units, pos, skip_to = [], start, -1
    for token in tokens:
        k = text.find(token, pos, end) if token else -1
        if k < 0:
            units.append(None)
            continue
        pos = k + len(token)
        if pos <= skip_to:
            continue
        m = mention_at(k, pos)
        if m is not None:
            units.append((m["start"], m["end"], "mention", analysis[m["start"]:m["end"]].lower()))
            skip_to = m["end"]
            continue
        form = analysis[k:pos]
        kind = unit_kind(token, form, bg)
        if kind is None:
            units.append(None)
        else:  # English words by lemma (robots = robot), everything else as written, Latin in lower case
            key = lemma(token) if kind == "generic" and not HAN.search(form) else form.lower()
            units.append((k, pos, kind, key))
    return units


def join_keys(keys) -> str:
    """The key of a run of units from theirs: joined without a space when one
    side is Chinese, with one between two Latin words.

    >>> join_keys(["工业", "app"]), join_keys(["advanced", "robotics"])
    ('工业app', 'advanced robotics')
    """
    out = keys[0]
    for a, b in zip(keys, keys[1:]):
        out += (" " if not HAN.search(a) and not HAN.search(b) else "") + b
    return out


def doc_candidates(text: str, analysis: str, sentences, mentions: list[dict], lexicon: Lexicon) -> dict:
    """One document's share of the candidate new terms, from every sentence.
    Counted per document in the tag stage (in parallel, and only for new
    documents) so that the corpus list is a cheap merge.

    ``sentences`` is [((start, end), [token, ...]), ...]. Returns {term
    (analysis script, Latin in lower case): [sentences, frequency,
    [[surface, count], ...], {concept: sentences}, [[sentence, start, end],
    ...] (its first two places, for the concordance), [part, ...] (the units
    of a multi-word term)]}. A multi-word term is kept only when it recurs in
    the document (two sentences or more): the single words are all kept.
    Surfaces are in order of first appearance (among equally frequent ones
    the first seen is shown).
    """
    import bisect

    bg = background()
    known = set(lexicon.zh)
    out: dict[str, list] = {}
    starts = [m["start"] for m in mentions]  # mentions are in text order

    def mention_at(a: int, b: int):
        """The mention overlapping [a, b), if any."""
        k = bisect.bisect_right(starts, b - 1) - 1
        return mentions[k] if k >= 0 and mentions[k]["end"] > a else None

    for number, ((start, end), tokens) in enumerate(sentences):
        lo = bisect.bisect_left(starts, start)
        concepts = set()
        for m in mentions[lo:]:
            if m["start"] >= end:
                break
            concepts.add(m["concept"])
        units = _units(text, analysis, start, end, tokens, mentions, mention_at, bg)
        seen = set()
        for i in range(len(units)):
            for n in range(1, NGRAM + 1):
                run = units[i:i + n]
                if len(run) < n or None in run:
                    break
                kinds = [u[2] for u in run]
                if n == 1:
                    if kinds[0] != "term":
                        continue
                elif (kinds[0] in ("verb", "number", "char") or kinds[-1] == "verb"
                      or all(k in ("generic", "verb", "number", "char") for k in kinds)
                      or all(k == "mention" for k in kinds)):
                    continue
                key = join_keys([u[3] for u in run])
                if key in known or english_key(key) in lexicon.en:
                    continue
                surface = text[run[0][0]:run[-1][1]]
                stats = out.setdefault(key, [0, 0, {}, {}, [], [u[3] for u in run] if n > 1 else []])
                stats[1] += 1
                stats[2][surface] = stats[2].get(surface, 0) + 1  # a dict until returned
                if len(stats[4]) < 2:
                    stats[4].append([number, run[0][0], run[-1][1]])
                if key not in seen:
                    seen.add(key)
                    stats[0] += 1
                    for c in concepts:
                        stats[3][c] = stats[3].get(c, 0) + 1
    for key in [k for k, v in out.items() if v[5] and v[0] < 2]:
        del out[key]
    for stats in out.values():
        stats[2] = [[surface, n] for surface, n in stats[2].items()]
    return out


def background_idf(key: str, parts: list, known=frozenset(), bg=None) -> float:
    """The IDF a candidate is scored with: its own in jieba's table, or the
    median for a word not in it (as jieba's extract_tags does). A multi-word
    term not in the table gets the highest of its parts' IDFs: a phrase is
    in no more background documents than its rarest word, so this is a lower
    bound (the sum, right if the parts were independent, put every chance
    pairing such as 近年 内地 above the real terms); a part that is a
    dictionary term counts as generic (``GENERIC_IDF``): the other part is
    what is new.

    >>> bg = background()
    >>> background_idf("人工智能", []) == bg.idf["人工智能"], background_idf("5g", []) == bg.median
    (True, True)
    >>> background_idf("数字经济", ["数字", "经济"]) == bg.idf["数字"]
    True
    >>> background_idf("工业互联网平台", ["工业互联网", "平台"], {"工业互联网"}) == bg.idf["平台"]
    True
    """
    bg = bg or background()
    if key in bg.idf:
        return bg.idf[key]
    if not parts:
        return bg.median
    return max(bg.idf.get(p, GENERIC_IDF if p in known else bg.median) for p in parts)


def keyness(frequency: int, idf: float) -> float:
    """Sublinear TF-IDF: (1 + ln frequency) x IDF, rounded to 3 decimals.

    >>> keyness(300, 3.575) < keyness(20, 9.458)  # 发展 x300 below 人工智能 x20
    True
    """
    return round((1 + math.log(frequency)) * idf, 3) if frequency > 0 else 0.0


def merge_candidates(per_document, lexicon: Lexicon | None = None) -> list[list]:
    """The ranked candidate list from (doc_id, :func:`doc_candidates`) pairs,
    in document order. Rows: rank, term, surface (its most frequent original
    form), sentences, frequency, documents, concepts (the three it shares
    sentences with most), score (:func:`keyness`), background_idf, and the
    places of its first examples ([[doc, sentence, start, end], ...], not
    written to the CSV). Only terms seen in two sentences or more, and not a
    part of a longer candidate seen as often; ranked by score, then
    sentences, then term."""
    from collections import Counter, defaultdict

    known = frozenset(k.lower() for k in lexicon.zh) if lexicon is not None else frozenset()
    bg = background()
    sentences_with, freq, docs_with = Counter(), Counter(), Counter()  # docs_with: how many documents
    surfaces, with_concepts = defaultdict(Counter), defaultdict(Counter)
    parts, places = {}, defaultdict(list)
    for doc_id, terms in per_document:
        for key, (n_sentences, n, doc_surfaces, concepts, at, run) in terms.items():
            sentences_with[key] += n_sentences
            freq[key] += n
            docs_with[key] += 1  # a term is a key once per document
            surfaces[key].update(dict(doc_surfaces))
            with_concepts[key].update(concepts)
            parts[key] = run
            if len(places[key]) < 5:
                places[key].extend([doc_id, *p] for p in at[:5 - len(places[key])])
    kept = {k for k in sentences_with if sentences_with[k] >= 2}
    # a part of a longer candidate that never occurs without it is that candidate
    # (七大战略性 in 七大战略性新兴产业): only the longer one is listed
    for key in sorted(kept, key=lambda k: -len(parts[k])):
        run = parts[key]
        for n in range(1, len(run)):
            for i in range(len(run) - n + 1):
                sub = join_keys(run[i:i + n])
                if sub in kept and freq[sub] <= freq[key]:
                    kept.discard(sub)
    scored = {k: (keyness(freq[k], idf := background_idf(k, parts[k], known, bg)), idf) for k in kept}
    ranked = sorted(scored, key=lambda k: (-scored[k][0], -sentences_with[k], k))
    return [[rank, key, surfaces[key].most_common(1)[0][0], sentences_with[key], freq[key], docs_with[key],
             " ".join(c for c, _ in sorted(with_concepts[key].items(), key=lambda kv: (-kv[1], kv[0]))[:3]),
             scored[key][0], round(scored[key][1], 3), places[key]]
            for rank, key in enumerate(ranked, 1)]


CANDIDATE_HEADER = ["rank", "term", "surface", "sentences", "frequency", "documents", "concepts", "score",
                    "background_idf", "example"]
KWIC_HEADER = ["rank", "term", "doc", "sentence", "left", "surface", "right"]
GROUP_HEADER = ["group", "rank", "term", "surface", "sentences", "frequency", "documents", "score"]
KWIC_TERMS, KWIC_CHARS, GROUP_TOP = 200, 20, 100  # concordance for the first 200 terms; rows per group


def kwic_line(text: str, start: int, end: int, chars: int = KWIC_CHARS) -> tuple[str, str, str]:
    """(left, match, right) with ``chars`` characters either side, on one line.

    >>> kwic_line("加快5G商用步伐，推进5G网络建设", 11, 13, 4)
    ('步伐，推进', '5G', '网络建设')
    """
    def flat(s):
        return " ".join(s.split())

    return flat(text[max(0, start - chars - 1):start])[-chars - 1:], text[start:end], flat(text[end:end + chars])


def finish(doc_ids: list[str], config, outputs: Path) -> dict:
    """Corpus-level reports after the tag stage, merged from each document's
    ``.state/tag/<doc>.json``: ``concepts_not_found.csv`` (concepts of the
    dictionary with no mention in any document), ``candidates.csv``
    (candidate new terms, see :func:`doc_candidates` and
    :func:`merge_candidates`), ``candidates_kwic.csv`` (up to five places of
    each of the first 200) and, with ``graph.group_by``,
    ``candidates_by_group.csv`` (the first 100 of each group). Also sums the
    mentions each concept's coding rule turned down (``ruled_out``)."""
    from collections import Counter

    from .metadata import document_groups

    lexicon = load_lexicon(config)
    counts: Counter = Counter()
    ruled_out: Counter = Counter()
    states = {}

    def per_document(ids):
        for doc_id in ids:
            state = states[doc_id] if doc_id in states else io.read_json(
                outputs / ".state" / "tag" / f"{doc_id}.json", default=None)
            if state:
                yield doc_id, state["candidates"]

    for doc_id in doc_ids:
        state = io.read_json(outputs / ".state" / "tag" / f"{doc_id}.json", default=None)
        if state:
            counts.update(state["concepts"])
            ruled_out.update(state.get("ruled_out", {}))
    rows = merge_candidates(per_document(doc_ids), lexicon)
    texts: dict[str, str] = {}

    def text_of(doc_id):
        if doc_id not in texts:
            texts[doc_id] = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")
        return texts[doc_id]

    kwic = []
    for row in rows[:KWIC_TERMS]:
        for doc_id, sentence, start, end in row[-1]:
            kwic.append([row[0], row[1], doc_id, sentence, *kwic_line(text_of(doc_id), start, end)])
    table = [[*row[:-1], "{}[{}]{}".format(*kwic_line(text_of(row[-1][0][0]), *row[-1][0][2:4])) if row[-1] else ""]
             for row in rows]
    missing = not_found(lexicon, counts)
    io.write_text(outputs / config.report.candidates, io.csv_text(CANDIDATE_HEADER, table))
    io.write_text(outputs / "candidates_kwic.csv", io.csv_text(KWIC_HEADER, kwic))
    groups_file = outputs / "candidates_by_group.csv"
    if config.graph.group_by:
        documents = (io.read_json(outputs / "manifest.json", default={}) or {}).get("documents", {})
        members: dict[str, list[str]] = {}
        for d, value in document_groups(documents, doc_ids, config.graph.group_by, config.graph.group_pattern).items():
            if value is not None:
                members.setdefault(value, []).append(d)
        by_group = [[value, *row[:6], row[7]] for value in sorted(members)
                    for row in merge_candidates(per_document(members[value]), lexicon)[:GROUP_TOP]]
        io.write_text(groups_file, io.csv_text(GROUP_HEADER, by_group))
    elif groups_file.exists():
        groups_file.unlink()  # from a run with group_by: no longer what the config says
    io.write_text(outputs / "concepts_not_found.csv",
                  io.csv_text(["id", "category", "parent", "zh_hant", "zh_hans", "en"], missing))
    return {"candidates": len(rows), "concepts_not_found": len(missing),
            "ruled_out": {k: ruled_out[k] for k in sorted(ruled_out)}}
