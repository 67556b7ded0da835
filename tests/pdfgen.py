"""PDF fixtures with known truth, made with reportlab from real text, in the
layouts policy documents really use, plus the measures the tests apply.

    pdf, truth = make_pdf(tmp_path / "gov.pdf", "gov")

``truth`` is the list of paragraphs a faithful extraction must give. Layouts:

- ``gov``: a State Council notice in Simplified Chinese (corpus/mic2025-cn.txt):
  a red-header style first page (issuing body, document number, title, date),
  paragraphs indented by two full-width spaces, ``— N —`` page numbers,
  paragraphs running across page breaks, some digits in full-width forms.
- ``report``: a research report in Traditional Chinese
  (tools/corpus_src/mic2025-hk.txt): a running header, headings drawn twice
  (fake bold), paragraphs separated by vertical gaps with no indent, ``第 N 頁``
  footers, some characters written as Kangxi radicals.
- ``english``: the English brief (tools/corpus_src/mic2025-brief-en.txt),
  justified, with end-of-line hyphenation and ``Page N of M`` footers.
- ``twocol``: the same English text in two columns under a full-width title.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CJK_FONT = "WQYZenHei"
LAYOUTS = ("gov", "report", "english", "twocol")
SOURCES = {"gov": ROOT / "corpus/mic2025-cn.txt", "report": ROOT / "tools/corpus_src/mic2025-hk.txt",
           "english": ROOT / "tools/corpus_src/mic2025-brief-en.txt",
           "twocol": ROOT / "tools/corpus_src/mic2025-brief-en.txt"}
KANGXI = {"工": "\u2f2f", "大": "\u2f24", "人": "\u2f08", "力": "\u2f12"}
GOV_HEAD = [(2, "国务院文件"), (0, "国发〔2015〕28号"), (1, "国务院关于印发《中国制造2025》的通知"),
            (0, "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
            (0, "现将《中国制造2025》印发给你们，请认真贯彻执行。"), (9, "国务院"), (9, "2015年5月8日")]


def read_blocks(path: Path) -> list[tuple[int, str]]:
    """Blocks separated by blank lines; '# ', '## ', '### ' mark headings (level 1-3), 0 is a paragraph."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        text = " ".join(line.strip() for line in chunk.splitlines())
        m = re.match(r"(#{1,3}) (.*)", text)
        blocks.append((len(m.group(1)), m.group(2).strip()) if m else (0, text))
    return blocks


def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(CJK_FONT, FONT_FILE, subfontIndex=0))


def _wrap_cjk(text, font, size, width):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for ch in text:
        if current and stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ""
        current += ch
    return lines + [current] if current else lines


def _wrap_latin(text, font, size, width):
    """Words into lines; a long word that does not fit is hyphenated (never at its own hyphen)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], []
    for word in text.split():
        trial = " ".join(current + [word])
        if stringWidth(trial, font, size) <= width:
            current.append(word)
            continue
        if word.isalpha() and word.islower() and len(word) >= 8:
            for k in range(len(word) - 4, 3, -1):
                if stringWidth(" ".join(current + [word[:k] + "-"]), font, size) <= width:
                    lines.append(current + [word[:k] + "-"])
                    current = [word[k:]]
                    break
            else:
                lines.append(current)
                current = [word]
        else:
            lines.append(current)
            current = [word]
    if current:
        lines.append(current)
    return [line for line in lines if line]


def make_pdf(path: Path, layout: str, *, blocks: int | None = None) -> tuple[Path, list[str]]:
    """Write the fixture PDF for ``layout`` to ``path`` (only the first ``blocks``
    blocks when given); return it and its true paragraphs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _fonts()
    width, height = A4
    english = layout in ("english", "twocol")
    body_font = "Times-Roman" if english else CJK_FONT
    size = 11.0 if english else 12.0
    leading = size * (1.35 if english else 1.6)
    margin_x, margin_top, margin_bottom = 72.0, 80.0, 80.0
    frames = [(margin_x, (width - 2 * margin_x - 18) / 2), (width / 2 + 9, (width - 2 * margin_x - 18) / 2)] \
        if layout == "twocol" else [(margin_x, width - 2 * margin_x)]
    limit = blocks
    blocks = read_blocks(SOURCES[layout])
    if layout == "gov":
        blocks = GOV_HEAD + blocks
    blocks = blocks[:limit]
    truth = []
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    state = {"page": 1, "frame": 0, "y": height - margin_top}

    def decorate():
        c.setFont(CJK_FONT if not english else "Helvetica", 9)
        number = state["page"]
        if layout == "gov":
            c.drawCentredString(width / 2, 40, f"— {number} —")
        elif layout == "report":
            if number > 1:
                c.drawString(margin_x, height - 45, "香港貿發局經貿研究 · 中國製造2025")
            c.drawCentredString(width / 2, 40, f"第 {number} 頁")
        else:
            c.drawString(margin_x, height - 45, "POLICY BRIEF · Made in China 2025")
            c.drawRightString(width - margin_x, 40, f"Page {number}")

    def advance(step):
        if state["y"] - step < margin_bottom:
            if state["frame"] + 1 < len(frames):
                state["frame"] += 1
                state["y"] = state["top"]
            else:
                decorate()
                c.showPage()
                state.update(page=state["page"] + 1, frame=0, y=height - margin_top)
                state["top"] = state["y"]
        state["y"] -= step
        return state["y"]

    state["top"] = state["y"]
    if layout == "twocol":  # a full-width title, then the columns
        level, title = blocks.pop(0)
        c.setFont("Helvetica-Bold", 18)
        c.drawString(margin_x, state["y"] - 18, title)
        truth.append(title)
        state["y"] -= 40
        state["top"] = state["y"]
    for index, (level, text) in enumerate(blocks):
        x, frame_width = frames[state["frame"]]
        if level in (1, 2, 3):  # headings: bigger, drawn twice (fake bold) in the report
            font = "Helvetica-Bold" if english else CJK_FONT
            hsize = {1: 1.6, 2: 1.3, 3: 1.15}[level] * size
            lines = [" ".join(words) for words in _wrap_latin(text, font, hsize, frame_width)] if english \
                else _wrap_cjk(text, font, hsize, frame_width)
            advance(hsize * 0.8)
            for line in lines:
                y = advance(hsize * 1.3)
                x, frame_width = frames[state["frame"]]
                c.setFont(font, hsize)
                if layout == "gov" and level == 2:
                    c.drawCentredString(width / 2, y, line)
                else:
                    c.drawString(x, y, line)
                    if layout == "report":
                        c.drawString(x + 0.3, y, line)
                        c.drawString(x + 0.3, y + 0.3, line)
            advance(hsize * 0.4)
            truth.append(text)
            continue
        if level == 9:  # right-aligned signature and date
            y = advance(leading)
            c.setFont(CJK_FONT, size)
            c.drawRightString(width - margin_x - 2 * size, y, text)
            truth.append(text)
            continue
        drawn = text
        if layout == "gov" and index % 7 == 3:
            drawn = re.sub(r"\d", lambda m: chr(ord(m.group()) + 0xFEE0), drawn)
        if layout == "report" and index % 5 == 2:
            drawn = "".join(KANGXI.get(ch, ch) for ch in drawn)
        indent = 2 * size if layout == "gov" and index >= len(GOV_HEAD) else 0.0
        if english:
            lines = _wrap_latin(drawn, body_font, size, frame_width)
        else:
            first = _wrap_cjk(drawn, body_font, size, frame_width - indent)[0]
            lines = [first] + _wrap_cjk(drawn[len(first):], body_font, size, frame_width)
        for n, words in enumerate(lines):
            y = advance(leading)
            x, frame_width = frames[state["frame"]]
            text_obj = c.beginText(x + (indent if n == 0 else 0), y)
            text_obj.setFont(body_font, size)
            if english:
                line = " ".join(words)
                from reportlab.pdfbase.pdfmetrics import stringWidth

                if n < len(lines) - 1 and len(words) > 1:  # justify every line but the last
                    text_obj.setWordSpace((frame_width - stringWidth(line, body_font, size)) / (len(words) - 1))
                text_obj.textLine(line)
            else:
                text_obj.textLine(words)
            c.drawText(text_obj)
        if layout != "gov":
            advance(leading * 0.7)  # the gap between paragraphs
        truth.append(text)
    decorate()
    c.save()
    return path, truth


def image_only(source: Path, target: Path, dpi: int = 200) -> Path:
    """A scanned copy of a PDF: every page replaced by a picture of itself, no text layer."""
    import pypdfium2
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = pypdfium2.PdfDocument(str(source))
    c = None
    for page in pdf:
        w, h = page.get_size()
        if c is None:
            c = canvas.Canvas(str(target), pagesize=(w, h), invariant=1)
        c.setPageSize((w, h))
        c.drawImage(ImageReader(page.render(scale=dpi / 72).to_pil()), 0, 0, w, h)
        c.showPage()
    c.save()
    return target


# --------------------------------------------------------------------------- measures


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (Myers' bit-parallel algorithm, fast enough for whole documents).

    >>> levenshtein("kitten", "sitting"), levenshtein("", "abc"), levenshtein("中國製造", "中国制造")
    (3, 3, 2)
    """
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    m = len(a)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def char_accuracy(got: str, truth: str) -> float:
    """1 - edit distance / length of the truth, whitespace ignored."""
    got, truth = squash(got), squash(truth)
    return 1 - levenshtein(got, truth) / max(1, len(truth))


def paragraph_f1(got: list[str], truth: list[str]) -> float:
    """F1 of paragraphs matched exactly (whitespace ignored), as multisets."""
    from collections import Counter

    g, t = Counter(squash(p) for p in got if p.strip()), Counter(squash(p) for p in truth if p.strip())
    hit = sum((g & t).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(g.values()), hit / sum(t.values())
    return 2 * precision * recall / (precision + recall)
