"""The report: pure parts with strings, the page built from the bundled corpus,
byte-identical reruns, the static figure with and without a CJK font, and the
page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright, which downloads no browser), including a hostile document."""

import hashlib
import json
import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import pytest

from conftest import ROOT, run_cli
from pipeline import report

CHROMIUM = Path("/usr/bin/chromium")


def page_data(page_html: str) -> dict:
    """The JSON the page's script reads."""
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page_html, re.S)
    return json.loads(match.group(1))


def copy_outputs(built: Path, tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns(".lock"))
    return out


def rerun_report(out: Path, *args):
    """Run the report command so that it really redraws (the command skips the
    report when its cache key is unchanged and index.html exists)."""
    (out / "report" / "index.html").unlink(missing_ok=True)
    return run_cli("report", "--outputs", out, *args, check=0)


# ---------------------------------------------------------------- pure parts

@pytest.mark.parametrize("text", [
    "</script><script>alert(1)</script>",
    "</SCRIPT >",
    "<!-- <script>",
    "a & b > c",
    "line\u2028separator\u2029",
    "引號「四基」與 \"quotes\" 和 \\ backslash",
])
def test_embed_json_round_trips_and_cannot_end_the_script(text):
    embedded = report.embed_json({"snippet": text})
    assert json.loads(embedded) == {"snippet": text}
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded


def test_graph_data_reads_attributes_defensively():
    node_link = {"nodes": [{"id": "b", "label_en": "bee", "frequency": 2, "extra": [1]},
                           {"id": "a", "community": None, "pagerank": float("nan")}],
                 "links": [{"source": "b", "target": "a", "weight": 3, "evidence": [{"doc": "d", "page": 1}]},
                           {"source": "a", "target": "gone", "weight": 1}]}
    nodes, edges = report.graph_data(node_link)
    assert [n["id"] for n in nodes] == ["a", "b"]
    assert nodes[0]["community"] == "" and nodes[0]["pagerank"] == "" and nodes[0]["label_en"] == ""
    assert nodes[1]["label_en"] == "bee" and nodes[1]["frequency"] == 2 and "extra" not in nodes[1]
    assert len(edges) == 1  # the edge to a node that is not in the graph is dropped
    assert (edges[0]["source"], edges[0]["target"], edges[0]["npmi"]) == ("a", "b", "")
    assert edges[0]["evidence"] == [{"doc": "d", "page": 1, "sentence": "", "snippet": ""}]
    # a page renders from such a graph without errors; missing values are blank cells
    page = report.render(nodes, edges, {}, title="t")
    assert "<td>bee</td>" in page and "None" not in page and "nan" not in page.lower().split("<script")[0]


def test_kwic_slices_context_around_offsets():
    text = "甲乙丙 推進四基建設\n和 two more"
    mentions = [{"concept": "four_foundations", "start": 6, "end": 8, "page": 3},
                {"concept": "bad", "start": 50, "end": 60, "page": 1}]
    got = report.kwic(text, mentions, chars=4)
    assert got == [{"concept": "four_foundations", "page": 3, "left": "丙 推進", "surface": "四基",
                    "right": "建設 和"}]


@pytest.mark.parametrize("limit, expected", [
    (0, []),
    (1, [("a", "a1")]),
    (3, [("a", "a1"), ("b", "b1"), ("a", "a2")]),
    (10, [("a", "a1"), ("b", "b1"), ("a", "a2"), ("a", "a3")]),
])
def test_select_kwic_caps_and_alternates_documents(limit, expected):
    per_doc = {"b": [{"concept": "x", "surface": "b1"}],
               "a": [{"concept": "x", "surface": s} for s in ("a1", "a2", "a3")]}
    got = report.select_kwic(per_doc, limit=limit)["x"]
    assert got["total"] == 4
    assert [(i["doc"], i["surface"]) for i in got["items"]] == expected


def test_document_rows_hide_bookkeeping_and_timings():
    documents = {"b": {"status": "unchanged", "reason": None, "sha256": "f" * 64,
                       "stages": {"extract": {"pages": 7, "engine": "pdfplumber", "ocr_pages": [], "seconds": 1.5},
                                  "convert": {"script": "zh-Hant", "language": "zh", "seconds": 0.1}}},
                 "a": {"status": "failed", "reason": "no extractable text in 2 page(s)"}}
    rows = report.document_rows(documents)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["status"] == "failed" and rows[0]["reason"].startswith("no extractable")
    assert rows[1] == {"id": "b", "script": "zh-Hant", "language": "zh", "pages": 7, "engine": "pdfplumber",
                       "ocr_pages": "", "status": "ok", "reason": ""}


def test_render_escapes_everything_from_documents():
    evil = '<img src=x onerror="alert(1)">'
    nodes = [{"id": "a", "label_zh_hant": "甲", "frequency": 2}, {"id": "b", "label_zh_hant": "乙", "frequency": 1}]
    edges = [{"source": "a", "target": "b", "weight": 1, "evidence": [{"doc": evil, "page": 1, "sentence": 0,
                                                                        "snippet": "甲</script>乙" + evil}]}]
    documents = {evil: {"status": "failed", "reason": evil}}
    page = report.render(nodes, edges, documents, title="t", candidates=(["term", evil], [[evil, "1"]]))
    assert evil not in page and "甲</script>" not in page
    assert page.count("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") >= 3  # documents, evidence, candidates
    assert page_data(page)["edges"][0]["evidence"][0]["snippet"] == "甲</script>乙" + evil


HOSTILE_TEXT = ["<script>alert(1)</script>", '"onerror="alert(2)', "</textarea><img src=x onerror=alert(3)>",
                "'><svg onload=alert(4)>", "&lt;script&gt;"]


class _Markup(HTMLParser):
    """The page's elements and attribute names, in order (not their text)."""

    def __init__(self, page):
        super().__init__()
        self.found = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, sorted(name for name, _ in attrs)))

    def handle_endtag(self, tag):
        self.found.append(("/" + tag, []))


def _render_with_text(text: str) -> str:
    """A page with ``text`` in every place where a document, the dictionary or
    the candidates file can put text."""
    nodes = [{"id": "a" + text, "label_zh_hant": text, "label_zh_hans": text, "label_en": text, "category": text,
              "frequency": 2}, {"id": "b", "label_zh_hant": "乙", "frequency": 1}]
    edges = [{"source": "a" + text, "target": "b", "weight": 1,
              "evidence": [{"doc": text, "page": text, "sentence": 0, "snippet": text}]}]
    documents = {"a" + text: {"status": "failed", "reason": text},
                 "b" + text: {"status": "ok", "stages": {"extract": {"pages": 1, "engine": text, "ocr_pages": [text]},
                                                          "convert": {"script": text, "language": text}}}}
    never = [{"id": text, "zh_hant": text, "zh_hans": text, "en": text, "category": text, "parent": text}]
    return report.render(nodes, edges, documents, title=text, never_found=never, candidates=([text], [[text]]),
                         candidates_name=text, figure_warning=text, kwic_data={"a" + text: {"total": 1, "items": [
                             {"doc": text, "page": 1, "left": text, "surface": text, "right": text}]}})


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_escaped_in_every_place_of_the_page(text):
    page = _render_with_text(text)
    assert text not in page
    # the same elements and attributes as a page with harmless text: nothing was injected
    assert _Markup(page).found == _Markup(_render_with_text("x")).found
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") \
        .replace("'", "&#39;")
    assert f"<title>{escaped}</title>" in page and f"<h1>{escaped}</h1>" in page
    assert f'<tr class="failed"><td>a{escaped}</td>' in page  # a document id
    assert page.count(escaped) >= 20  # the tables, the warning, the candidates file's name
    assert page_data(page)["nodes"][0]["label_en"] == text  # the script's data keeps the text as it is


def test_vendored_library_is_the_recorded_one():
    readme = (report.ASSETS / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"sha256 of `cytoscape.min.js`: `([0-9a-f]{64})`", readme).group(1)
    actual = hashlib.sha256((report.ASSETS / "cytoscape.min.js").read_bytes()).hexdigest()
    assert actual == recorded
    version = re.search(r"cytoscape@([0-9.]+)", readme).group(1)
    assert f'version="{version}"' in (report.ASSETS / "cytoscape.min.js").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the built report

def test_report_of_the_bundled_corpus(built):
    page = (built / "report" / "index.html").read_text(encoding="utf-8")
    graph = json.loads((built / "graph" / "cooccurrence.json").read_text(encoding="utf-8"))
    data = page_data(page)
    assert {n["id"] for n in data["nodes"]} == {n["id"] for n in graph["nodes"]}
    assert len(data["edges"]) == len(graph["edges"])
    # self-contained: one CSP with script hashes, no external resource of any kind
    assert "Content-Security-Policy" in page and "'unsafe-eval'" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.I)
    assert "@import" not in page and "url(http" not in page
    # the mentions in context come from tags/ and hold the tagged surface
    tags = [json.loads(line) for path in sorted((built / "tags").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]
    ff = [t for t in tags if t["concept"] == "four_foundations"]
    assert data["kwic"]["four_foundations"]["total"] == len(ff)
    assert {i["surface"] for i in data["kwic"]["four_foundations"]["items"]} <= {t["surface"] for t in ff}
    assert all(len(v["items"]) <= data["kwic_limit"] for v in data["kwic"].values())
    # concepts never found: the dictionary minus the graph's nodes
    from pipeline import config
    from pipeline.lexicon import load_lexicon

    lexicon = load_lexicon(config.load_config(ROOT / "config.toml"))
    never = [c for c in lexicon.concepts if c not in {n["id"] for n in graph["nodes"]}]
    section = page.split('id="never-found"')[1].split("</section>")[0]
    assert f"<p>{len(never)} concepts of the dictionary" in section
    assert all(f"<td>{c}</td>" in section for c in never)
    # candidate new terms: the tag stage's outputs/candidates.csv, shown in its own table
    import csv

    with open(built / "candidates.csv", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert "No candidate list yet" not in page and str(markupsafe.escape(first["term"])) in page
    # the static figure, in both formats, beside the page and inline
    assert (built / "report" / "graph.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = (built / "report" / "graph.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in page.split('id="figure"')[1]
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["documents"].values():  # nothing that changes between runs of the same input
        assert d["sha256"] not in page and str(d["mtime_ns"]) not in page


def test_report_rerun_is_byte_identical_and_ignores_timings(built, tmp_path):
    out = copy_outputs(built, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["documents"].values():  # another run: other timings, documents "unchanged"
        d["status"] = "unchanged" if d["status"] == "ok" else d["status"]
        for stage in d.get("stages", {}).values():
            if isinstance(stage, dict) and "seconds" in stage:
                stage["seconds"] += 12.345
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    rerun_report(out)
    first = {p.name: p.read_bytes() for p in (out / "report").iterdir()}
    rerun_report(out)
    second = {p.name: p.read_bytes() for p in (out / "report").iterdir()}
    assert sorted(first) == ["graph.png", "graph.svg", "index.html"]
    assert first == second
    assert first == {p.name: p.read_bytes() for p in (built / "report").iterdir()}


def test_candidate_terms_are_shown_when_present(built, tmp_path):
    out = copy_outputs(built, tmp_path)
    (out / "candidates.csv").write_text("term,frequency,documents\n新質生產力,9,2\n<b>bold</b>,3,1\n",
                                        encoding="utf-8")
    rerun_report(out)
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    section = page.split('id="candidates"')[1].split("</section>")[0]
    assert "No candidate list yet" not in section and "The first 2 of 2 rows" in section
    assert "<td>新質生產力</td>" in section and "<td>&lt;b&gt;bold&lt;/b&gt;</td>" in section


def test_figure_without_a_cjk_font_is_drawn_and_names_the_package(built, tmp_path):
    out = copy_outputs(built, tmp_path)
    for name in ("graph.png", "graph.svg"):
        (out / "report" / name).unlink()
    proc = rerun_report(out, "--set", 'report.figure_fonts=["No Such Font Sans"]')
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning: report:")]
    assert len(warning) == 1 and "fonts-wqy-zenhei" in warning[0] and "No Such Font Sans" in warning[0]
    assert (out / "report" / "graph.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "report" / "graph.png").read_bytes() != (built / "report" / "graph.png").read_bytes()
    assert "fonts-wqy-zenhei" in (out / "report" / "index.html").read_text(encoding="utf-8")


def test_figure_is_drawn_in_both_formats_the_same_each_time(built):
    nodes, edges = report.graph_data(json.loads((built / "graph/cooccurrence.json").read_text(encoding="utf-8")))
    positions = report.layout(nodes, edges, seed=42)
    png, svg, warning = report.draw_figure(nodes, edges, positions)
    assert png.startswith(b"\x89PNG") and svg.startswith(b"<?xml") and warning is None
    assert report.draw_figure(nodes, edges, positions) == (png, svg, None)  # no date, no random ids


def test_figure_uses_the_cjk_font_the_project_installs():
    # .ci/run installs fonts-wqy-zenhei; if this fails, the figure's Chinese labels are boxes
    assert report.find_cjk_font(("WenQuanYi Zen Hei",)) is not None


@pytest.mark.parametrize("setting, message", [
    ("report.labels=zh-Hans-CN", "expected one of"),
    ("report.kwic_per_concept=-1", "expected an integer >= 0"),
    ("report.top_n=0", "expected an integer >= 1"),
])
def test_bad_report_settings_exit_2(tmp_path, setting, message):
    proc = run_cli("report", "--outputs", tmp_path / "out", "--set", setting)
    assert proc.returncode == 2 and message in proc.stderr


# ---------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: .ci/run installs the Debian package chromium")
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM))
        yield b
        b.close()


class Visit:
    """A page opened from file://, recording console messages, page errors,
    dialogs and every request it makes."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.console, self.errors, self.requests, self.dialogs = [], [], [], []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        assert self.wait_until("window.reportGraph && window.reportGraph.nodes().length > 0")

    def check_clean(self):
        assert self.errors == []
        assert [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.dialogs == []
        # nothing but the page itself (data: URIs, if any, never leave the machine)
        assert [u for u in self.requests if u != self.url and not u.startswith("data:")] == []

    def js(self, expression):
        return self.page.evaluate(expression)

    def wait_until(self, condition, timeout=5.0) -> bool:
        """Poll ``condition`` (JavaScript) until it holds or ``timeout`` seconds
        pass; whether it held. Polled from here with ``evaluate``: Playwright's
        own ``wait_for_function`` polls with eval() in the page, which the
        report's Content-Security-Policy forbids (an EvalError whenever the
        condition did not hold at once)."""
        deadline = time.monotonic() + timeout
        while not self.js(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(50)
        return True

    def js_once(self, expression, condition, timeout=5.0):
        """``expression`` once ``condition`` (JavaScript) holds, or at the timeout:
        a filter's effect on the graph can show after the action returns (the
        caller's assertion then reports what the page has)."""
        self.wait_until(condition, timeout)
        return self.js(expression)

    def click_node(self, node_id):
        self.page.locator("#cy").scroll_into_view_if_needed()
        box = self.page.locator("#cy").bounding_box()
        pos = self.js(f"window.reportGraph.getElementById({json.dumps(node_id)}).renderedPosition()")
        self.page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])


def test_report_in_chromium(built, browser, tmp_path):
    graph = json.loads((built / "graph" / "cooccurrence.json").read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in graph["nodes"]}
    visit = Visit(browser, built / "report" / "index.html")
    page = visit.page
    assert visit.js("window.reportGraph.nodes().length") == len(nodes)
    assert visit.js("window.reportGraph.edges().length") == len(graph["edges"])
    # the nodes are drawn: the canvas has non-white pixels
    drawn = visit.js("""(() => { const c = [...document.querySelectorAll('#cy canvas')]
        .find(c => c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        .some((v, i) => i % 4 === 3 && v > 0)); return !!c; })()""")
    assert drawn

    # search by a Chinese label finds the concept; Enter selects it
    page.fill("#search", "四基")
    assert page.inner_text("#search-results").splitlines()[0] == "四基"
    page.press("#search", "Enter")
    assert page.inner_text("#details h3") == "四基"
    # search by an English label and by id, in any case
    page.fill("#search", "FOUR INDUSTRIAL")
    assert "四基" in page.inner_text("#search-results")
    page.fill("#search", "four_foundations")
    assert "四基" in page.inner_text("#search-results")

    # clicking the node on the canvas shows its neighbours and its mentions in context
    page.click("#reset")
    visit.click_node("four_foundations")
    assert visit.wait_until("window.reportGraph.getElementById('four_foundations').selected()")
    assert page.inner_text("#details h3") == "四基"
    kwic = page.locator("#details ol.kwic li")
    assert kwic.count() >= 1
    tagged = {json.loads(line)["surface"] for path in (built / "tags").glob("*.jsonl")
              for line in path.read_text(encoding="utf-8").splitlines() if '"four_foundations"' in line}
    assert set(page.locator("#details ol.kwic mark").all_inner_texts()) <= tagged
    neighbours = page.locator("#details ol.neighbours li")
    assert neighbours.count() == nodes["four_foundations"]["degree"]

    # "evidence" beside a neighbour shows the sentences where the two co-occur
    first = neighbours.nth(0)
    other = first.locator("button").nth(0).get_attribute("data-node")
    first.locator("button", has_text="evidence").click()
    edge = next(e for e in graph["edges"] if {e["source"], e["target"]} == {"four_foundations", other})
    shown = page.locator("#details ol.evidence li span").all_inner_texts()
    assert shown == [ev["snippet"] for ev in json.loads(edge["evidence"])]

    # the label switch changes the script of the graph's labels and of the panel
    differ = next(n for n in graph["nodes"] if n["label_zh_hant"] != n["label_zh_hans"])
    label = f"window.reportGraph.getElementById({json.dumps(differ['id'])}).data('label')"
    assert visit.js(label) == differ["label_zh_hant"]
    page.check("#script-zh_hans")
    assert visit.js(label) == differ["label_zh_hans"]
    page.check("#script-en")
    assert visit.js(label) == differ["label_en"]
    assert nodes[other]["label_en"] in page.inner_text("#details h3")

    # filters: a high minimum weight hides light edges; unticking a category hides its nodes
    page.fill("#search", "四基")
    page.press("#search", "Enter")
    heaviest = max(e["weight"] for e in graph["edges"])
    page.locator("#min-weight").fill(str(heaviest))
    expected = sum(e["weight"] >= heaviest for e in graph["edges"])
    shown = "window.reportGraph.edges().filter(e => e.visible()).length"
    visible = visit.js_once(shown, f"{shown} === {expected}")
    assert visible == expected
    page.locator("#filter-category input[data-key='string:sector']").uncheck()
    sectors = sorted(n for n, d in nodes.items() if d["category"] == "sector")
    hidden_ids = "window.reportGraph.nodes().filter(n => !n.visible()).map(n => n.id())"
    hidden = visit.js_once(hidden_ids, f"{hidden_ids}.length === {len(sectors)}")
    assert sorted(hidden) == sectors
    page.locator("#filter-category input[data-key='string:sector']").check()
    page.locator("#min-weight").fill("1")
    page.select_option("#edge-measure", "npmi")
    page.select_option("#colour-by", "category")

    page.screenshot(path=str(tmp_path / "report.png"))
    shutil.copy(tmp_path / "report.png", "/tmp/report.png")
    visit.check_clean()
    visit.context.close()


HOSTILE = """四基和兩化融合<script>window.__pwned = 1; document.title = "pwned";</script>是重點。

智能製造<img src=x onerror="window.__pwned = 2">與四基同行。

兩化融合</script><script>window.__pwned = 3</script>和智能製造並進。

<svg onload="window.__pwned = 4">四基</svg>與<iframe src="javascript:window.__pwned = 5"></iframe>智能製造。
"""


def test_hostile_document_is_shown_never_run(browser, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (corpus / "<img src=x onerror=alert(1)>.txt").write_text("四基與智能製造。\n", encoding="utf-8")
    (corpus / "<b onmouseover=alert(2)>broken.pdf").write_bytes(b"not a pdf <script>alert(2)</script>")
    proc = run_cli("run", "--corpus", corpus, "--outputs", tmp_path / "outputs")
    assert proc.returncode == 1, proc.stderr  # the broken PDF fails; the others go on
    index = tmp_path / "outputs" / "report" / "index.html"
    source = index.read_text(encoding="utf-8")
    for raw in ("<script>window.__pwned", "<img src=x", "<svg onload", "<iframe", "<b onmouseover"):
        assert raw not in source
    data = page_data(source)
    assert any("<script>window.__pwned = 1" in ev["snippet"] for e in data["edges"] for ev in e["evidence"])

    visit = Visit(browser, index)
    page = visit.page
    assert visit.js("typeof window.__pwned") == "undefined"
    assert page.title() != "pwned"
    documents = page.inner_text("#documents")
    assert "<img src=x onerror=alert(1)>" in documents and "failed" in documents
    assert "<b onmouseover=alert(2)>broken" in documents
    page.fill("#search", "四基")
    page.press("#search", "Enter")
    details = page.inner_text("#details")
    assert "和兩化融合<script>window.__pwned" in details and "</script><script>" in details  # KWIC, as text
    page.locator("#details ol.neighbours li button", has_text="evidence").first.click()
    evidence = page.inner_text("#details ol.evidence")
    assert "<" in evidence and "__pwned" in evidence
    visit.click_node("four_foundations")
    assert visit.js("typeof window.__pwned") == "undefined"
    assert page.locator("#details img, #details script, #details svg, #details iframe").count() == 0
    visit.check_clean()
    visit.context.close()


def test_grouped_report_has_the_keyness_and_time_sections_together(dated):
    page = (dated / "outputs" / "report" / "index.html").read_text(encoding="utf-8")
    for anchor in ("keyness", "time"):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page, anchor
    assert page.index('id="keyness"') != page.index('id="time"')
