"""Stage 5, graph: tags/*.jsonl -> the concept co-occurrence graph.

Each document is counted once (:func:`count_document`, kept in
.state/graph/<doc>.json); the corpus graph is merged from those counts
(:func:`merge_counts`), so adding one document does not recount the others.
Exports: GraphML, GEXF, node-link JSON, nodes.csv, edges.csv, and one GraphML
per document. Nodes and edges are sorted so reruns are byte-identical.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
import re
import time
from pathlib import Path

from . import io

NAME = "graph"
NODE_FIELDS = ("label_zh_hant", "label_zh_hans", "label_en", "category", "parent", "frequency", "doc_frequency",
               "degree", "weighted_degree", "betweenness", "pagerank", "community")
EDGE_FIELDS = ("weight", "doc_frequency", "jaccard", "dice", "pmi", "npmi", "association_strength",
               "evidence_count", "evidence")


def _snippet(text: str, start: int, end: int, width: int) -> str:
    """About ``width`` characters of ``text`` around [start, end), on one line."""
    if end - start < width:
        pad = (width - (end - start)) // 2
        start, end = max(0, start - pad), min(len(text), end + pad)
    return re.sub(r"\s+", " ", text[start:end]).strip()


def count_document(doc_id: str, text: str, mentions: list[dict], sentences, paragraphs, *,
                   window: str = "sentence", max_evidence: int = 5, snippet_chars: int = 80) -> dict:
    """Per-document counts: windows, concept mentions and windows, pair windows and evidence.

    >>> ms = [{"concept": "a", "start": 0, "end": 1, "sentence": 0, "paragraph": 0, "page": 1},
    ...       {"concept": "b", "start": 2, "end": 3, "sentence": 0, "paragraph": 0, "page": 1}]
    >>> c = count_document("d", "a b.", ms, [(0, 4)], [(0, 4)])
    >>> c["windows"], c["pairs"]["a|b"]["windows"]
    (1, 1)
    """
    spans = {"sentence": sentences, "paragraph": paragraphs, "document": [(0, len(text))]}[window]
    unit = {"sentence": "sentence", "paragraph": "paragraph", "document": None}[window]
    by_window: dict[int, list[dict]] = {}
    concepts: dict[str, dict] = {}
    for m in mentions:
        c = concepts.setdefault(m["concept"], {"mentions": 0, "windows": 0})
        c["mentions"] += 1
        by_window.setdefault(m[unit] if unit else 0, []).append(m)
    pairs: dict[str, dict] = {}
    for index in sorted(by_window):
        group = by_window[index]
        present = sorted({m["concept"] for m in group})
        for cid in present:
            concepts[cid]["windows"] += 1
        first = {}
        for m in group:
            first.setdefault(m["concept"], m)
        for i, a in enumerate(present):
            for b in present[i + 1:]:
                pair = pairs.setdefault(f"{a}|{b}", {"windows": 0, "evidence": []})
                pair["windows"] += 1
                if len(pair["evidence"]) < max_evidence:
                    ma, mb = first[a], first[b]
                    lo, hi = min(ma["start"], mb["start"]), max(ma["end"], mb["end"])
                    ws, we = spans[index] if index < len(spans) else (lo, hi)
                    pair["evidence"].append({"doc": doc_id, "page": min(ma["page"], mb["page"]),
                                             "sentence": min(ma["sentence"], mb["sentence"]),
                                             "snippet": _snippet(text[ws:we], lo - ws, hi - ws, snippet_chars)})
    return {"windows": len(spans), "concepts": concepts, "pairs": pairs}


def association(w_ab: int, w_a: int, w_b: int, n: int) -> dict:
    """Association measures of a pair over n context windows.

    jaccard = w_ab / (w_a + w_b - w_ab) and dice = 2 w_ab / (w_a + w_b), as
    KH Coder computes them over context units; pmi = log2(w_ab n / (w_a w_b));
    npmi = pmi / -log2(w_ab / n), in [-1, 1] (Bouma 2009); association
    strength = n w_ab / (w_a w_b) (van Eck & Waltman 2009, VOSviewer's
    normalisation, scaled by n).

    >>> association(2, 2, 4, 8)["dice"], association(2, 2, 4, 8)["pmi"]
    (0.666667, 1.0)
    """
    pmi = math.log2(w_ab * n / (w_a * w_b))
    p_ab = w_ab / n
    npmi = 1.0 if p_ab == 1 else pmi / -math.log2(p_ab)
    values = {"jaccard": w_ab / (w_a + w_b - w_ab), "dice": 2 * w_ab / (w_a + w_b), "pmi": pmi, "npmi": npmi,
              "association_strength": n * w_ab / (w_a * w_b)}
    return {k: round(v, 6) for k, v in values.items()}


def build_graph(counts: dict[str, dict], lexicon, *, min_weight: int = 1, max_evidence: int = 5, seed: int = 42):
    """Merge per-document counts (doc id -> counts) into one networkx Graph."""
    import networkx as nx

    n_windows = sum(c["windows"] for c in counts.values())
    freq, windows, docs = {}, {}, {}
    pair_w, pair_docs, evidence = {}, {}, {}
    for doc_id in sorted(counts):
        c = counts[doc_id]
        for cid, v in c["concepts"].items():
            freq[cid] = freq.get(cid, 0) + v["mentions"]
            windows[cid] = windows.get(cid, 0) + v["windows"]
            docs[cid] = docs.get(cid, 0) + 1
        for key, v in c["pairs"].items():
            pair_w[key] = pair_w.get(key, 0) + v["windows"]
            pair_docs[key] = pair_docs.get(key, 0) + 1
            kept = evidence.setdefault(key, [])
            kept.extend(v["evidence"][: max_evidence - len(kept)])
    G = nx.Graph()
    for cid in sorted(freq):
        concept = lexicon.concepts.get(cid)
        G.add_node(cid, label_zh_hant=concept.zh_hant if concept else cid,
                   label_zh_hans=concept.zh_hans if concept else cid, label_en=concept.en if concept else cid,
                   category=concept.category if concept else "", parent=concept.parent if concept else "",
                   frequency=freq[cid], doc_frequency=docs[cid])
    for key in sorted(pair_w):
        if pair_w[key] < min_weight:
            continue
        a, b = key.split("|")
        G.add_edge(a, b, weight=pair_w[key], doc_frequency=pair_docs[key],
                   **association(pair_w[key], windows[a], windows[b], n_windows),
                   evidence_count=pair_w[key], evidence=json.dumps(evidence[key], ensure_ascii=False))
    _node_metrics(G, seed)
    return G


def _node_metrics(G, seed: int) -> None:
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
                          betweenness=round(betweenness[n], 6), pagerank=round(pagerank[n], 6),
                          community=community[n])


def write_graph_files(G, folder: Path) -> None:
    """GraphML, GEXF, node-link JSON, nodes.csv and edges.csv, each atomically."""
    import networkx as nx

    buf = _io.BytesIO()
    nx.write_graphml(G, buf)
    io.write_bytes(folder / "cooccurrence.graphml", buf.getvalue())
    buf = _io.BytesIO()
    nx.write_gexf(G, buf)
    # networkx stamps today's date into GEXF; drop it so reruns are byte-identical
    io.write_bytes(folder / "cooccurrence.gexf", re.sub(rb' lastmodifieddate="[^"]*"', b"", buf.getvalue()))
    io.write_text(folder / "cooccurrence.json",
                  json.dumps(nx.node_link_data(G, edges="edges"), ensure_ascii=False, indent=1) + "\n")
    io.write_text(folder / "nodes.csv", _csv(["id", *NODE_FIELDS],
                                             ([n, *(G.nodes[n].get(f, "") for f in NODE_FIELDS)] for n in G.nodes)))
    io.write_text(folder / "edges.csv", _csv(["source", "target", *EDGE_FIELDS],
                                             ([a, b, *(G.edges[a, b][f] for f in EDGE_FIELDS)] for a, b in G.edges)))


def _csv(header, rows) -> str:
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def graphml_bytes(G) -> bytes:
    import networkx as nx

    buf = _io.BytesIO()
    nx.write_graphml(G, buf)
    return buf.getvalue()


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    """Count one document and write its own graph."""
    from . import tag

    started = time.perf_counter()
    cfg = config.graph
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    lines = (outputs / "tags" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
    mentions = [json.loads(line) for line in lines if line]
    extracted = io.read_json(outputs / ".state" / "extract" / f"{doc_id}.json")
    segmented = io.read_json(outputs / ".state" / "segment" / f"{doc_id}.json")
    counts = count_document(doc_id, text, mentions, segmented["sentences"], extracted["paragraphs"],
                            window=cfg.window, max_evidence=cfg.max_evidence, snippet_chars=cfg.snippet_chars)
    io.write_json(outputs / ".state" / "graph" / f"{doc_id}.json", counts)
    G = build_graph({doc_id: counts}, tag.load_lexicon(config), min_weight=cfg.min_weight,
                    max_evidence=cfg.max_evidence, seed=cfg.seed)
    io.write_bytes(outputs / "graph" / "docs" / f"{doc_id}.graphml", graphml_bytes(G))
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "windows": counts["windows"],
            "seconds": round(time.perf_counter() - started, 3)}


def finish(doc_ids: list[str], config, outputs: Path) -> dict:
    """Merge the per-document counts of ``doc_ids`` into the corpus graph."""
    from . import tag

    cfg = config.graph
    counts = {d: io.read_json(outputs / ".state" / "graph" / f"{d}.json") for d in doc_ids}
    G = build_graph(counts, tag.load_lexicon(config), min_weight=cfg.min_weight, max_evidence=cfg.max_evidence,
                    seed=cfg.seed)
    write_graph_files(G, outputs / "graph")
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "documents": len(doc_ids)}


def load_graph(path: Path):
    """Read a graph written by this stage (.graphml, .gexf or .json)."""
    import networkx as nx

    path = Path(path)
    if path.suffix == ".graphml":
        return nx.read_graphml(path)
    if path.suffix == ".gexf":
        return nx.read_gexf(path)
    return nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
