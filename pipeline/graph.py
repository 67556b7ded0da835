"""Stage 5, graph: tags/*.jsonl -> the concept co-occurrence graph.

Each document is counted once (:func:`count_document`, kept in
.state/graph/<doc>.json); the corpus graph is merged from those counts
(:class:`Totals`), so adding one document does not recount the others, and
the merge holds one document's counts at a time.

Windows (``graph.window``) never cross documents:

- ``sentence`` (default), ``paragraph``, ``document``: each unit is one window.
- ``words``: every run of ``graph.window_size`` consecutive words of the
  document, sliding one word at a time (a document with fewer words is one
  window). Words are the tokens of segmented/<doc>.txt that hold a letter,
  digit or CJK character; punctuation does not count. A mention is in a window
  when all its words are; these windows may span sentence and paragraph ends.

A pair's ``weight`` is the number of windows holding a mention of each concept
(two different mentions: with roll-up, one mention of 機器人 does not make
機器人 co-occur with its own parent). The association measures
(:func:`association`) are computed from the same window counts, over every
pair counted, before ``min_weight`` thins the export.

Exports: GraphML, GEXF, node-link JSON, nodes.csv, edges.csv, one GraphML per
document, and with ``graph.group_by`` one graph per metadata value (for
example per year) under graph/groups/. Nodes and edges are sorted and floats
rounded, so reruns and ``--jobs`` give byte-identical files.
"""

from __future__ import annotations

import bisect
import io as _io
import json
import math
import re
import shutil
import time
from pathlib import Path

from . import io
from .metadata import document_groups, listing
from .sampling import RoundRobin

NAME = "graph"
WINDOWS = ("sentence", "paragraph", "document", "words")
NODE_FIELDS = ("label", "label_zh_hant", "label_zh_hans", "label_en", "category", "parent", "ambiguous",
               "frequency", "doc_frequency", "windows", "degree", "weighted_degree", "betweenness", "pagerank",
               "community")
OPTIONAL_NODE_FIELDS = ("mean_period",)  # with graph.group_by and numeric group values (years)
MEASURES = ("jaccard", "dice", "pmi", "npmi", "association_strength")
EDGE_FIELDS = ("weight", "doc_frequency", *MEASURES, "evidence_count", "evidence")
ELLIPSIS = "…"


# ---------------------------------------------------------------- words and snippets

def is_word(token: str) -> bool:
    """True for a token that counts as a word in a ``words`` window.

    >>> [is_word(t) for t in ("兩化融合", "2025", "U.S.", "，", "(", "-")]
    [True, True, True, False, False, False]
    """
    return any(ch.isalnum() for ch in token)


def word_spans(text: str, sentences, lines: list[str]) -> list[tuple[int, int]]:
    """Character spans in ``text`` of the words of segmented/<doc>.txt.

    ``lines`` are that file's lines (one sentence each, tokens separated by one
    space); ``sentences`` the sentence spans. Tokens are exact substrings of
    their sentence, found left to right; punctuation tokens are dropped.

    >>> word_spans("推進兩化融合。Go on.", [(0, 7), (7, 13)], ["推進 兩化融合 。", "Go on ."])
    [(0, 2), (2, 6), (7, 9), (10, 12)]
    """
    spans = []
    for (start, end), line in zip(sentences, lines):
        sentence, cursor = text[start:end], 0
        for token in line.split(" "):
            at = sentence.find(token, cursor) if token else -1
            if at < 0:  # not in the sentence (a segmenter bug): skip rather than misplace
                continue
            cursor = at + len(token)
            if is_word(token):
                spans.append((start + at, start + cursor))
    return spans


def _centred(start: int, end: int, width: int, lo: int, hi: int) -> tuple[int, int]:
    """A span of max(width, end - start) characters holding [start, end),
    centred on it and kept inside [lo, hi]."""
    width = max(width, end - start)
    left = start - (width - (end - start)) // 2
    left = max(lo, min(left, hi - width))
    return left, min(hi, max(left + width, end))


def _in_word(text: str, i: int) -> bool:
    return 0 < i < len(text) and all(c.isascii() and c.isalnum() for c in text[i - 1:i + 1])


def _word_cut(text: str, a: int, b: int, keep_start: int, keep_end: int) -> tuple[int, int]:
    """[a, b) shrunk so that it does not start or end inside a Latin word,
    never past [keep_start, keep_end)."""
    if a < keep_start and _in_word(text, a):
        space = text.find(" ", a, keep_start)
        a = space + 1 if space >= 0 else a
    if b > keep_end and _in_word(text, b):
        space = text.rfind(" ", keep_end, b)
        b = space if space >= 0 else b
    return a, b


def snippet(text: str, first: tuple[int, int], second: tuple[int, int], width: int,
            bounds: tuple[int, int] | None = None) -> str:
    """The evidence text for two mentions, on one line.

    The rule: both mentions are always whole; apart from them and the ``…``
    marks the snippet holds at most ``width`` characters. When both mentions
    fit in ``width`` characters, the snippet is one piece centred on the pair;
    otherwise it is two pieces of about ``width / 2`` characters, each centred
    on one mention, joined by `` … ``. Context never leaves ``bounds`` (the
    window's text: its sentence or paragraph); ``…`` marks where the bounds'
    text goes on. Runs of whitespace become one space.

    >>> t = "0123456789AB0123456789"
    >>> snippet(t, (10, 12), (10, 12), 6)
    '…89AB01…'
    >>> snippet(t, (0, 1), (20, 22), 6)
    '012 … 789'
    >>> snippet("甲乙丙", (0, 1), (2, 3), 80)
    '甲乙丙'
    >>> snippet("we build smart factories and green plants now", (9, 24), (29, 34), 30)
    '…smart factories and green…'
    """
    (s1, e1), (s2, e2) = sorted([first, second])
    lo, hi = bounds or (0, len(text))
    lo, hi = min(lo, s1), max(hi, e1, e2)
    end = max(e1, e2)
    if end - s1 <= width or s2 < e1:
        pieces = [_centred(s1, end, width, lo, hi)]
    else:
        a = _centred(s1, e1, width // 2, lo, s2)
        b = _centred(s2, e2, width - width // 2, a[1], hi)
        pieces = [a, b] if a[1] < b[0] else [(a[0], b[1])]
    # a cut inside a Latin word moves to the nearest space inside the piece
    keep = [(s1, end)] if len(pieces) == 1 else [(s1, e1), (s2, e2)]
    pieces = [_word_cut(text, a, b, k0, k1) for (a, b), (k0, k1) in zip(pieces, keep)]
    parts = [re.sub(r"\s+", " ", text[a:b]).strip() for a, b in pieces]
    out = f" {ELLIPSIS} ".join(parts)
    if pieces[0][0] > lo:
        out = ELLIPSIS + out
    if pieces[-1][1] < hi:
        out += ELLIPSIS
    return out


# ---------------------------------------------------------------- counting one document

def ancestry(lexicon, mode: str) -> dict[str, tuple[str, ...]]:
    """Concept id -> the ids a mention of it counts for, under roll-up ``mode``.

    ``none``: itself; ``parent``: itself and its parent; ``ancestors``: itself
    and every ancestor up to a top-level concept. An ``ambiguous`` concept (a
    slogan such as 绿色发展) counts only for itself.
    """
    out = {}
    for cid, concept in lexicon.concepts.items():
        chain, parent = [cid], concept.parent
        while mode != "none" and not concept.ambiguous and parent and parent not in chain \
                and parent in lexicon.concepts:
            chain.append(parent)
            if mode == "parent":
                break
            parent = lexicon.concepts[parent].parent
        out[cid] = tuple(chain)
    return out


def _segments(mentions, window, sentences, paragraphs, words, window_size):
    """(first window index, number of windows, mention indices) for every run
    of windows holding the same mentions, in window order; and the number of
    windows in the document."""
    if window != "words":
        key = {"sentence": "sentence", "paragraph": "paragraph", "document": None}[window]
        n = {"sentence": len(sentences), "paragraph": len(paragraphs), "document": 1}[window]
        groups: dict[int, list[int]] = {}
        for i, m in enumerate(mentions):
            groups.setdefault(m[key] if key else 0, []).append(i)
        return [(k, 1, groups[k]) for k in sorted(groups)], max(n, 1 if mentions else 0)
    starts, ends = [s for s, _ in words], [e for _, e in words]
    n = max(1, len(words) - window_size + 1) if words or mentions else 0
    events: dict[int, list[tuple[int, int]]] = {}
    for i, m in enumerate(mentions):
        first = bisect.bisect_right(ends, m["start"])  # first word ending after the mention starts
        last = bisect.bisect_left(starts, m["end"]) - 1  # last word starting before it ends
        lo = min(first, max(len(words) - 1, 0))
        hi = last if last >= first and last - first < window_size else lo  # too long for a window: its first word
        k0, k1 = max(0, hi - window_size + 1), min(lo, n - 1)
        if k0 <= k1:
            events.setdefault(k0, []).append((1, i))
            events.setdefault(k1 + 1, []).append((-1, i))
    segments, active = [], set()
    points = sorted(events)
    for p, nxt in zip(points, points[1:] + [n]):
        for sign, i in events[p]:
            (active.add if sign > 0 else active.discard)(i)
        if active and nxt > p:
            segments.append((p, nxt - p, sorted(active)))
    return segments, n


def count_document(doc_id: str, text: str, mentions: list[dict], sentences, paragraphs, *,
                   window: str = "sentence", window_size: int = 10, words=None, ancestors=None,
                   max_evidence: int = 5, snippet_chars: int = 80) -> dict:
    """Per-document counts: windows, concepts (mentions, windows) and pairs
    (windows, evidence_count, up to ``max_evidence`` evidence items).

    ``words`` (from :func:`word_spans`) is needed for ``window="words"``;
    ``ancestors`` (from :func:`ancestry`) rolls mentions up the hierarchy.
    Evidence items are in text order; ``evidence_count`` counts places: one
    per window, or for ``words`` one per run of consecutive windows.

    >>> ms = [{"concept": "a", "start": 0, "end": 1, "sentence": 0, "paragraph": 0, "page": 1},
    ...       {"concept": "b", "start": 2, "end": 3, "sentence": 0, "paragraph": 0, "page": 1}]
    >>> c = count_document("d", "a b.", ms, [(0, 4)], [(0, 4)])
    >>> c["windows"], c["pairs"]["a|b"]["windows"], c["pairs"]["a|b"]["evidence"][0]["snippet"]
    (1, 1, 'a b.')
    """
    if window not in WINDOWS:
        raise ValueError(f"window: expected one of {', '.join(WINDOWS)}, got {window!r}")
    ancestors = ancestors or {}
    mentions = sorted(mentions, key=lambda m: (m["start"], m["end"]))
    segments, n = _segments(mentions, window, sentences, paragraphs, words or [], window_size)
    concepts: dict[str, dict] = {}
    for m in mentions:
        for cid in ancestors.get(m["concept"], (m["concept"],)):
            concepts.setdefault(cid, {"mentions": 0, "windows": 0})["mentions"] += 1
    pairs: dict[str, dict] = {}
    run_end: dict[str, int] = {}  # for words: where the pair's current run of windows ends
    for first, length, members in segments:
        held: dict[str, list[int]] = {}  # concept -> indices of the mentions that count for it
        for i in members:
            for cid in ancestors.get(mentions[i]["concept"], (mentions[i]["concept"],)):
                held.setdefault(cid, []).append(i)
        present = sorted(held)
        for cid in present:
            concepts[cid]["windows"] += length
        for x, a in enumerate(present):
            for b in present[x + 1:]:
                if len(set(held[a]) | set(held[b])) < 2:  # one mention rolled up into both
                    continue
                key = f"{a}|{b}"
                pair = pairs.setdefault(key, {"windows": 0, "evidence_count": 0, "evidence": []})
                pair["windows"] += length
                if window == "words" and run_end.get(key) == first:
                    run_end[key] = first + length
                    continue
                run_end[key] = first + length
                pair["evidence_count"] += 1
                if len(pair["evidence"]) < max_evidence:
                    pair["evidence"].append(_evidence(doc_id, text, mentions, held[a], held[b], window, first,
                                                      sentences, paragraphs, snippet_chars))
    return {"windows": n, "concepts": {k: concepts[k] for k in sorted(concepts)},
            "pairs": {k: pairs[k] for k in sorted(pairs)}}


def _evidence(doc_id, text, mentions, of_a, of_b, window, index, sentences, paragraphs, width) -> dict:
    """One evidence item: the closest two different mentions of the pair."""
    ia, ib = min(((i, j) for i in of_a for j in of_b if i != j),
                 key=lambda p: (abs(mentions[p[0]]["start"] - mentions[p[1]]["start"]), p))
    ma, mb = sorted((mentions[ia], mentions[ib]), key=lambda m: m["start"])
    spans = {"sentence": sentences, "paragraph": paragraphs}.get(window)
    if spans is not None and index < len(spans):
        bounds = tuple(spans[index])
    else:  # document and word windows: the sentences the two mentions are in
        lo = sentences[ma["sentence"]][0] if ma["sentence"] < len(sentences) else ma["start"]
        hi = sentences[mb["sentence"]][1] if mb["sentence"] < len(sentences) else mb["end"]
        bounds = (lo, hi)
    return {"doc": doc_id, "page": ma["page"], "sentence": ma["sentence"],
            "snippet": snippet(text, (ma["start"], ma["end"]), (mb["start"], mb["end"]), width, bounds)}


# ---------------------------------------------------------------- measures

def association(w_ab: int, w_a: int, w_b: int, n: int, k_a: float = 0, k_b: float = 0, total: float = 0) -> dict:
    """Association measures of concepts a and b, from window counts.

    ``w_ab`` windows hold both, ``w_a`` and ``w_b`` hold each, of ``n``
    windows in all. ``k_a``, ``k_b`` are the concepts' total co-occurrence
    weights (the sums of their pair weights) and ``total`` the sum of every
    concept's ``k`` (twice the sum of all pair weights).

    - ``jaccard = w_ab / (w_a + w_b - w_ab)``, the Jaccard coefficient of the
      sets of context units holding each word, as KH Coder computes it for its
      co-occurrence network (Higuchi, *KH Coder Reference Manual*, A.5.11).
    - ``dice = 2 w_ab / (w_a + w_b)``, the Dice coefficient over the same sets
      (KH Coder offers it beside Jaccard).
    - ``pmi = log2(w_ab n / (w_a w_b))``, pointwise mutual information with
      probabilities estimated as window shares (Church & Hanks 1990).
    - ``npmi = pmi / -log2(w_ab / n)``, in [-1, 1]: 1 when the two always occur
      together, 0 when independent (Bouma 2009, "Normalized (pointwise) mutual
      information in collocation extraction", GSCL). When ``w_ab = n`` the
      ratio is 0/0 and its limit, 1, is used.
    - ``association_strength = c_ab / (k_a k_b / total)``: the pair weight over
      the weight expected if each concept spread its co-occurrences at random
      (the configuration model). This is VOSviewer's association strength
      normalisation (van Eck & Waltman 2009, "How to normalize co-occurrence
      data?", JASIST 60(8); computed as in CWTS networkanalysis
      ``Network.createNormalizedNetworkUsingAssociationStrength`` with node
      weights equal to total edge weights). 0 when ``total`` is not given.

    Values are rounded to 6 decimals.

    >>> m = association(2, 4, 5, 10, k_a=4, k_b=4, total=16)
    >>> m["jaccard"], m["dice"], m["pmi"], m["npmi"], m["association_strength"]
    (0.285714, 0.444444, 0.0, 0.0, 2.0)
    """
    pmi = math.log2(w_ab * n / (w_a * w_b))
    p_ab = w_ab / n
    npmi = 1.0 if p_ab >= 1 else pmi / -math.log2(p_ab)
    strength = w_ab * total / (k_a * k_b) if total and k_a and k_b else 0.0
    values = {"jaccard": w_ab / (w_a + w_b - w_ab), "dice": 2 * w_ab / (w_a + w_b), "pmi": pmi, "npmi": npmi,
              "association_strength": strength}
    return {k: round(v, 6) + 0.0 for k, v in values.items()}  # + 0.0: no "-0.0" in the files


# ---------------------------------------------------------------- the graph

class Totals:
    """Corpus totals summed one document's counts at a time, in document id
    order (:meth:`add`), in memory that does not grow with the number of
    documents. A pair's evidence is the first ``max_evidence`` items of the
    round-robin over its documents' evidence (:class:`RoundRobin`), so that
    the kept items show as many documents as possible."""

    def __init__(self, max_evidence: int = 5):
        self.total = {"windows": 0, "documents": 0, "concepts": {}, "pairs": {}}
        self._evidence = RoundRobin(max_evidence)
        self._last = None

    def add(self, doc_id: str, counts: dict) -> None:
        if self._last is not None and doc_id <= self._last:
            raise ValueError(f"documents must be added in id order: {doc_id} after {self._last}")
        self._last = doc_id
        total = self.total
        total["windows"] += counts["windows"]
        total["documents"] += 1
        for cid, v in counts["concepts"].items():
            t = total["concepts"].setdefault(cid, {"mentions": 0, "windows": 0, "documents": 0})
            t["mentions"] += v["mentions"]
            t["windows"] += v["windows"]
            t["documents"] += 1
        for key, v in counts["pairs"].items():
            t = total["pairs"].setdefault(key, {"windows": 0, "documents": 0, "evidence_count": 0})
            t["windows"] += v["windows"]
            t["documents"] += 1
            t["evidence_count"] += v.get("evidence_count", v["windows"])
            self._evidence.add(key, v["evidence"])

    def result(self) -> dict:
        """{windows, documents, concepts, pairs}; each pair with its evidence."""
        for key, t in self.total["pairs"].items():
            t["evidence"] = self._evidence.result(key)
        return self.total


def merge_counts(counts: dict[str, dict], max_evidence: int = 5) -> dict:
    """Sum per-document counts (doc id -> counts) into corpus totals (see :class:`Totals`)."""
    totals = Totals(max_evidence)
    for doc_id in sorted(counts):
        totals.add(doc_id, counts[doc_id])
    return totals.result()


def build_graph(counts: dict[str, dict], lexicon, *, min_weight: int = 1, max_evidence: int = 5, seed: int = 42,
                attributes: dict | None = None):
    """Merge per-document counts (doc id -> counts) into one networkx Graph.

    Every concept mentioned is a node; every pair with ``weight >= min_weight``
    an edge. ``attributes`` become graph attributes (window, roll-up, ...).
    """
    return graph_of_totals(merge_counts(counts, max_evidence), lexicon, min_weight=min_weight, seed=seed,
                           attributes=attributes)


def graph_of_totals(total: dict, lexicon, *, min_weight: int = 1, seed: int = 42, attributes: dict | None = None):
    """The networkx Graph of corpus totals (:meth:`Totals.result`); see :func:`build_graph`."""
    import networkx as nx

    k: dict[str, int] = {}
    for key, v in total["pairs"].items():
        for cid in key.split("|"):
            k[cid] = k.get(cid, 0) + v["windows"]
    strength_total = sum(k.values())
    G = nx.Graph()
    G.graph.update(attributes or {})
    G.graph.update(documents=total["documents"], windows=total["windows"])
    for cid in sorted(total["concepts"]):
        v, concept = total["concepts"][cid], lexicon.concepts.get(cid)
        hant, hans, en = (concept.zh_hant, concept.zh_hans, concept.en) if concept else (cid, cid, cid)
        G.add_node(cid, label=f"{hant} / {en}" if hant != en else en, label_zh_hant=hant, label_zh_hans=hans,
                   label_en=en, category=concept.category if concept else "",
                   parent=concept.parent if concept else "", frequency=v["mentions"], doc_frequency=v["documents"],
                   windows=v["windows"], ambiguous=bool(concept and concept.ambiguous))
    concepts = total["concepts"]
    for key in sorted(total["pairs"]):
        v = total["pairs"][key]
        if v["windows"] < min_weight:
            continue
        a, b = key.split("|")
        G.add_edge(a, b, weight=v["windows"], doc_frequency=v["documents"],
                   **association(v["windows"], concepts[a]["windows"], concepts[b]["windows"], total["windows"],
                                 k[a], k[b], strength_total),
                   evidence_count=v["evidence_count"], evidence=json.dumps(v["evidence"], ensure_ascii=False))
    _node_metrics(G, seed)
    return G


def _node_metrics(G, seed: int) -> None:
    """degree, weighted_degree, betweenness (distance 1/weight), pagerank and
    community (Louvain with ``seed``; 0 is the largest) on every node."""
    import networkx as nx

    if G.number_of_nodes() == 0:
        return
    distance = {e: 1 / G.edges[e]["weight"] for e in G.edges}
    nx.set_edge_attributes(G, distance, "_distance")
    betweenness = nx.betweenness_centrality(G, weight="_distance")
    for e in G.edges:
        del G.edges[e]["_distance"]
    pagerank = nx.pagerank(G, weight="weight") if G.number_of_edges() else {n: 1 / len(G) for n in G}
    communities = nx.community.louvain_communities(G, weight="weight", seed=seed) if G.number_of_edges() else [
        {n} for n in G]
    # stable community numbers: biggest first, ties by smallest member id
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    community = {n: i for i, c in enumerate(ordered) for n in c}
    for n in G.nodes:
        G.nodes[n].update(degree=G.degree(n), weighted_degree=G.degree(n, weight="weight"),
                          betweenness=round(betweenness[n], 6) + 0.0, pagerank=round(pagerank[n], 6) + 0.0,
                          community=community[n])


# ---------------------------------------------------------------- periods and trends

class Periods:
    """Per group value: its documents, their characters (of text/<doc>.txt)
    and each concept's mentions and documents, summed one document at a time
    (:meth:`add`)."""

    def __init__(self):
        self.groups: dict[str, dict] = {}

    def add(self, group: str, chars: int, counts: dict) -> None:
        g = self.groups.setdefault(group, {"documents": 0, "chars": 0, "concepts": {}})
        g["documents"] += 1
        g["chars"] += chars
        for cid, v in counts["concepts"].items():
            c = g["concepts"].setdefault(cid, {"mentions": 0, "documents": 0})
            c["mentions"] += v["mentions"]
            c["documents"] += 1 if v["mentions"] else 0


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def group_order(values) -> list[str]:
    """Group values in time order: by number when every value is a number
    (years), as text otherwise (ISO dates such as 2015-05 sort right as text).

    >>> group_order(["2016", "999", "2015"]), group_order(["2016-01", "2015-12"])
    (['999', '2015', '2016'], ['2015-12', '2016-01'])
    """
    values = sorted(set(values))
    if values and all(_number(v) is not None for v in values):
        return sorted(values, key=lambda v: (_number(v), v))
    return values


def per_10k(mentions: int, chars: int) -> float:
    """Mentions per 10,000 characters, rounded to 4 decimals (0 for no text).

    >>> per_10k(3, 20000), per_10k(1, 0)
    (1.5, 0.0)
    """
    return round(mentions * 10000 / chars, 4) + 0.0 if chars else 0.0


def trend(rates: list[float], order: list[str]) -> dict:
    """How a concept's rate (mentions per 10,000 characters) moved over the
    groups ``order`` (two or more, in time order).

    ``difference`` is last minus first, ``ratio`` last over first (None when
    the first is 0), ``slope`` the least-squares slope of the rate against the
    group's position (0, 1, 2, ...), so it uses every group. ``trend``:
    ``emerging`` (0 in the first group, mentioned in the last), ``fading``
    (mentioned in the first, 0 in the last), ``rising``, ``falling`` or
    ``steady`` (last above, below or equal to first, both above 0), ``between``
    (0 in both, mentioned only in groups between them).

    >>> t = trend([0.0, 1.0, 3.0], ["2015", "2016", "2017"])
    >>> t["trend"], t["difference"], t["ratio"], t["slope"], t["first_seen"], t["groups_present"]
    ('emerging', 3.0, None, 1.5, '2016', 2)
    >>> trend([2.0, 1.0], ["a", "b"])["trend"], trend([2.0, 0.0], ["a", "b"])["trend"]
    ('falling', 'fading')
    """
    first, last = rates[0], rates[-1]
    n = len(rates)
    mean_x, mean_y = (n - 1) / 2, sum(rates) / n
    spread = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (r - mean_y) for i, r in enumerate(rates)) / spread if spread else 0.0
    present = [g for g, r in zip(order, rates) if r > 0]
    if first == 0:
        kind = "emerging" if last > 0 else "between"
    elif last == 0:
        kind = "fading"
    else:
        kind = "rising" if last > first else "falling" if last < first else "steady"
    return {"trend": kind, "first_group": order[0], "last_group": order[-1], "first_per_10k": first,
            "last_per_10k": last, "difference": round(last - first, 4) + 0.0,
            "ratio": round(last / first, 4) if first else None, "slope": round(slope, 4) + 0.0,
            "groups_present": len(present), "first_seen": present[0] if present else None,
            "last_seen": present[-1] if present else None}


PERIOD_FIELDS = ("concept", "label_zh_hant", "label_zh_hans", "label_en", "group", "mentions", "documents", "chars",
                 "per_10k_chars")
TREND_FIELDS = ("concept", "label_zh_hant", "label_zh_hans", "label_en", "mentions", "trend", "first_group",
                "last_group", "first_per_10k", "last_per_10k", "difference", "ratio", "slope", "groups_present",
                "first_seen", "last_seen")


def period_tables(periods: Periods, labels: dict[str, tuple[str, str, str]]) -> tuple[list[list], list[list]]:
    """The rows of periods.csv (every concept mentioned in a group, times every
    group, zeros included; by concept, then group in time order) and of
    trends.csv (one row per concept when there are two groups or more; by
    ``difference``, largest first, then concept). ``labels``: concept id ->
    (Traditional, Simplified, English) label.

    >>> p = Periods()
    >>> p.add("2015", 10000, {"concepts": {"a": {"mentions": 2}}})
    >>> p.add("2016", 20000, {"concepts": {"a": {"mentions": 1}, "b": {"mentions": 4}}})
    >>> rows, trends = period_tables(p, {"a": ("甲", "甲", "A")})
    >>> [r[4:] for r in rows]
    [['2015', 2, 1, 10000, 2.0], ['2016', 1, 1, 20000, 0.5], ['2015', 0, 0, 10000, 0.0], ['2016', 4, 1, 20000, 2.0]]
    >>> [(t[0], t[5], t[10]) for t in trends]
    [('b', 'emerging', 2.0), ('a', 'falling', -1.5)]
    """
    order = group_order(periods.groups)
    concepts = sorted({cid for g in periods.groups.values() for cid, c in g["concepts"].items() if c["mentions"]})
    rows, trends = [], []
    for cid in concepts:
        names = list(labels.get(cid, (cid, cid, cid)))
        rates, mentions = [], 0
        for group in order:
            g = periods.groups[group]
            c = g["concepts"].get(cid, {"mentions": 0, "documents": 0})
            rates.append(per_10k(c["mentions"], g["chars"]))
            mentions += c["mentions"]
            rows.append([cid, *names, group, c["mentions"], c["documents"], g["chars"], rates[-1]])
        if len(order) >= 2:
            t = trend(rates, order)
            trends.append([cid, *names, mentions, *("" if t[k] is None else t[k] for k in TREND_FIELDS[5:])])
    trends.sort(key=lambda r: (-r[TREND_FIELDS.index("difference")], r[0]))
    return rows, trends


def mean_periods(periods: Periods) -> dict[str, float]:
    """Each concept's mean group value weighted by its mentions (VOSviewer's
    overlay "average publication year"), when every group value is a number;
    {} otherwise. Rounded to 2 decimals.

    >>> p = Periods()
    >>> p.add("2015", 1, {"concepts": {"a": {"mentions": 1}}})
    >>> p.add("2017", 1, {"concepts": {"a": {"mentions": 3}, "b": {"mentions": 0}}})
    >>> mean_periods(p)
    {'a': 2016.5}
    """
    values = {g: _number(g) for g in periods.groups}
    if not values or any(v is None for v in values.values()):
        return {}
    sums: dict[str, list[float]] = {}
    for group, g in periods.groups.items():
        for cid, c in g["concepts"].items():
            s = sums.setdefault(cid, [0.0, 0])
            s[0] += values[group] * c["mentions"]
            s[1] += c["mentions"]
    return {cid: round(total / n, 2) + 0.0 for cid, (total, n) in sorted(sums.items()) if n}


# ---------------------------------------------------------------- files

def graphml_bytes(G) -> bytes:
    import networkx as nx

    buf = _io.BytesIO()
    # not nx.write_graphml: it switches to lxml's writer (other bytes) when lxml
    # happens to be installed, and outputs must not depend on that
    nx.write_graphml_xml(G, buf)
    return buf.getvalue()


def gexf_bytes(G) -> bytes:
    import networkx as nx

    H = G.copy()
    H.graph.clear()  # GEXF has no place for graph attributes; networkx would put them in the header
    buf = _io.BytesIO()
    nx.write_gexf(H, buf)
    # networkx stamps today's date into GEXF; drop it so reruns are byte-identical
    return re.sub(rb' lastmodifieddate="[^"]*"', b"", buf.getvalue())


def json_text(G) -> str:
    import networkx as nx

    return json.dumps(nx.node_link_data(G, edges="edges"), ensure_ascii=False, indent=1) + "\n"


def write_graph_files(G, folder: Path) -> None:
    """GraphML, GEXF, node-link JSON, nodes.csv and edges.csv, each atomically."""
    io.write_bytes(folder / "cooccurrence.graphml", graphml_bytes(G))
    io.write_bytes(folder / "cooccurrence.gexf", gexf_bytes(G))
    io.write_text(folder / "cooccurrence.json", json_text(G))
    fields = [*NODE_FIELDS, *(f for f in OPTIONAL_NODE_FIELDS if any(f in d for _, d in G.nodes(data=True)))]
    io.write_text(folder / "nodes.csv", io.csv_text(["id", *fields],
                                             ([n, *(G.nodes[n].get(f, "") for f in fields)] for n in G.nodes)))
    io.write_text(folder / "edges.csv", io.csv_text(["source", "target", *EDGE_FIELDS],
                                             ([a, b, *(G.edges[a, b][f] for f in EDGE_FIELDS)] for a, b in G.edges)))


def group_folder(value: str) -> str:
    """A folder name for a group value: path separators, characters that some
    file systems refuse and leading dots become ``_``.

    >>> group_folder("2015"), group_folder("工信部/發改委"), group_folder("..")
    ('2015', '工信部_發改委', '_.')
    """
    name = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", value.strip())
    return re.sub(r"^\.", "_", name) or "_"


# ---------------------------------------------------------------- stage entry points

def _attributes(cfg) -> dict:
    out = {"window": cfg.window, "roll_up": cfg.roll_up, "min_weight": cfg.min_weight}
    if cfg.window == "words":
        out["window_size"] = cfg.window_size
    return out


def preload(config) -> None:
    """Import what this stage imports on its first document (networkx, and
    scipy.sparse, which PageRank imports on first use) by measuring and
    writing out a graph of two concepts in memory (see ``runner.preload``)."""
    import networkx as nx

    G = nx.Graph()
    G.add_edge("a", "b", weight=1)
    _node_metrics(G, config.graph.seed)
    graphml_bytes(G), gexf_bytes(G), json_text(G)


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    """Count one document and write its own graph."""
    from .lexicon import load_lexicon

    started = time.perf_counter()
    cfg = config.graph
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    lines = (outputs / "tags" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
    mentions = [json.loads(line) for line in lines if line]
    extracted = io.read_json(outputs / ".state" / "extract" / f"{doc_id}.json")
    sentences = io.read_json(outputs / ".state" / "segment" / f"{doc_id}.json")["sentences"]
    words = None
    if cfg.window == "words":
        segmented = (outputs / "segmented" / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n")
        words = word_spans(text, sentences, segmented)
    lexicon = load_lexicon(config)
    counts = count_document(doc_id, text, mentions, sentences, extracted["paragraphs"], window=cfg.window,
                            window_size=cfg.window_size, words=words, ancestors=ancestry(lexicon, cfg.roll_up),
                            max_evidence=cfg.max_evidence, snippet_chars=cfg.snippet_chars)
    io.write_state(outputs / ".state" / "graph" / f"{doc_id}.json", counts)
    G = build_graph({doc_id: counts}, lexicon, min_weight=cfg.min_weight, max_evidence=cfg.max_evidence,
                    seed=cfg.seed, attributes=_attributes(cfg))
    io.write_bytes(outputs / "graph" / "docs" / f"{doc_id}.graphml", graphml_bytes(G))
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "windows": counts["windows"],
            "seconds": round(time.perf_counter() - started, 3)}


def finish(doc_ids: list[str], config, outputs: Path) -> dict:
    """Merge the per-document counts of ``doc_ids`` into the corpus graph and,
    with ``graph.group_by``, into one graph per group (graph/groups/<value>/),
    the concept x group table (graph/periods.csv), the trends between the
    first and the last group (graph/trends.csv) and, for numeric groups, each
    concept's ``mean_period`` in the corpus graph.

    Group values come from each document's metadata in the manifest
    (:func:`metadata.document_metadata`), which the runner saves before
    calling this; documents without a value are left out of every group (and
    counted as ``ungrouped``, named in one warning).
    """
    from .lexicon import load_lexicon

    cfg = config.graph
    lexicon = load_lexicon(config)
    groups_dir = outputs / "graph" / "groups"
    members: dict[str, list[str]] = {}  # group value -> its documents
    group_of: dict[str, str | None] = {}
    documents: dict = {}
    if cfg.group_by:
        documents = (io.read_json(outputs / "manifest.json", default={}) or {}).get("documents", {})
        group_of = document_groups(documents, doc_ids, cfg.group_by, cfg.group_pattern)
        for d, value in group_of.items():
            if value is not None:
                members.setdefault(value, []).append(d)
    folders: dict[str, list[str]] = {}  # folder -> the group values written there
    for value in sorted(members):
        folders.setdefault(group_folder(value), []).append(value)
    folder_of = {d: folder for folder, values in folders.items() for v in values for d in members[v]}
    # one document's counts in memory at a time, summed into the corpus's and its group's totals
    corpus, groups = Totals(cfg.max_evidence), {folder: Totals(cfg.max_evidence) for folder in folders}
    periods = Periods()
    for d in sorted(doc_ids):
        counts = io.read_json(outputs / ".state" / "graph" / f"{d}.json")
        corpus.add(d, counts)
        if d in folder_of:
            groups[folder_of[d]].add(d, counts)
            chars = documents[d].get("stages", {}).get("extract", {}).get("chars") or 0
            periods.add(group_of[d], chars, counts)
    options = {"min_weight": cfg.min_weight, "seed": cfg.seed}
    G = graph_of_totals(corpus.result(), lexicon, attributes=_attributes(cfg), **options)
    for cid, mean in mean_periods(periods).items():
        if cid in G:
            G.nodes[cid]["mean_period"] = mean
    write_graph_files(G, outputs / "graph")
    result = {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "documents": len(doc_ids)}
    if not cfg.group_by:
        shutil.rmtree(groups_dir, ignore_errors=True)
        for name in ("periods.csv", "trends.csv"):
            (outputs / "graph" / name).unlink(missing_ok=True)
        return result
    rows = []
    for folder, values in sorted(folders.items()):
        docs = sorted(d for v in values for d in members[v])
        H = graph_of_totals(groups[folder].result(), lexicon,
                            attributes={**_attributes(cfg), "group_by": cfg.group_by, "group": " | ".join(values)},
                            **options)
        write_graph_files(H, groups_dir / folder)
        rows.append([" | ".join(values), folder, len(docs), H.number_of_nodes(), H.number_of_edges(), " ".join(docs)])
    if groups_dir.is_dir():  # groups that no longer exist
        for old in sorted(groups_dir.iterdir()):
            if old.is_dir() and old.name not in folders:
                shutil.rmtree(old)
    io.write_text(groups_dir / "groups.csv", io.csv_text(["group", "folder", "documents", "nodes", "edges", "doc_ids"], rows))
    labels = {cid: (c.zh_hant, c.zh_hans, c.en) for cid, c in lexicon.concepts.items()}
    period_rows, trend_rows = period_tables(periods, labels)
    io.write_text(outputs / "graph" / "periods.csv", io.csv_text(PERIOD_FIELDS, period_rows))
    io.write_text(outputs / "graph" / "trends.csv", io.csv_text(TREND_FIELDS, trend_rows))
    ungrouped = sorted(d for d, value in group_of.items() if value is None)
    result.update(groups=len(folders), ungrouped=len(ungrouped))
    if ungrouped:
        how = f" matching group_pattern {cfg.group_pattern!r}" if cfg.group_pattern else ""
        result["warnings"] = [f"{len(ungrouped)} of {len(doc_ids)} documents have no {cfg.group_by!r} value{how} "
                              f"and are left out of the groups, periods.csv and trends.csv: {listing(ungrouped)}"]
    return result


# ---------------------------------------------------------------- reading and comparing graphs

def load_graph(path: Path):
    """Read a graph written by this stage (.graphml, .gexf or .json)."""
    import networkx as nx

    path = Path(path)
    if path.suffix == ".graphml":
        G = nx.read_graphml(path)
    elif path.suffix == ".gexf":
        G = nx.Graph(nx.read_gexf(path))
        G.graph.pop("mode", None)
        for _, _, d in G.edges(data=True):  # GEXF stores every weight as a float, and numbers edges
            d.pop("id", None)
            if isinstance(d.get("weight"), float) and d["weight"].is_integer():
                d["weight"] = int(d["weight"])
    else:
        return nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
    for key in ("node_default", "edge_default"):  # added by networkx's readers
        G.graph.pop(key, None)
    return G


def neighbours(G, node: str, *, sort: str = "weight") -> list[dict]:
    """The neighbours of ``node``: one dict per edge (the neighbour's id and
    labels, the edge's attributes, evidence parsed), strongest first by
    ``sort`` (an edge attribute), ties by id."""
    out = []
    for other in G[node]:
        e = dict(G.edges[node, other])
        e["evidence"] = json.loads(e.get("evidence") or "[]")
        o = G.nodes[other]
        out.append({"id": other, **{k: o.get(k, "") for k in ("label_zh_hant", "label_zh_hans", "label_en")}, **e})
    return sorted(out, key=lambda r: (-float(r.get(sort, 0)), r["id"]))


def compare(a, b, *, measure: str = "weight") -> dict:
    """What changed from graph ``a`` to graph ``b``.

    Returns ``{"concepts": {"gained", "lost", "changed"}, "edges": {...}}``.
    Gained and lost items are sorted by size (frequency for concepts,
    ``measure`` for edges), largest first; changed items (frequency for
    concepts, ``measure`` for edges) by the size of the change, then by id.
    Each item is a dict with ``id`` (concept) or ``source``/``target`` (edge),
    labels, ``a`` and ``b`` (None where absent) and ``delta``.
    """
    def label(G, n):
        d = G.nodes[n]
        return {"label_zh_hant": d.get("label_zh_hant", n), "label_en": d.get("label_en", n)}

    def value(data, key):
        v = data.get(key)
        return float(v) if isinstance(v, float) else v

    def sort(items, by):
        return sorted(items, key=lambda r: (-abs(r[by]), r.get("id", ""), r.get("source", ""), r.get("target", "")))

    out = {"concepts": {"gained": [], "lost": [], "changed": []}, "edges": {"gained": [], "lost": [], "changed": []}}
    c = out["concepts"]
    for n in set(b) - set(a):
        f = value(b.nodes[n], "frequency") or 0
        c["gained"].append({"id": n, **label(b, n), "a": None, "b": f, "delta": f})
    for n in set(a) - set(b):
        f = value(a.nodes[n], "frequency") or 0
        c["lost"].append({"id": n, **label(a, n), "a": f, "b": None, "delta": -f})
    for n in set(a) & set(b):
        fa, fb = value(a.nodes[n], "frequency") or 0, value(b.nodes[n], "frequency") or 0
        if fa != fb:
            c["changed"].append({"id": n, **label(b, n), "a": fa, "b": fb, "delta": fb - fa})
    edges_a = {tuple(sorted(e)): value(a.edges[e], measure) for e in a.edges}
    edges_b = {tuple(sorted(e)): value(b.edges[e], measure) for e in b.edges}

    def edge(e, G, va, vb):
        s, t = e
        return {"source": s, "target": t, "source_label": label(G, s)["label_zh_hant"],
                "target_label": label(G, t)["label_zh_hant"], "a": va, "b": vb,
                "delta": round((vb or 0) - (va or 0), 6)}

    d = out["edges"]
    d["gained"] = [edge(e, b, None, edges_b[e]) for e in set(edges_b) - set(edges_a)]
    d["lost"] = [edge(e, a, edges_a[e], None) for e in set(edges_a) - set(edges_b)]
    d["changed"] = [edge(e, b, edges_a[e], edges_b[e]) for e in set(edges_a) & set(edges_b)
                    if abs((edges_b[e] or 0) - (edges_a[e] or 0)) > 1e-9]
    for group in out.values():
        for name in group:
            group[name] = sort(group[name], "delta")
    return out
