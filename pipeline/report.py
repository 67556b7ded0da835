"""Stage 6, report: graph + manifest -> report/index.html, one self-contained
page (no scripts, fonts or images from elsewhere: it works offline).

Everything that comes from a document is escaped with ``html.escape``; the
graph picture is inline SVG laid out with networkx's seeded spring layout.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from . import io

NAME = "report"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.num{text-align:right}svg{border:1px solid #ddd;max-width:100%;height:auto}
.failed{color:#b00}small{color:#666}
"""


def _svg(G, seed: int, size: int = 900) -> str:
    import networkx as nx

    if G.number_of_nodes() == 0:
        return "<p>No concepts were found, so the graph is empty.</p>"
    pos = nx.spring_layout(G, weight="weight", seed=seed)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad = 60

    def scale(v, lo, hi):
        return pad + (v - lo) / ((hi - lo) or 1) * (size - 2 * pad)

    xy = {n: (scale(pos[n][0], min(xs), max(xs)), scale(pos[n][1], min(ys), max(ys))) for n in G.nodes}
    top = max((d["weight"] for _, _, d in G.edges(data=True)), default=1)
    biggest = max(d["frequency"] for _, d in G.nodes(data=True))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
             'role="img" aria-label="concept co-occurrence graph">']
    for a, b, d in sorted(G.edges(data=True), key=lambda e: e[2]["weight"]):
        (x1, y1), (x2, y2) = xy[a], xy[b]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#999" '
                     f'stroke-opacity="0.5" stroke-width="{0.5 + 4 * d["weight"] / top:.2f}"/>')
    for n, d in sorted(G.nodes(data=True)):
        x, y = xy[n]
        r = 4 + 14 * (d["frequency"] / biggest) ** 0.5
        colour = PALETTE[d.get("community", 0) % len(PALETTE)]
        label = html.escape(d.get("label_zh_hant") or n)
        parts.append(f'<g><title>{html.escape(n)}: {html.escape(d.get("label_en", ""))}</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
                     f'<text x="{x + r + 2:.1f}" y="{y + 4:.1f}" font-size="12">{label}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


def render(G, documents: dict, *, title: str, top_n: int = 30, seed: int = 42) -> str:
    """The report page as a string (pure: graph and manifest documents in, HTML out)."""
    e = html.escape
    rows = []
    for doc_id, d in sorted(documents.items()):
        convert = d.get("stages", {}).get("convert", {})
        extract = d.get("stages", {}).get("extract", {})
        status = "failed" if d.get("status") == "failed" else "ok"
        rows.append(f'<tr class="{status}"><td>{e(doc_id)}</td><td>{e(str(convert.get("script") or ""))}</td>'
                    f'<td>{e(str(convert.get("language", "")))}</td><td class="num">{extract.get("pages", "")}</td>'
                    f'<td>{e(str(extract.get("engine", "")))}</td><td>{status}</td><td>{e(d.get("reason") or "")}</td>'
                    "</tr>")
    nodes = sorted(G.nodes(data=True), key=lambda n: (-n[1]["frequency"], n[0]))[:top_n]
    concept_rows = [f'<tr><td>{e(n)}</td><td>{e(d["label_zh_hant"])}</td><td>{e(d["label_zh_hans"])}</td>'
                    f'<td>{e(d["label_en"])}</td><td>{e(d["category"])}</td><td class="num">{d["frequency"]}</td>'
                    f'<td class="num">{d["doc_frequency"]}</td><td class="num">{d["degree"]}</td></tr>'
                    for n, d in nodes]
    edges = sorted(G.edges(data=True), key=lambda x: (-x[2]["weight"], x[0], x[1]))[:top_n]
    edge_rows = []
    for a, b, d in edges:
        evidence = json.loads(d["evidence"])
        items = "".join(f"<li><small>{e(ev['doc'])} p.{ev['page']} s.{ev['sentence']}</small> {e(ev['snippet'])}</li>"
                        for ev in evidence[:3])
        edge_rows.append(f'<tr><td>{e(G.nodes[a]["label_zh_hant"])} — {e(G.nodes[b]["label_zh_hant"])}<br>'
                         f'<small>{e(a)} — {e(b)}</small></td><td class="num">{d["weight"]}</td>'
                         f'<td class="num">{d["npmi"]}</td><td><ul>{items}</ul></td></tr>')
    return f"""<!DOCTYPE html>
<html lang="zh-Hant"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>{CSS}</style></head><body>
<h1>{e(title)}</h1>
<p>{G.number_of_nodes()} concepts, {G.number_of_edges()} co-occurrence edges, {len(documents)} documents.</p>
<h2>Concept graph</h2>
{_svg(G, seed)}
<h2>Documents</h2>
<table><tr><th>document</th><th>script</th><th>language</th><th>pages</th><th>engine</th><th>status</th><th>reason</th></tr>
{''.join(rows)}</table>
<h2>Top concepts</h2>
<table><tr><th>id</th><th>繁</th><th>简</th><th>EN</th><th>category</th><th>mentions</th><th>documents</th><th>degree</th></tr>
{''.join(concept_rows)}</table>
<h2>Top edges, with evidence</h2>
<table><tr><th>pair</th><th>weight</th><th>NPMI</th><th>evidence</th></tr>
{''.join(edge_rows)}</table>
</body></html>
"""


def run(config, outputs: Path) -> dict:
    from . import graph

    G = graph.load_graph(outputs / "graph" / "cooccurrence.json")
    documents = (io.read_json(outputs / "manifest.json", default={}) or {}).get("documents", {})
    page = render(G, documents, title=config.report.title, top_n=config.report.top_n, seed=config.graph.seed)
    io.write_text(outputs / "report" / "index.html", page)
    return {"bytes": len(page.encode())}
