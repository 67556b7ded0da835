"""Paragraph F1 of PDF extraction on layouts the project's fixtures do not have.

    python tools/paragraph_eval.py                  # the tuning set, this checkout against main
    python tools/paragraph_eval.py --set heldout    # the held-out set (look at it once, at the end)
    python tools/paragraph_eval.py --before REV     # compare with another revision (default: main)

The fixtures in tests/pdfgen.py and tools/make_corpus.py draw every line with
reportlab's canvas. The documents here come from two other producers, so
that paragraph rules tuned on one are measured on the other:

- the **tuning** set is typeset by reportlab's Platypus (SimpleDocTemplate and
  Paragraph: its own line breaking, justification and CJK wrapping), A4;
- the **held-out** set is HTML printed by headless Chromium (Blink's line
  breaking and justification, CSS page-margin boxes), US Letter, with other
  font sizes, line heights, gaps and indents than the tuning set.

Each set has the same layouts, in Chinese and English: ``gap`` (paragraphs
separated by a vertical gap, no first-line indent, ragged right: government
report style), ``indent`` (first-line indent, no gap, justified) and
``smallgap`` (a gap of about half a line, no indent, justified). Every
document has numbered headings (一、/ 1.), numbered items (（一） 1. / (a)),
one-sentence paragraphs (short last lines), Chinese paragraphs whose last
line ends exactly at the right margin, paragraphs running across page breaks,
a running header and page numbers. The gold is the source paragraphs, in order;
a predicted paragraph is correct when it equals a gold one with all whitespace
removed (and characters normalised as the pipeline does); F1 per document.

PDFs are written to .cache/paragraph_eval/; the revision compared against is
unpacked there with ``git archive`` and run in a subprocess.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache/paragraph_eval"
FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CJK_FONT = "WQYZenHei"
ENGINES = ("pdfplumber", "pdfium")
CN_NUMBERS = "一二三四五六七八九十"
# characters that may not start (or end) a line in CJK typesetting
NO_START = set("，。、；：？！）》」』〕”’")
NO_END = set("（《「『〔“‘")

# --------------------------------------------------------------------------- the documents


def _source_blocks(path: Path) -> list[tuple[str, str]]:
    """(kind, text) blocks of a corpus text: '#' marks or short unpunctuated blocks are headings."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        text = " ".join(line.strip() for line in chunk.splitlines())
        text = re.sub(r"^#+ ", "", text, count=1) if text.startswith("#") else text
        heading = chunk.startswith("#") or (len(text) < 30 and not re.search(r"[。.]$", text))
        blocks.append(("h", re.sub(r"^[一二三四五六七八九十]、", "", text)) if heading else ("p", text))
    return blocks


def _first_sentence(text: str, english: bool) -> str:
    m = re.match(r"(.+?[.!?])\s" if english else r"(.+?[。！？])", text)
    return m.group(1) if m else text


def _exact_lines(text: str, per_line: int, indent: int) -> str:
    """A CJK paragraph cut to fill its last line exactly: ``per_line`` characters
    a line, the first ``indent`` shorter; no Latin (its width is not one em),
    no punctuation where the line-breaking rules would move it."""
    chars = [ch for ch in text if not ch.isascii()]
    lines = max(2, min(4, len(chars) // per_line))
    n = lines * per_line - indent
    chars = (chars * 2)[:n]
    for k in range(n):
        line_pos = (k + indent) % per_line
        if (line_pos == 0 and chars[k] in NO_START) or (line_pos == per_line - 1 and chars[k] in NO_END):
            chars[k] = "和"
    chars[-1] = "。"
    return "".join(chars)


def documents(which: str) -> list[dict]:
    """The documents of a set: each a dict with name, layout, language, producer,
    style parameters and blocks [(kind, text)], kind one of h (heading), p, item."""
    cn = _source_blocks(ROOT / ("corpus/mic2025-cn.txt" if which == "tuning" else "tools/corpus_src/mic2025-hk.txt"))
    en = _source_blocks(ROOT / "tools/corpus_src/mic2025-brief-en.txt")
    if which == "tuning":
        producer = "platypus"
        styles = {"gap": dict(size=11.0, leading=1.5, gap=0.9, indent=0.0, justify=False),
                  "indent": dict(size=12.0, leading=1.6, gap=0.0, indent=2.0, justify=True),
                  "smallgap": dict(size=10.5, leading=1.4, gap=0.5, indent=0.0, justify=True)}
    else:
        producer = "chromium"
        styles = {"gap": dict(size=12.5, leading=1.75, gap=1.2, indent=0.0, justify=False),
                  "indent": dict(size=11.0, leading=1.45, gap=0.0, indent=2.0, justify=True),
                  "smallgap": dict(size=12.0, leading=1.5, gap=0.6, indent=0.0, justify=True)}
    docs = []
    for language, source in (("zh", cn), ("en", en)):
        for layout, style in styles.items():
            style = dict(style, width_em=36 if language == "zh" else 40)
            if language == "en":
                style["indent"] = 1.5 if style["indent"] else 0.0
            docs.append(dict(name=f"{producer}-{language}-{layout}", layout=f"{language}-{layout}",
                             language=language, producer=producer, style=style,
                             blocks=_structure(source, language, style)))
    return docs


def _structure(source: list[tuple[str, str]], language: str, style: dict) -> list[tuple[str, str]]:
    """Number the headings, turn some paragraphs into numbered items, make some
    one sentence long and (Chinese) some fill their last line exactly."""
    english = language == "en"
    blocks, heading_no, item_no = [], 0, 0
    for index, (kind, text) in enumerate(source):
        if kind == "h":
            if index:
                heading_no += 1
                text = f"{heading_no}. {text}" if english else f"{CN_NUMBERS[(heading_no - 1) % 10]}、{text}"
            blocks.append(("h", text))
            item_no = 0
            continue
        if index % 5 == 2:
            item_no += 1
            text = (f"({'abcdefghij'[(item_no - 1) % 10]}) " if english
                    else f"（{CN_NUMBERS[(item_no - 1) % 10]}）") + text
            blocks.append(("item", text))
        elif index % 5 == 4:
            item_no += 1
            blocks.append(("item", f"{item_no}. " + text if english else f"{item_no}.{text}"))
        elif index % 7 == 3:
            blocks.append(("p", _first_sentence(text, english)))
            blocks.append(("p", text))
        elif index % 6 == 1 and not english:
            per_line = int(style["width_em"])
            blocks.append(("p", _exact_lines(text, per_line, int(style["indent"]))))
        else:
            blocks.append(("p", text))
    return blocks


# --------------------------------------------------------------------------- producers


def make_platypus(doc: dict, path: Path) -> None:
    from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(CJK_FONT, FONT_FILE, subfontIndex=0))
    s, zh = doc["style"], doc["language"] == "zh"
    size = s["size"]
    width = s["width_em"] * size if zh else 460.0
    margin = (A4[0] - width) / 2
    font = CJK_FONT if zh else "Times-Roman"
    body = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * s["leading"],
                          firstLineIndent=s["indent"] * size, spaceAfter=s["gap"] * size,
                          alignment=TA_JUSTIFY if s["justify"] else TA_LEFT, wordWrap="CJK" if zh else None)
    heading = ParagraphStyle("heading", parent=body, fontName=CJK_FONT if zh else "Helvetica-Bold",
                             fontSize=size * 1.3, leading=size * 1.3 * 1.4, firstLineIndent=0,
                             spaceBefore=size * 0.8, spaceAfter=size * 0.6, alignment=TA_LEFT)

    def page(canvas, _doc):
        canvas.saveState()
        canvas.setFont(CJK_FONT, 9)
        canvas.drawString(margin, A4[1] - 40, "中国制造2025 · 研究报告" if zh else "Made in China 2025 · Policy Brief")
        canvas.drawCentredString(A4[0] / 2, 36, f"— {_doc.page} —" if zh else f"Page {_doc.page}")
        canvas.restoreState()

    story = [Paragraph(html.escape(text), heading if kind == "h" else body) for kind, text in doc["blocks"]]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=72,
                      bottomMargin=72, invariant=1).build(story, onFirstPage=page, onLaterPages=page)


def make_chromium(doc: dict, path: Path) -> None:
    s, zh = doc["style"], doc["language"] == "zh"
    size = s["size"]
    font = "'WenQuanYi Zen Hei'" if zh else "'DejaVu Serif', serif"
    width = f"{s['width_em']}em" if zh else "6.4in"

    def body(text):
        text = html.escape(text)
        # keep hyphenated words whole: a break after their hyphen is not end-of-line hyphenation
        return re.sub(r"(\w+(?:-\w+)+)", r'<span class="nw">\1</span>', text)

    parts = [f"<h2>{body(t)}</h2>" if kind == "h" else f"<p>{body(t)}</p>" for kind, t in doc["blocks"]]
    header = "中國製造2025 · 研究報告" if zh else "Made in China 2025 · Policy Brief"
    page_no = '"— " counter(page) " —"' if zh else '"Page " counter(page)'
    css = f"""
    @page {{ size: Letter; margin: 0.9in 0 0.9in 0;
             @top-center {{ content: "{header}"; font: 8pt {font}; }}
             @bottom-center {{ content: {page_no}; font: 9pt {font}; }} }}
    html {{ font-family: {font}; font-size: {size}pt; }}
    body {{ margin: 0 auto; width: {width}; }}
    p {{ margin: 0 0 {s['gap']}em 0; text-indent: {s['indent']}em; line-height: {s['leading']};
         text-align: {'justify' if s['justify'] else 'left'}; orphans: 1; widows: 1; }}
    h2 {{ font-size: 1.25em; font-weight: bold; margin: 0.9em 0 0.5em 0; line-height: 1.4; }}
    .nw {{ white-space: nowrap; }}
    """
    source = path.with_suffix(".html")
    source.write_text(f"<!doctype html><html lang='{'zh-CN' if zh else 'en'}'><meta charset='utf-8'>"
                      f"<style>{css}</style><body>{''.join(parts)}</body></html>", encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--print-to-pdf={path}", "--no-pdf-header-footer",
                        source.as_uri()], check=True, capture_output=True, timeout=120)


PRODUCERS = {"platypus": make_platypus, "chromium": make_chromium}


def build(which: str) -> list[dict]:
    """Write the set's PDFs and gold files under .cache/paragraph_eval/<set>/ (kept when up to date)."""
    folder = CACHE / which
    folder.mkdir(parents=True, exist_ok=True)
    docs = documents(which)
    for doc in docs:
        pdf, gold = folder / f"{doc['name']}.pdf", folder / f"{doc['name']}.gold.json"
        blocks = [text for _, text in doc["blocks"]]
        spec = json.dumps({"style": doc["style"], "blocks": blocks}, ensure_ascii=False)
        if not pdf.exists() or not gold.exists() or gold.read_text(encoding="utf-8") != spec:
            PRODUCERS[doc["producer"]](doc, pdf)
            gold.write_text(spec, encoding="utf-8")
        doc["pdf"], doc["gold"] = str(pdf), blocks
    return docs


# --------------------------------------------------------------------------- scoring


def paragraph_f1(got: list[str], gold: list[str]) -> float:
    """F1 of paragraphs matched exactly with whitespace removed, as multisets.

    >>> paragraph_f1(["a b", "c"], ["ab", "c", "d"])
    0.8
    """
    g = Counter(re.sub(r"\s+", "", p) for p in got if p.strip())
    t = Counter(re.sub(r"\s+", "", p) for p in gold if p.strip())
    hit = sum((g & t).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(g.values()), hit / sum(t.values())
    return round(2 * precision * recall / (precision + recall), 4)


def score(docs: list[dict]) -> dict[str, dict[str, float]]:
    """{engine: {document: F1}} with the pipeline importable in this process."""
    from pipeline import extract
    from pipeline.config import load_config

    result = {}
    with tempfile.TemporaryDirectory() as out:
        for engine in ENGINES:
            config = load_config(None, overrides=[f"extract.engine={engine}"])
            for doc in docs:
                outputs = Path(out) / engine
                extract.process(doc["name"], {"path": doc["pdf"], "suffix": ".pdf"}, config, outputs)
                text = (outputs / f"text/{doc['name']}.txt").read_text(encoding="utf-8")
                gold = [extract.normalize_chars(p) for p in doc["gold"]]
                result.setdefault(engine, {})[doc["name"]] = paragraph_f1(text.split("\n\n"), gold)
    return result


def score_revision(rev: str, docs: list[dict]) -> dict[str, dict[str, float]]:
    """:func:`score` with the pipeline of git revision ``rev``, in a subprocess."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True,
                            text=True).stdout.strip()
    code = CACHE / f"code-{commit[:12]}"
    if not (code / "pipeline").exists():
        code.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "pipeline"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    env = dict(os.environ, PYTHONPATH=str(code))
    run = subprocess.run([sys.executable, __file__, "--score-json"], input=json.dumps(docs), text=True,
                         capture_output=True, env=env, cwd=code)
    if run.returncode:
        raise SystemExit(f"scoring with {rev} failed:\n{run.stderr}")
    return json.loads(run.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tuning", "heldout"), default="tuning", dest="which")
    parser.add_argument("--before", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--score-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.score_json:  # the child of score_revision
        print(json.dumps(score(json.load(sys.stdin))))
        return 0
    docs = build(args.which)
    before = score_revision(args.before, docs)
    sys.path.insert(0, str(ROOT))
    after = score(docs)
    producer = docs[0]["producer"]
    print(f"paragraph F1, {args.which} set ({producer}); before = {args.before}, after = this checkout")
    print(f"{'layout':<12} {'paragraphs':>10}" + "".join(f" {e + ' before':>18} {e + ' after':>17}" for e in ENGINES))
    for doc in docs:
        row = f"{doc['layout']:<12} {len(doc['gold']):>10}"
        for engine in ENGINES:
            row += f" {before[engine][doc['name']]:>18.3f} {after[engine][doc['name']]:>17.3f}"
        print(row)
    mean = lambda scores: sum(scores.values()) / len(scores)  # noqa: E731
    print(f"{'mean':<12} {'':>10}" + "".join(f" {mean(before[e]):>18.3f} {mean(after[e]):>17.3f}" for e in ENGINES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
