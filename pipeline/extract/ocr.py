"""OCR: pages no engine can read, rendered by pdfium and read by tesseract
(when installed).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile

from ..io import die_with_parent
from .chars import CJK, CJK_JOIN, Line, Page
from .garbled import detect_script, garbled_reason
from .paragraphs import _join


def tesseract_languages() -> set[str]:
    """Languages of the installed tesseract; empty when tesseract is missing."""
    binary = shutil.which("tesseract")
    if not binary:
        return set()
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


_FULLWIDTH_PUNCTUATION = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}


def cjk_punctuation(text: str) -> str:
    """OCR reads Chinese punctuation as ASCII; next to a CJK character it is the full-width form.

    >>> cjk_punctuation("通知:各省,自治区(直辖市) and A, B")
    '通知：各省，自治区（直辖市） and A, B'
    """
    def repl(m):
        before, after = text[m.start() - 1] if m.start() else "", text[m.end()] if m.end() < len(text) else ""
        if (before and CJK_JOIN.match(before)) or (after and CJK_JOIN.match(after)):
            return _FULLWIDTH_PUNCTUATION[m.group()]
        return m.group()

    return re.sub(r"[,:;()?!]", repl, text)


def ocr_lines(image, languages: str, dpi: int) -> tuple[tuple[Line, ...], float]:
    """OCR one page image with tesseract -> (lines in PDF points, mean word confidence)."""
    with tempfile.TemporaryDirectory(prefix="extract-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        image.save(png)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        # it dies with the child that runs it, even when the child is killed
        proc = subprocess.run(["tesseract", png, "stdout", "-l", languages, "--psm", "3", "tsv"],
                              capture_output=True, text=True, env=env, preexec_fn=die_with_parent)
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    scale = 72 / dpi
    groups: dict[tuple, list] = {}
    boxes: dict[tuple, tuple] = {}
    for row in proc.stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level, key = int(cols[0]), tuple(int(c) for c in cols[2:5])
        left, top, width, height = (int(c) for c in cols[6:10])
        if level == 4:
            boxes[key] = (left, top, left + width, top + height)
        elif level == 5 and cols[11].strip() and float(cols[10]) >= 0:
            groups.setdefault(key, []).append((cols[11].strip(), float(cols[10])))
    lines, confidences = [], []
    for key, words in groups.items():
        text = ""
        for word, conf in words:
            text = _join(text, word) if not text or CJK.match(text[-1]) or CJK.match(word[0]) else text + " " + word
            confidences.append(conf)
        x0, top, x1, bottom = boxes.get(key, (0, 0, 0, 0))
        lines.append(Line(cjk_punctuation(text), x0 * scale, x1 * scale, top * scale, bottom * scale))
    lines.sort(key=lambda line: line.top)
    return tuple(lines), (statistics.mean(confidences) if confidences else 0.0)


def _page_text(lines) -> str:
    return "\n".join(line.text for line in lines)


def _ocr_pages(pages, records, pending, pdfium, cfg, progress) -> str | None:
    """OCR the pages in ``pending`` in place; returns the languages used."""
    installed = tesseract_languages()
    if pdfium is None or not installed:
        for i in pending:
            records[i]["reason"] += "; ocr: tesseract is not installed" if not installed else "; ocr: cannot render"
        return None
    languages = cfg.ocr_languages
    candidates = []
    if languages == "auto":
        script = detect_script("".join(line.text for page in pages for line in page.lines))
        by_script = {"zh-Hans": ["chi_sim+eng"], "zh-Hant": ["chi_tra+eng"], "en": ["eng"]}
        candidates = by_script.get(script, ["chi_sim+eng", "chi_tra+eng"])
        candidates = [c for c in candidates if set(c.split("+")) <= installed] or (["eng"] if "eng" in installed else [])
    elif set(languages.split("+")) <= installed:
        candidates = [languages]
    if not candidates:
        for i in pending:
            records[i]["reason"] += f"; ocr: tesseract has no data for {languages}"
        return None
    chosen = None
    allowance = cfg.ocr_max_seconds  # what OCR may still add to the document's budget
    for n, i in enumerate(pending):
        extra = cfg.ocr_page_seconds * (len(candidates) if chosen is None else 1)
        if extra > allowance:  # one small image-only PDF must not hold a worker for an hour
            for j in pending[n:]:
                records[j]["reason"] += (f"; ocr: not tried, the document's OCR time ({cfg.ocr_max_seconds:g} s, "
                                         f"extract.ocr_max_seconds) is spent")
            break
        allowance -= extra
        if progress:
            progress(extra)
        image = pdfium.render(i, cfg.ocr_dpi)
        results = []
        for langs in ([chosen] if chosen else candidates):
            lines, confidence = ocr_lines(image, langs, cfg.ocr_dpi)
            results.append((confidence, langs, lines))
        confidence, langs, lines = max(results, key=lambda r: r[0])
        chosen = chosen or langs  # the first page decides between Simplified and Traditional
        text = _page_text(lines)
        reason = garbled_reason(text)
        if lines and reason is None:
            pages[i] = Page(pages[i].width, pages[i].height, lines)
            records[i]["engine"] = f"ocr:{langs}"
            records[i]["confidence"] = round(confidence, 1)
        else:
            records[i]["reason"] += f"; ocr: {reason or 'no text found'}"
    return chosen
