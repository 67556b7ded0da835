"""Stage 6, report: graph + manifest + mentions -> report/index.html, plus a
static figure report/graph.png and report/graph.svg.

``index.html`` is one self-contained page: the graph library (Cytoscape.js,
vendored in ``report_assets/``), the page's own script and style and all data
are inlined, so it opens from the file system with no network. It has an
interactive graph (zoom, pan, search in any script, filters, a 繁 / 简 / EN
label switch, a node's neighbours and mentions in context, an edge's evidence
sentences) and tables of documents, concepts and edges.

The page is ``report_assets/index.html.j2`` filled by Jinja2 (:func:`render`).
Document text is untrusted. The template escapes every value; the data
for the script is JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` and so
on (:func:`embed_json`), so no text can close the script element; the script
puts text into the page with ``textContent`` only; and the page's
Content-Security-Policy allows only the page's own scripts (by hash), so
even a tag that slipped through could not run.

Reruns are byte-identical: no timestamps, every list sorted, the layout seeded,
and nothing from the manifest's timings.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io as _io
import json
import math
import re
import sys
from pathlib import Path

from . import io
from .concordance import context

NAME = "report"
ASSETS = Path(__file__).resolve().parent / "report_assets"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
LABEL_KEYS = {"zh-Hant": "label_zh_hant", "zh-Hans": "label_zh_hans", "en": "label_en"}
NODE_ATTRS = ("label_zh_hant", "label_zh_hans", "label_en", "category", "parent", "frequency", "doc_frequency",
              "degree", "weighted_degree", "betweenness", "pagerank", "community")
MEASURES = ("weight", "doc_frequency", "jaccard", "dice", "pmi", "npmi", "association_strength")
EDGE_ATTRS = (*MEASURES, "evidence_count")
OK_STATUSES = ("ok", "unchanged")  # "unchanged" is this run's bookkeeping; to a reader it is ok
CJK_FONT_PACKAGE = "fonts-wqy-zenhei"  # the Debian package the project installs (.ci/run)
FIGURE_LABELS = 80  # the static figure labels only the most frequent nodes, so it stays legible


# ---------------------------------------------------------------- data in

def parse_evidence(value) -> list[dict]:
    """An edge's evidence as a list, whether stored as a JSON string or a list.

    >>> parse_evidence('[{"doc": "a", "page": 1, "sentence": 2, "snippet": "x"}]')[0]["doc"]
    'a'
    >>> parse_evidence("not json"), parse_evidence(None)
    ([], [])
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _blank(value):
    """JSON-safe attribute value; None, NaN and containers become ""."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else value
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return ""


def graph_data(node_link: dict) -> tuple[list[dict], list[dict]]:
    """Nodes and edges of a node-link graph, with every known attribute present
    (missing ones as ""), sorted by id and by (source, target).

    >>> nodes, edges = graph_data({"nodes": [{"id": "b"}, {"id": "a", "frequency": 3}],
    ...                            "edges": [{"source": "b", "target": "a", "weight": 2}]})
    >>> [n["id"] for n in nodes], nodes[0]["frequency"], nodes[1]["frequency"]
    (['a', 'b'], 3, '')
    >>> edges[0]["source"], edges[0]["target"], edges[0]["npmi"], edges[0]["evidence"]
    ('a', 'b', '', [])
    """
    nodes = []
    for raw in node_link.get("nodes") or []:
        if not isinstance(raw, dict) or "id" not in raw:
            continue
        node = {"id": str(raw["id"])}
        node.update({key: _blank(raw.get(key)) for key in NODE_ATTRS})
        nodes.append(node)
    nodes.sort(key=lambda n: n["id"])
    known = {n["id"] for n in nodes}
    edges = []
    for raw in node_link.get("edges", node_link.get("links")) or []:
        if not isinstance(raw, dict):
            continue
        a, b = sorted((str(raw.get("source")), str(raw.get("target"))))
        if a not in known or b not in known:
            continue
        edge = {"source": a, "target": b}
        edge.update({key: _blank(raw.get(key)) for key in EDGE_ATTRS})
        edge["evidence"] = [{k: _blank(item.get(k)) for k in ("doc", "page", "sentence", "snippet")}
                            for item in parse_evidence(raw.get("evidence"))]
        edges.append(edge)
    edges.sort(key=lambda e: (e["source"], e["target"]))
    return nodes, edges


def _number(value, default=0.0) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _component_layout(G, seed: int) -> dict:
    """Positions of one connected component, in [-1, 1]."""
    import networkx as nx

    if len(G) == 1:
        return {n: (0.0, 0.0) for n in G}
    if len(G) <= 250:
        # Kamada-Kawai on distances that shrink with the weight reads best for
        # concept graphs (a dense core, with principles and sectors around it);
        # it is deterministic (circular start) but O(n^2), so big graphs get springs
        H = nx.Graph()
        H.add_nodes_from(sorted(G))
        H.add_edges_from((a, b, {"distance": 1 / (1 + d["weight"]) ** 0.5}) for a, b, d in sorted(G.edges(data=True)))
        return nx.kamada_kawai_layout(H, weight="distance")
    return nx.spring_layout(G, weight="weight", seed=seed, k=2 / len(G) ** 0.5, iterations=100)


def layout(nodes: list[dict], edges: list[dict], *, seed: int = 42, size: int = 1000) -> dict:
    """Node positions {id: (x, y)}, rounded, y growing downwards: the biggest
    connected component fills a ``size`` square; smaller components and
    isolated concepts follow in rows below it, so they do not fly off.

    >>> layout([{"id": "a"}], [])
    {'a': (500.0, 500.0)}
    >>> pos = layout([{"id": "a"}, {"id": "b"}, {"id": "c"}], [{"source": "a", "target": "b", "weight": 1}])
    >>> pos["c"][1] > max(pos["a"][1], pos["b"][1])
    True
    """
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(sorted(n["id"] for n in nodes))
    G.add_edges_from((e["source"], e["target"], {"weight": max(_number(e["weight"], 1), 1e-9)}) for e in edges)
    components = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c)))
    out = {}

    def place(component, x0, y0, box):
        raw = _component_layout(G.subgraph(component), seed)
        xs = [p[0] for p in raw.values()]
        ys = [p[1] for p in raw.values()]
        x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)  # once, not once per node
        for n, (x, y) in raw.items():
            fx = (x - x_lo) / (x_hi - x_lo) if x_hi > x_lo else 0.5
            fy = (y - y_lo) / (y_hi - y_lo) if y_hi > y_lo else 0.5
            out[n] = (round(float(x0 + fx * box), 1), round(float(y0 + fy * box), 1))

    if components:
        place(components[0], 0, 0, size)
    x, y, row = 0, size + 80, 0
    for component in components[1:]:
        cell = 200 if len(component) > 1 else 90
        if x + cell > size + 1:
            x, y, row = 0, y + row, 0
        place(component, x + 20, y, cell - 60 if len(component) > 1 else 0)
        x, row = x + cell, max(row, cell if len(component) > 1 else 70)
    return out


def kwic(text: str, mentions: list[dict], *, chars: int = 30) -> list[dict]:
    """Mentions in context: ``chars`` characters either side, whitespace folded.

    >>> kwic("我们要推进\\n智能制造。", [{"concept": "sm", "start": 6, "end": 10, "page": 2}], chars=3)
    [{'concept': 'sm', 'page': 2, 'left': '推进 ', 'surface': '智能制造', 'right': '。'}]
    """
    out = []
    for m in mentions:
        try:
            start, end = int(m["start"]), int(m["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if not 0 <= start <= end <= len(text):
            continue
        left, surface, right = context(text, start, end, chars=chars)
        out.append({"concept": str(m.get("concept", "")), "page": _blank(m.get("page")),
                    "left": left, "surface": surface, "right": right})
    return out


def select_kwic(per_doc, *, limit: int) -> dict[str, dict]:
    """At most ``limit`` mentions per concept, taken in turn from each document
    (sorted by id) so that one long document does not fill the list.
    ``per_doc`` is {doc: mentions}, or (doc, mentions) pairs in id order: a
    generator of them keeps one document's mentions in memory at a time.

    >>> per_doc = {"b": [{"concept": "x", "surface": "b1"}, {"concept": "x", "surface": "b2"}],
    ...            "a": [{"concept": "x", "surface": "a1"}]}
    >>> got = select_kwic(per_doc, limit=2)["x"]
    >>> got["total"], [(i["doc"], i["surface"]) for i in got["items"]]
    (3, [('a', 'a1'), ('b', 'b1')])
    """
    from .sampling import RoundRobin

    chosen, totals = RoundRobin(limit), {}
    for doc, items in sorted(per_doc.items()) if isinstance(per_doc, dict) else per_doc:
        by_concept: dict[str, list[dict]] = {}
        for item in items:
            by_concept.setdefault(item["concept"], []).append(item)
        for concept, found in by_concept.items():
            chosen.add(concept, [(doc, item) for item in found[:limit]])
            totals[concept] = totals.get(concept, 0) + len(found)
    return {concept: {"total": totals[concept],
                      "items": [{"doc": doc, **{k: v for k, v in item.items() if k != "concept"}}
                                for doc, item in chosen.result(concept)]}
            for concept in sorted(totals)}


def document_rows(documents: dict) -> list[dict]:
    """Manifest documents -> table rows (no timings, no hashes), sorted by id.

    >>> rows = document_rows({"b": {"status": "unchanged", "stages": {"extract": {"pages": 3, "ocr_pages": [2]}}},
    ...                       "a": {"status": "failed", "reason": "bad <pdf>"}})
    >>> [(r["id"], r["status"], r["reason"], r["pages"], r["ocr_pages"]) for r in rows]
    [('a', 'failed', 'bad <pdf>', '', ''), ('b', 'ok', '', 3, '1 (2)')]
    """
    rows = []
    for doc_id in sorted(documents):
        d = documents[doc_id] if isinstance(documents[doc_id], dict) else {}
        stages = d.get("stages") if isinstance(d.get("stages"), dict) else {}
        extract = stages.get("extract") if isinstance(stages.get("extract"), dict) else {}
        convert = stages.get("convert") if isinstance(stages.get("convert"), dict) else {}
        status = str(d.get("status") or "")
        ocr = extract.get("ocr_pages")
        if isinstance(ocr, list):
            pages = [str(p) for p in ocr]
            ocr_text = f"{len(pages)} ({', '.join(pages[:10])}{', ...' if len(pages) > 10 else ''})" if pages else ""
        else:
            ocr_text = _blank(ocr)
        rows.append({"id": doc_id, "script": _blank(convert.get("script")), "language": _blank(convert.get("language")),
                     "pages": _blank(extract.get("pages")), "engine": _blank(extract.get("engine")),
                     "ocr_pages": ocr_text, "status": "ok" if status in OK_STATUSES else status,
                     "reason": _blank(d.get("reason"))})
    return rows


def embed_json(data) -> str:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>``, ``&``
    and the two JavaScript line separators are escaped, so no string in it can
    end the element or start a comment.

    >>> embed_json({"t": "</script><b>&"})
    '{"t":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                       ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


# ---------------------------------------------------------------- keyness

def keyness_view(counts: dict, groups: dict, *, top_n: int = 30) -> dict | None:
    """The page's keyness table: the concepts of the last group (in sorted
    order: for years, the latest) against the first, by signed G²
    (:mod:`pipeline.keyness`). ``counts`` is {doc: {concept: mentions}},
    ``groups`` {doc: group or None}. None with fewer than two groups.

    >>> view = keyness_view({"a": {"x": 5, "y": 1}, "b": {"x": 1, "y": 5}, "c": {"x": 9}},
    ...                     {"a": "2015", "b": "2021", "c": None}, top_n=5)
    >>> view["target"], view["reference"], [r["item"] for r in view["up"]], [r["item"] for r in view["down"]]
    ('2021', '2015', ['y'], ['x'])
    >>> view["up"][0]["g2"], view["up"][0]["log_ratio"], view["target_total"], view["groups"]
    (2.911032, 2.321928, 6, 2)
    >>> keyness_view({"a": {"x": 1}}, {"a": "2015"}) is None
    True
    """
    from .keyness import add_counts, keyness

    values = sorted({g for d, g in groups.items() if g is not None and d in counts})
    if len(values) < 2:
        return None
    first, last = values[0], values[-1]
    sides = {}
    for name, value in (("target", last), ("reference", first)):
        docs = [d for d in sorted(counts) if groups.get(d) == value]
        total: dict[str, int] = {}
        for d in docs:
            add_counts(total, counts[d])
        sides[name] = (docs, total)
    rows = keyness(sides["target"][1], sides["reference"][1])
    if not rows:
        return None
    return {"target": last, "reference": first, "groups": len(values),
            "target_documents": len(sides["target"][0]), "reference_documents": len(sides["reference"][0]),
            "target_total": sum(sides["target"][1].values()), "reference_total": sum(sides["reference"][1].values()),
            "up": [r for r in rows if r["g2"] > 0][:top_n],
            "down": sorted((r for r in rows if r["g2"] < 0), key=lambda r: (r["g2"], r["item"]))[:top_n]}


# ---------------------------------------------------------------- time view

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 32, 4


def _float(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def sparkline(values: list[float], *, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT,
              pad: int = SPARK_PAD) -> list[tuple[float, float]]:
    """Points of a small line chart of ``values`` (one per group, in order)
    in a ``width`` x ``height`` box, y growing downwards, scaled to the
    largest value (a line along the bottom when all are 0).

    >>> sparkline([0.0, 2.0, 1.0], width=20, height=12, pad=2)
    [(2.0, 10.0), (10.0, 2.0), (18.0, 6.0)]
    >>> sparkline([5.0], width=20, height=12, pad=2)
    [(10.0, 2.0)]
    """
    top = max(values, default=0) or 1
    step = (width - 2 * pad) / (len(values) - 1) if len(values) > 1 else 0
    return [(round(pad + i * step if len(values) > 1 else width / 2, 1),
             round(height - pad - (height - 2 * pad) * v / top, 1)) for i, v in enumerate(values)]


def time_view(periods: list[dict], trends: list[dict], doc_rows: list[dict], *, group_by: str, top_n: int = 30,
              mean_period: dict | None = None, labels: str = "zh-Hant") -> dict:
    """What the page's time view shows, from the rows of graph/periods.csv and
    graph/trends.csv (as read by csv.DictReader) and the documents table's
    rows (their ``group``): the groups with their documents and characters;
    the ``top_n`` most mentioned concepts, each with its rate per group and a
    sparkline; the emerging and fading concepts (trends.csv's rule), largest
    rate first; and the nodes' ``mean_period`` for the overlay colouring.

    >>> periods = [{"concept": "a", "label_zh_hant": "甲", "label_zh_hans": "甲", "label_en": "A", "group": g,
    ...             "mentions": m, "documents": "1", "chars": "100", "per_10k_chars": r}
    ...            for g, m, r in (("2015", "0", "0.0"), ("2016", "2", "200.0"))]
    >>> trends = [{"concept": "a", "trend": "emerging", "first_per_10k": "0.0", "last_per_10k": "200.0"}]
    >>> view = time_view(periods, trends, [{"group": "2016"}], group_by="date")
    >>> view["groups"], view["concepts"][0]["mentions"], view["concepts"][0]["points"]
    ([{'group': '2015', 'documents': 0, 'chars': 100}, {'group': '2016', 'documents': 1, 'chars': 100}], 2, '4.0,28.0 156.0,4.0')
    >>> [c["id"] for c in view["emerging"]], view["fading"]
    (['a'], [])
    """
    label_key = LABEL_KEYS[labels]
    order, chars, concepts = [], {}, {}
    for row in periods:
        group = str(row.get("group", ""))
        if group not in chars:
            order.append(group)
            chars[group] = int(_float(row.get("chars")))
        c = concepts.setdefault(row.get("concept", ""), {
            "id": row.get("concept", ""), "label": row.get(label_key) or row.get("concept", ""),
            "label_zh_hant": row.get("label_zh_hant", ""), "label_en": row.get("label_en", ""),
            "mentions": 0, "rates": {}})
        c["mentions"] += int(_float(row.get("mentions")))
        c["rates"][group] = _float(row.get("per_10k_chars"))
    documents = {g: sum(1 for r in doc_rows if r.get("group") == g) for g in order}
    trend_of = {t.get("concept"): t for t in trends}
    mean_period = mean_period or {}
    shown = sorted(concepts.values(), key=lambda c: (-c["mentions"], c["id"]))[:top_n]
    for c in shown:
        rates = [c["rates"].get(g, 0.0) for g in order]
        points = sparkline(rates)
        c.update(values=rates, points=" ".join(f"{x},{y}" for x, y in points), dots=points,
                 title="; ".join(f"{g}: {r:g}" for g, r in zip(order, rates)),
                 trend=trend_of.get(c["id"], {}).get("trend", ""), mean_period=mean_period.get(c["id"], ""))

    def listed(kind, rate):
        rows = [t for t in trends if t.get("trend") == kind]
        rows.sort(key=lambda t: (-_float(t.get(rate)), t.get("concept", "")))
        return [{"id": t.get("concept", ""), "label": t.get(label_key) or t.get("concept", ""),
                 "label_en": t.get("label_en", ""), "rate": t.get(rate, ""), "first_seen": t.get("first_seen", ""),
                 "last_seen": t.get("last_seen", "")} for t in rows[:top_n]]

    numbers = sorted(v for v in mean_period.values() if isinstance(v, (int, float)))
    return {"group_by": group_by, "groups": [{"group": g, "documents": documents[g], "chars": chars[g]} for g in order],
            "concepts": shown, "concept_count": len(concepts), "emerging": listed("emerging", "last_per_10k"),
            "fading": listed("fading", "first_per_10k"), "width": SPARK_WIDTH, "height": SPARK_HEIGHT,
            "ungrouped": sum(1 for r in doc_rows if r.get("group") == "" and r.get("status") == "ok"),
            "script": {"group_by": group_by, "mean_period": {k: mean_period[k] for k in sorted(mean_period)},
                       "range": [numbers[0], numbers[-1]] if numbers else None}}


def document_time_rows(documents: dict, *, group_by: str, group_pattern: str = "") -> dict[str, dict]:
    """The documents table's extra cells in the time view: date, issuer,
    document number (from each document's metadata), group and mentions.

    >>> document_time_rows({"a": {"metadata": {"date": "2016", "issuer": "工信部"},
    ...                           "stages": {"tag": {"mentions": 7}}}}, group_by="date")
    {'a': {'date': '2016', 'issuer': '工信部', 'number': '', 'group': '2016', 'mentions': 7}}
    """
    from .metadata import document_metadata, group_of

    out = {}
    for doc_id in sorted(documents):
        d = documents[doc_id] if isinstance(documents[doc_id], dict) else {}
        md = document_metadata(d)
        tag = (d.get("stages") or {}).get("tag") if isinstance(d.get("stages"), dict) else {}
        out[doc_id] = {"date": _blank(md.get("date")), "issuer": _blank(md.get("issuer")),
                       "number": _blank(md.get("document_number")),
                       "group": group_of(md, group_by, group_pattern) or "",
                       "mentions": _blank((tag or {}).get("mentions"))}
    return out


# ---------------------------------------------------------------- static figure

def load_libraries(fonts=()) -> None:
    """Import what the report draws with, look its font up and read the page
    template, ahead of time: `run` calls this in its side process while the
    workers process documents."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.collections  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import networkx  # noqa: F401
    import scipy.optimize  # noqa: F401  (networkx's kamada_kawai_layout)

    find_cjk_font(tuple(fonts))
    _template()


def find_cjk_font(families) -> str | None:
    """Path of the first installed font among ``families``, or None."""
    import logging

    from matplotlib import font_manager

    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "failed to find font weight normal ..." is noise: any weight will do
    try:
        for family in families:
            try:
                return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
            except ValueError:
                continue
    finally:
        logger.setLevel(level)
    return None


def colour_of(value, values: list) -> str:
    """Palette colour of a community number or category (grey when unknown).

    >>> colour_of(11, []), colour_of("", []), colour_of("sector", ["foundation", "sector"])
    ('#ff7f0e', '#bbbbbb', '#ff7f0e')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return PALETTE[value % len(PALETTE)]
    if value in values and value != "":
        return PALETTE[values.index(value) % len(PALETTE)]
    return "#bbbbbb"


def draw_figure(nodes: list[dict], edges: list[dict], pos: dict, *, fonts=("WenQuanYi Zen Hei",),
                labels: str = "zh-Hant") -> tuple[bytes, bytes, str | None]:
    """The graph as PNG and SVG bytes (same layout as the page), and a warning
    when no CJK font was found; then labels are English so the figure stays readable."""
    import warnings

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = find_cjk_font(fonts)
    warning = None
    label_key = LABEL_KEYS[labels]
    if font is None:
        warning = (f"no CJK font found (tried {', '.join(fonts)}); install the Debian package {CJK_FONT_PACKAGE}. "
                   "graph.png and graph.svg were drawn with English labels")
        label_key = "label_en"
    prop = FontProperties(fname=font) if font else FontProperties(family="DejaVu Sans")
    xs = [x for x, _ in pos.values()] or [0, 1000]
    ys = [y for _, y in pos.values()] or [0, 1000]
    left, right, top_y, bottom = min(xs) - 80, max(xs) + 80, min(ys) - 50, max(ys) + 70
    width = 12
    height = min(max(width * (bottom - top_y) / (right - left), 4), 24)
    fig = Figure(figsize=(width, round(height, 2)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    if not nodes:
        ax.text(0.5, 0.5, "no concepts found", ha="center", va="center", fontproperties=prop, fontsize=16)
    else:
        weights = [_number(e["weight"], 1) for e in edges]
        top = max(weights, default=1) or 1
        segments = [(pos[e["source"]], pos[e["target"]]) for e in edges]
        ax.add_collection(LineCollection(segments, linewidths=[0.4 + 4 * w / top for w in weights],
                                         colors="#999999", alpha=0.45, zorder=1))
        biggest = max((_number(n["frequency"], 1) for n in nodes), default=1) or 1
        communities = sorted({n["community"] for n in nodes}, key=str)
        xs = [pos[n["id"]][0] for n in nodes]
        ys = [pos[n["id"]][1] for n in nodes]
        sizes = [30 + 900 * (_number(n["frequency"], 1) / biggest) ** 0.5 for n in nodes]
        ax.scatter(xs, ys, s=sizes, c=[colour_of(n["community"], communities) for n in nodes],
                   edgecolors="white", linewidths=0.8, zorder=2)
        ranked = sorted(nodes, key=lambda n: (-_number(n["frequency"]), n["id"]))[:FIGURE_LABELS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Glyph ... missing from font": the warning above says why
            for n in ranked:
                x, y = pos[n["id"]]
                ax.text(x, y + 12, str(n[label_key] or n["id"]), fontproperties=prop, fontsize=9, ha="center",
                        va="top", zorder=3, color="#222222")
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top_y)  # y grows downwards, as on the page

    png, svg = _io.BytesIO(), _io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(png, format="png", metadata={"Software": None})
        with matplotlib.rc_context({"svg.hashsalt": "policy-pipeline", "svg.fonttype": "path"}):
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue(), warning


# ---------------------------------------------------------------- page

def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    if re.search(r"</script|</style|<!--", text, re.I):
        raise ValueError(f"{ASSETS / name}: contains '</script', '</style' or '<!--' and cannot be inlined")
    return text


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


@functools.lru_cache(maxsize=1)
def _template():
    """The page template, ``report_assets/index.html.j2``: autoescaped, and a
    missing value is an error rather than an empty string."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ASSETS), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    return env.get_template("index.html.j2")


def render(nodes: list[dict], edges: list[dict], documents: dict, *, title: str, top_n: int = 30,
           positions: dict | None = None, kwic_data: dict | None = None, kwic_limit: int = 20,
           never_found: list[dict] = (), candidates: tuple[list[str], list[list[str]]] | None = None,
           candidates_name: str = "candidates.csv", figure_svg: bytes = b"", figure_warning: str | None = None,
           labels: str = "zh-Hant", aliases: dict | None = None, keyness: dict | None = None,
           time: dict | None = None, document_time: dict | None = None) -> str:
    """The report page as a string (pure: data in, HTML out).

    >>> page = render([{"id": "x", "label_en": "<b>"}], [], {}, title="t")
    >>> "<b>" in page, "&lt;b&gt;" in page
    (False, True)
    """
    from markupsafe import Markup

    nodes = [{**{k: "" for k in NODE_ATTRS}, **n} for n in nodes]
    edges = [{**{k: "" for k in EDGE_ATTRS}, "evidence": [], **ed} for ed in edges]
    positions = positions or {}
    kwic_data = kwic_data or {}
    data = {
        "labels": LABEL_KEYS[labels],
        "measures": [m for m in MEASURES if any(isinstance(ed.get(m), (int, float)) for ed in edges)] or ["weight"],
        "kwic_limit": kwic_limit,
        "nodes": [{**n, "x": positions.get(n["id"], (0, 0))[0], "y": positions.get(n["id"], (0, 0))[1],
                   "aliases": list((aliases or {}).get(n["id"], ()))} for n in nodes],
        "edges": edges,
        "kwic": kwic_data,
    }
    app, library = _asset("app.js"), _asset("cytoscape.min.js")
    time_js = _asset("time.js") if time else ""
    scripts = " ".join(_csp_hash(script) for script in (library, app, time_js) if script)
    csp = f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:"
    doc_rows = document_rows(documents)
    if time:  # the time view's columns of the documents table
        blank = {"date": "", "issuer": "", "number": "", "group": "", "mentions": ""}
        doc_rows = [{**r, **blank, **(document_time or {}).get(r["id"], {})} for r in doc_rows]
    svg = figure_svg.decode("utf-8")
    svg = svg[svg.find("<svg"):] if svg else ""  # drop the XML declaration and doctype: this is inline SVG
    if candidates is not None:
        candidates = {"header": candidates[0], "shown": candidates[1][:top_n], "total": len(candidates[1])}
    return _template().render(
        # Markup (not escaped) only where the text is safe by construction:
        # the policy is our own text and base64 hashes (escaping would turn its
        # quotes into entities); the style and the scripts are the
        # project's files, refused by _asset if they could end their element,
        # and escaping would change what the CSP hashes cover; the data is
        # embed_json's, with < > & already written as \u003c and so on; the
        # SVG is matplotlib's XML, whose writer escapes every text and comment
        csp=Markup(csp), style=Markup(_asset("report.css")), library=Markup(library), app=Markup(app),
        data_json=Markup(embed_json(data)), figure_svg=Markup(svg),
        # the time view, when graph.group_by is set: its script and data (as the graph's above)
        time=time, time_js=Markup(time_js), time_json=Markup(embed_json(time["script"]) if time else ""),
        # everything else, document text above all, is escaped by the template
        title=title, documents=doc_rows, failed=sum(r["status"] == "failed" for r in doc_rows),
        concept_count=len(nodes), edge_count=len(edges), kwic_limit=kwic_limit,
        top_concepts=sorted(nodes, key=lambda n: (-_number(n["frequency"]), n["id"]))[:top_n],
        top_edges=sorted(edges, key=lambda x: (-_number(x["weight"]), x["source"], x["target"]))[:top_n],
        label_of={n["id"]: n["label_zh_hant"] or n["id"] for n in nodes}, never_found=list(never_found),
        candidates=candidates, candidates_name=candidates_name, figure_warning=figure_warning,
        figure_labels=FIGURE_LABELS, keyness=keyness)


# ---------------------------------------------------------------- I/O

def _read_candidates(outputs: Path, name: str):
    path = outputs / name
    if not path.is_file():
        return None
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    return (rows[0], rows[1:]) if rows else ([], [])


def _read_csv_rows(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    return list(csv.DictReader(_io.StringIO(text, newline="")))


def _time_view(config, outputs: Path, documents: dict, node_link: dict):
    """The time view and the documents table's time columns, when
    ``graph.group_by`` is set and the graph stage wrote graph/periods.csv;
    (None, None) otherwise."""
    periods_path = outputs / "graph" / "periods.csv"
    if not config.graph.group_by or not periods_path.is_file():
        return None, None
    document_time = document_time_rows(documents, group_by=config.graph.group_by,
                                       group_pattern=config.graph.group_pattern)
    doc_rows = [{**r, **document_time.get(r["id"], {})} for r in document_rows(documents)]
    mean_period = {str(n["id"]): n["mean_period"] for n in node_link.get("nodes") or []
                   if isinstance(n, dict) and "id" in n and isinstance(n.get("mean_period"), (int, float))}
    view = time_view(_read_csv_rows(periods_path), _read_csv_rows(outputs / "graph" / "trends.csv"), doc_rows,
                     group_by=config.graph.group_by, top_n=config.report.top_n, mean_period=mean_period,
                     labels=config.report.labels)
    return view, document_time


def run(config, outputs: Path) -> dict:
    from .lexicon import load_lexicon
    from .metadata import document_groups

    cfg = config.report
    node_link = io.read_json(outputs / "graph" / "cooccurrence.json", default={}) or {}
    nodes, edges = graph_data(node_link)
    documents = (io.read_json(outputs / "manifest.json", default={}) or {}).get("documents", {}) or {}

    counts: dict[str, dict[str, int]] = {}  # {doc: {concept: mentions}}, for the keyness table

    def mentions_in_context():  # one document at a time, in id order
        for doc_id, d in sorted(documents.items()):
            if not isinstance(d, dict) or d.get("status") not in OK_STATUSES:
                continue
            try:
                text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")
            except (FileNotFoundError, UnicodeDecodeError):
                continue
            mentions = io.read_jsonl(outputs / "tags" / f"{doc_id}.jsonl")
            counts[doc_id] = {}
            for m in mentions:
                concept = str(m.get("concept", ""))
                counts[doc_id][concept] = counts[doc_id].get(concept, 0) + 1
            yield doc_id, kwic(text, mentions, chars=cfg.kwic_chars)

    kwic_data = select_kwic(mentions_in_context(), limit=cfg.kwic_per_concept)
    group_by, pattern = config.graph.group_by, config.graph.group_pattern
    keyness = keyness_view(counts, document_groups(documents, sorted(counts), group_by, pattern) if group_by else {},
                           top_n=cfg.top_n)
    lexicon = load_lexicon(config)
    found = {n["id"] for n in nodes}
    never = [{"id": c.id, "zh_hant": c.zh_hant, "zh_hans": c.zh_hans, "en": c.en, "category": c.category,
              "parent": c.parent} for c in lexicon.concepts.values() if c.id not in found]
    aliases = {c.id: sorted({*c.aliases, *c.aliases_en}) for c in lexicon.concepts.values() if c.id in found}
    time, document_time = _time_view(config, outputs, documents, node_link)
    positions = layout(nodes, edges, seed=config.graph.seed)
    png, svg, warning = draw_figure(nodes, edges, positions, fonts=cfg.figure_fonts, labels=cfg.labels)
    page = render(nodes, edges, documents, title=cfg.title, top_n=cfg.top_n, positions=positions,
                  kwic_data=kwic_data, kwic_limit=cfg.kwic_per_concept,
                  never_found=never, candidates=_read_candidates(outputs, cfg.candidates),
                  candidates_name=cfg.candidates, figure_svg=svg, figure_warning=warning, labels=cfg.labels,
                  aliases=aliases, keyness=keyness, time=time, document_time=document_time)
    folder = outputs / "report"
    io.write_bytes(folder / "graph.png", png)
    io.write_bytes(folder / "graph.svg", svg)
    io.write_text(folder / "index.html", page)
    if warning:
        print(f"warning: report: {warning}", file=sys.stderr)
    return {"bytes": len(page.encode()), "warnings": [warning] if warning else []}
