"""The graph: measures on a hand-computed example, weights recomputed
independently from tags/*.jsonl, round trips, byte-identical reruns."""

import csv
import json
import math
from collections import Counter
from itertools import combinations

import networkx as nx

from conftest import ROOT, run_cli, snapshot
from pipeline.graph import association, load_graph


def test_association_by_hand():
    # 10 windows; a in 4, b in 5, both in 2
    got = association(2, 4, 5, 10)
    assert got["jaccard"] == round(2 / 7, 6)
    assert got["dice"] == round(4 / 9, 6)
    assert got["pmi"] == round(math.log2(2 * 10 / 20), 6) == 0.0
    assert got["npmi"] == 0.0
    assert got["association_strength"] == 1.0
    assert association(3, 3, 3, 3)["npmi"] == 1.0


def test_weights_recomputed_from_tags(built):
    pairs = Counter()
    for path in sorted((built / "tags").glob("*.jsonl")):
        by_sentence = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            m = json.loads(line)
            by_sentence.setdefault(m["sentence"], set()).add(m["concept"])
        for concepts in by_sentence.values():
            pairs.update(combinations(sorted(concepts), 2))
    with open(built / "graph/edges.csv", encoding="utf-8") as handle:
        exported = {(r["source"], r["target"]): int(r["weight"]) for r in csv.DictReader(handle)}
    assert exported == {tuple(sorted(p)): w for p, w in pairs.items()}


def test_round_trips(built):
    G = load_graph(built / "graph/cooccurrence.json")
    assert G.number_of_nodes() > 50 and G.number_of_edges() > 100
    for name in ("cooccurrence.graphml", "cooccurrence.gexf"):
        H = load_graph(built / "graph" / name)
        assert set(H.nodes) == set(G.nodes)
        assert {tuple(sorted(e)) for e in H.edges} == {tuple(sorted(e)) for e in G.edges}
        for a, b in G.edges:
            assert H.edges[a, b]["weight"] == G.edges[a, b]["weight"]
            assert json.loads(H.edges[a, b]["evidence"]) == json.loads(G.edges[a, b]["evidence"])
    for n, d in G.nodes(data=True):
        assert d["label_zh_hant"] and d["label_zh_hans"] and d["label_en"]
    assert isinstance(nx.read_graphml(built / "graph/docs/mic2025-hk.graphml"), nx.Graph)


def test_outputs_byte_identical_across_runs_and_jobs(built, tmp_path):
    run_cli("run", "--corpus", ROOT / "corpus", "--outputs", tmp_path / "two", "--jobs", "2", check=0)
    ignore = ("manifest.json", ".lock", ".stamps")
    a, b = snapshot(built, ignore), snapshot(tmp_path / "two", ignore)
    assert sorted(a) == sorted(b)
    differing = [p for p in a if a[p][0] != b[p][0]]
    assert differing == []
