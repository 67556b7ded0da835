"""Extraction measured on PDFs generated from real text with known truth
(tests/pdfgen.py), on an image-only rendering through OCR, on the real
third-party samples, and the worker's time and memory budget."""

import shutil
import sys
import re
import time
from pathlib import Path

import pytest

import pdfgen
from conftest import ROOT, SAMPLES, needs_samples
from pipeline import extract
from pipeline.config import load_config
from pipeline.errors import DocumentError


def run_extract(path: Path, outputs: Path, *overrides):
    config = load_config(None, overrides=list(overrides))
    record = extract.process("doc", {"path": str(path), "suffix": path.suffix}, config, outputs)
    return record, (outputs / "text/doc.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("engine", extract.ENGINES)
@pytest.mark.parametrize("layout", pdfgen.LAYOUTS)
def test_generated_layouts(tmp_path, layout, engine):
    pdf, truth = pdfgen.make_pdf(tmp_path / f"{layout}.pdf", layout)
    record, text = run_extract(pdf, tmp_path / "out", f"extract.engine={engine}")
    assert pdfgen.char_accuracy(text, "\n".join(truth)) >= 0.999
    assert pdfgen.paragraph_f1(text.split("\n\n"), truth) >= 0.95
    assert record["engine"] == engine and set(record["page_engines"]) == {engine}
    assert not record["unreadable_pages"] and not record["empty_pages"] and not record["ocr_pages"]
    assert not re.search("[\u2f00-\u2fdf\uff10-\uff19]", text)  # Kangxi radicals and full-width digits normalised


def test_government_document_metadata(tmp_path):
    pdf, _ = pdfgen.make_pdf(tmp_path / "gov.pdf", "gov")
    record, _ = run_extract(pdf, tmp_path / "out")
    assert record["metadata"] == {"document_number": "国发〔2015〕28号", "issuer": "国务院", "date": "2015-05-08"}


def test_engines_agree_on_bundled_corpus(tmp_path):
    for name in ("mic2025-hk", "mic2025-brief-en"):
        texts = [run_extract(ROOT / f"corpus/{name}.pdf", tmp_path / engine, f"extract.engine={engine}")[1]
                 for engine in extract.ENGINES]
        assert pdfgen.squash(texts[0]) == pdfgen.squash(texts[1])
        assert [pdfgen.squash(p) for p in texts[0].split("\n\n")] == [pdfgen.squash(p) for p in texts[1].split("\n\n")]


@pytest.mark.skipif(not {"chi_sim", "chi_tra", "eng"} <= extract.tesseract_languages(),
                    reason="tesseract with chi_sim, chi_tra and eng is not installed")
def test_image_only_pdf_goes_through_ocr(tmp_path):
    pdf, truth = pdfgen.make_pdf(tmp_path / "gov.pdf", "gov", blocks=9)  # one page
    scan = pdfgen.image_only(pdf, tmp_path / "scan.pdf")
    record, text = run_extract(scan, tmp_path / "out")
    assert record["ocr_pages"] == [1] and record["page_engines"] == ["ocr:chi_sim+eng"]
    assert "no text" in record["fallbacks"][0]["reason"]
    assert pdfgen.char_accuracy(text, "\n".join(truth)) >= 0.95


SAMPLE_PDFS = sorted((SAMPLES / "pdf").glob("*.pdf"))


@needs_samples
@pytest.mark.parametrize("engine", extract.ENGINES)
@pytest.mark.parametrize("sample", [p.name for p in SAMPLE_PDFS])
def test_real_samples_give_clean_text_or_report_pages(tmp_path, sample, engine):
    try:
        record, text = run_extract(SAMPLES / "pdf" / sample, tmp_path / "out", f"extract.engine={engine}")
    except DocumentError as exc:  # nothing readable at all: a clear reason, never garbage
        assert "page" in str(exc)
        return
    assert "(cid:" not in text
    assert extract.garbled_reason(text) is None
    assert not re.search("[\u2f00-\u2fdf]", text)  # no Kangxi radicals
    assert not re.search(r"(项项|目目|描描|述述)", text)  # fake-bold glyphs drawn twice are read once
    for page in record["page_engines"]:
        assert page is None or page in extract.ENGINES or page.startswith("ocr:")
    lost = {r["page"] for r in record["fallbacks"] if r["engine"] is None}
    assert lost == set(record["unreadable_pages"]) | set(record["empty_pages"])
    assert all(f"page {n} left out" in " ".join(record["warnings"]) for n in lost)


@needs_samples
def test_issue_xiaobiaosong_mojibake_recovered_by_pdfium(tmp_path):
    record, text = run_extract(SAMPLES / "pdf/XiaoBiaoSong.pdf", tmp_path / "out")
    assert record["page_engines"] == ["pdfium"] and "mojibake" in record["fallbacks"][0]["reason"]
    assert "关于红军作战的原则" in text


@needs_samples
def test_issue15690_fullwidth_words_keep_their_spaces(tmp_path):
    _, text = run_extract(SAMPLES / "pdf/issue15690.pdf", tmp_path / "out")
    assert "Optimization of water extraction and alcohol precipitation" in text


@needs_samples
def test_federal_register_columns_are_read_one_after_the_other(tmp_path):
    _, text = run_extract(SAMPLES / "pdf/federal-register-2020-17221.pdf", tmp_path / "out")
    assert "require operators to conduct an AOA sensor system test and perform an operational readiness flight" \
           in re.sub(r"\s+", " ", text)


@needs_samples
def test_issue_67_double_spaced_paragraphs_are_joined(tmp_path):
    _, text = run_extract(SAMPLES / "pdf/issue-67-example.pdf", tmp_path / "out")
    assert "并承担个别和连带的法律责任。" in text
    assert "(会计主管人员)钱扣明声明" in text


def test_broken_pdf_with_a_huge_token_fails_within_its_budget(tmp_path):
    # one enormous comment and name token and no objects: a clear reason, quickly, never a hang
    hostile = tmp_path / "hostile.pdf"
    hostile.write_bytes(b"%PDF-1.4\n%" + b"A" * 200_000 + b"\n/" + b"B" * 4_000_000 + b"\ntrailer\n<<>>\n%%EOF\n")
    started = time.monotonic()
    with pytest.raises(DocumentError):
        run_extract(hostile, tmp_path / "out", "extract.timeout_seconds=5")
    assert time.monotonic() - started < 60


def test_missing_tesseract_reports_the_page(tmp_path, monkeypatch):
    pdf, _ = pdfgen.make_pdf(tmp_path / "gov.pdf", "gov", blocks=9)
    scan = pdfgen.image_only(pdf, tmp_path / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on PATH: the environment of a machine without it
    with pytest.raises(DocumentError, match="tesseract is not installed"):
        run_extract(scan, tmp_path / "out")


def test_ocr_can_be_switched_off(tmp_path):
    pdf, _ = pdfgen.make_pdf(tmp_path / "gov.pdf", "gov", blocks=9)
    scan = pdfgen.image_only(pdf, tmp_path / "scan.pdf")
    with pytest.raises(DocumentError, match="no extractable text in 1 page"):
        run_extract(scan, tmp_path / "out", "extract.ocr=false")



# --------------------------------------------------------------------------- other producers

sys.path.insert(0, str(ROOT / "tools"))
import paragraph_eval  # noqa: E402  (tools/paragraph_eval.py: the held-out producers and layouts)


def _small(which: str, layout: str, blocks: int) -> dict:
    doc = next(d for d in paragraph_eval.documents(which) if d["layout"] == layout)
    return dict(doc, blocks=doc["blocks"][:blocks])


@pytest.mark.parametrize("which, layout", [
    ("tuning", "zh-gap"), ("tuning", "en-gap"), ("tuning", "zh-smallgap"),
    pytest.param("heldout", "zh-gap", marks=pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium")),
    pytest.param("heldout", "en-indent", marks=pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium")),
])
def test_paragraphs_of_other_producers(tmp_path, which, layout):
    """Platypus and Chromium PDFs (not reportlab's canvas): gaps without indents, ragged
    English, a last line ending at the margin, numbered items, a page break inside a paragraph."""
    doc = _small(which, layout, 16)
    pdf = tmp_path / "doc.pdf"
    paragraph_eval.PRODUCERS[doc["producer"]](doc, pdf)
    record, text = run_extract(pdf, tmp_path / "out")
    assert record["pages"] >= 2
    gold = [extract.normalize_chars(text) for _, text in doc["blocks"]]
    assert paragraph_eval.paragraph_f1(text.split("\n\n"), gold) == 1.0


@pytest.mark.parametrize("engine", extract.ENGINES)
def test_radicals_supplement_in_the_text_layer_become_unified_ideographs(tmp_path, engine):
    from reportlab.pdfgen import canvas

    pdfgen._fonts()
    pdf = tmp_path / "radicals.pdf"
    c = canvas.Canvas(str(pdf), invariant=1)
    c.setFont(pdfgen.CJK_FONT, 12)
    c.drawString(72, 700, "从不同⻆度看⻅⻄部地区⻓期发展的⼯业基础。")  # Radicals Supplement and Kangxi radicals
    c.save()
    record, text = run_extract(pdf, tmp_path / "out", f"extract.engine={engine}")
    assert text.strip() == "从不同角度看见西部地区长期发展的工业基础。"
