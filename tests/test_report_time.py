"""The report's time view (graph.group_by set): the pure parts with strings,
hostile metadata and labels escaped, the page of a three-year corpus through
the real command line (documents table with date, issuer, number, group and
mentions; trends with sparklines; emerging and fading lists; byte-identical
reruns; nothing of it without group_by), and the overlay colouring by mean
period in a real headless Chromium."""

import json
import re

import pytest

from conftest import run_cli
from pipeline import report
from test_metadata import NAMES, read_csv, three_years
from test_report import HOSTILE_TEXT, Visit, _Markup, browser  # noqa: F401  (browser: the fixture)


def periods_rows(label: str, group: str = "2016") -> list[dict]:
    return [{"concept": "a", "label_zh_hant": label, "label_zh_hans": label, "label_en": label, "group": g,
             "mentions": m, "documents": "1", "chars": "1000", "per_10k_chars": r}
            for g, m, r in (("2015", "0", "0.0"), (group, "3", "30.0"))]


def _render_time(text: str) -> str:
    """A page with ``text`` in every place of the time view: labels, the
    group values, the group_by key, a document's date, issuer and number."""
    documents = {"d": {"status": "ok", "metadata": {"date": text, "issuer": text, "document_number": text},
                       "stages": {"tag": {"mentions": 3}}}}
    rows = periods_rows(text, group=text)
    trends = [{"concept": "a", "label_zh_hant": text, "label_en": text, "trend": "emerging", "first_per_10k": "0.0",
               "last_per_10k": "30.0", "first_seen": text, "last_seen": text}]
    doc_rows = [{"id": "d", "group": text, "status": "ok"}]
    view = report.time_view(rows, trends, doc_rows, group_by=text, mean_period={"a": 2016.0})
    document_time = report.document_time_rows(documents, group_by="date")
    return report.render([{"id": "a", "label_zh_hant": "甲", "frequency": 3}], [], documents, title="t", time=view,
                         document_time=document_time)


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_metadata_and_labels_are_escaped_in_the_time_view(text):
    page = _render_time(text)
    assert text not in page
    assert _Markup(page).found == _Markup(_render_time("x")).found  # nothing injected
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") \
        .replace("'", "&#39;")
    assert f"<h2>Concepts over time ({escaped})</h2>" in page
    assert page.count(escaped) >= 10
    data = json.loads(re.search(r'id="time-data">(.*?)</script>', page, re.S).group(1))
    assert data["group_by"] == text


def test_time_view_orders_groups_and_ranks_concepts():
    rows = periods_rows("甲") + [
        {"concept": "b", "label_zh_hant": "乙", "label_en": "B", "group": g, "mentions": m, "chars": "1000",
         "per_10k_chars": r} for g, m, r in (("2015", "5", "50.0"), ("2016", "0", "0.0"))]
    trends = [{"concept": "a", "trend": "emerging", "last_per_10k": "30.0"},
              {"concept": "b", "trend": "fading", "first_per_10k": "50.0"}]
    view = report.time_view(rows, trends, [], group_by="date", top_n=1, labels="en")
    assert [g["group"] for g in view["groups"]] == ["2015", "2016"]
    assert [c["id"] for c in view["concepts"]] == ["b"]  # the most mentioned, top_n of them
    assert view["concepts"][0]["values"] == [50.0, 0.0] and view["concepts"][0]["label"] == "B"
    assert [t["id"] for t in view["emerging"]] == ["a"] and [t["id"] for t in view["fading"]] == ["b"]
    assert view["script"]["range"] is None  # no mean period: no overlay


def test_page_without_time_view_has_none_of_it():
    page = report.render([{"id": "a", "label_zh_hant": "甲"}], [], {"d": {"status": "ok"}}, title="t")
    assert 'id="time"' not in page and "time-data" not in page and "<th>date</th>" not in page
    assert page.count("'sha256-") == 2  # the library and app.js only


def test_report_time_view_of_three_years(tmp_path):
    corpus, out = three_years(tmp_path), tmp_path / "out"
    run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "1", "--set", "graph.group_by=date",
            "--set", f"graph.metadata_from_names={NAMES}", check=0)
    index = out / "report" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert '<section id="time"><h2>Concepts over time (date)</h2>' in page and 'href="#time"' in page
    # the documents table: date, issuer (from metadata.csv), number, group, mentions
    assert "<th>date</th><th>issuer</th><th>number</th><th>date group</th><th>mentions</th>" in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    mentions = manifest["2016/智能制造-2016"]["stages"]["tag"]["mentions"]
    assert (f"<tr><td>2016/智能制造-2016</td><td>2016</td><td>工信部</td><td></td><td>2016</td>"
            f'<td class="num">{mentions}</td>') in page
    assert "<tr><td>notes/undated</td><td></td><td></td><td></td><td></td>" in page
    # one sparkline per concept shown, one point per group; the lists follow trends.csv
    time_section = page.split('<section id="time">')[1].split("</section>")[0]
    trends = read_csv(out / "graph/trends.csv")
    assert time_section.count('<svg class="spark"') == len(trends)
    assert all(len(p.split()) == 3 for p in re.findall(r'<polyline points="([^"]+)"', time_section))
    emerging = time_section.split("<h4>Emerging")[1].split("<h4>Fading")[0]
    assert sorted(re.findall(r"<li>(\S+) <small>", emerging)) == sorted(
        r["label_zh_hant"] for r in trends if r["trend"] == "emerging")
    data = json.loads(re.search(r'id="time-data">(.*?)</script>', page, re.S).group(1))
    nodes = {r["id"]: float(r["mean_period"]) for r in read_csv(out / "graph/nodes.csv")}
    assert data["mean_period"] == nodes and data["range"] == [min(nodes.values()), max(nodes.values())]
    # the redrawn page is byte-identical
    index.unlink()
    run_cli("report", "--outputs", out, "--set", "graph.group_by=date",
            "--set", f"graph.metadata_from_names={NAMES}", check=0)
    assert index.read_text(encoding="utf-8") == page


def test_overlay_colours_nodes_by_mean_period_in_chromium(browser, tmp_path):  # noqa: F811
    corpus, out = three_years(tmp_path), tmp_path / "out"
    run_cli("run", "--corpus", corpus, "--outputs", out, "--jobs", "1", "--set", "graph.group_by=date",
            "--set", f"graph.metadata_from_names={NAMES}", check=0)
    mean = {r["id"]: float(r["mean_period"]) for r in read_csv(out / "graph/nodes.csv")}
    early, late = min(mean, key=mean.get), max(mean, key=mean.get)
    visit = Visit(browser, out / "report" / "index.html")
    page = visit.page
    colour = "window.reportGraph.getElementById({}).data('colour')".format
    community = visit.js(colour(json.dumps(late)))
    assert page.locator("#colour-by option").all_inner_texts() == ["community", "category", "mean date"]
    assert not page.locator("#period-legend").is_visible()
    page.select_option("#colour-by", "mean_period")
    # viridis: the earliest concept purple, the latest yellow
    assert visit.js(colour(json.dumps(early))) == "#440154"
    assert visit.js(colour(json.dumps(late))) == "#fde725"
    assert page.locator("#period-legend").is_visible()
    ends = page.locator("#period-legend span").all_inner_texts()
    assert ends == [f"{min(mean.values()):g}", "", f"{max(mean.values()):g}"]
    # the label switch keeps the overlay; back to communities restores their colours
    page.check("#script-en")
    assert visit.js(colour(json.dumps(late))) == "#fde725"
    page.select_option("#colour-by", "community")
    assert visit.js(colour(json.dumps(late))) == community
    assert not page.locator("#period-legend").is_visible()
    visit.check_clean()
    visit.context.close()
