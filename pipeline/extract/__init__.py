"""Stage 1, extract: corpus/<doc>.pdf|.txt|.html|.htm|.docx -> text/<doc>.txt (clean text, original script).

The core is pure and shared by both PDF engines:

- :func:`chars_to_lines` turns positioned characters into the text lines of a
  page in reading order (duplicated fake-bold glyphs dropped, spaces between
  words restored from the geometry, columns separated);
- :func:`garbled_reason` says whether a page's text is garbage (``(cid:N)``
  codes, Latin-1 mojibake, control or private-use characters, an unexpected
  script);
- :func:`clean_pages` turns the lines of all pages into paragraphs (running
  headers, footers and page numbers removed, the lines of a paragraph
  rejoined) and :func:`normalize_chars` repairs compatibility characters;
- :func:`find_metadata` reads the document number, issuing body and date;
- :func:`read_text_file` decodes ``.txt`` inputs;
- :func:`~.html.read_html` takes a web page's article, title and date
  (readability-lxml), :func:`~.docx.read_docx` a Word file's paragraphs,
  tables and core properties (python-docx); their text then goes through
  the same cleanup as a ``.txt`` file's.

Two engines read characters from a PDF: ``pdfplumber`` (pdfminer.six, the
default) and ``pdfium`` (pypdfium2, faster). A page that one engine reads as
garbage or not at all goes to the other engine, then to OCR with tesseract
(when installed); a page nobody can read is reported, never passed on.

Each PDF is read in a worker process with a wall-clock budget and an
address-space cap (:func:`pipeline.isolation.run_isolated`), so a hostile file
costs at most its budget and never stops the batch. Only :func:`process`
touches files.

One module per concern: ``chars`` (characters and lines), ``garbled``
(garbage detection), ``paragraphs``, ``metadata``, ``textfile`` (``.txt``
inputs and their charsets, with the data in ``charset``), ``engines``,
``ocr`` and ``fallback`` (the chain of engines and OCR for each page). This
module is the stage and re-exports the names used elsewhere.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import io, isolation
from ..errors import DocumentError
# the stage's parts, and the names the rest of the code base uses as extract.X
from .chars import CID, Char, Line, Page, chars_to_lines, dedupe_chars, normalize_chars  # noqa: F401
from .docx import read_docx_file
from .engines import ENGINE_CLASSES, ENGINES, PdfiumEngine, PdfplumberEngine, _import_engine_libraries  # noqa: F401
from .fallback import read_pdf
from .garbled import detect_script, garbled_reason  # noqa: F401
from .html import read_html_file
from .metadata import find_metadata
from .ocr import cjk_punctuation, ocr_lines, tesseract_languages  # noqa: F401
from .paragraphs import clean_pages, text_to_paragraphs
from .textfile import read_text_file

NAME = "extract"
# formats read in a child process with the PDF budgets, like PDFs: a hostile page
# or a ZIP bomb costs at most extract.timeout_seconds and extract.memory_mb
READERS = {".html": (read_html_file, "html", "the web page"), ".htm": (read_html_file, "html", "the web page"),
           ".docx": (read_docx_file, "docx", "the Word file")}


def _first_page(text: str, page_starts: list[int]) -> str:
    end = next((s for s in page_starts[1:] if s > page_starts[0]), len(text))
    return text[page_starts[0]:end] if end > page_starts[0] else text[:3000]


def preload(config) -> None:
    """Import what this stage imports on its first document (see
    ``runner.preload``): the PDF libraries, unless the forker, which has
    imported them, forks each PDF's child."""
    if not isolation.has_forker():
        _import_engine_libraries(config.extract.engine)


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    """Extract one document into text/<doc>.txt and .state/extract/<doc>.json."""
    cfg = config.extract
    source = Path(entry["path"])
    started = time.perf_counter()
    warnings = []
    records, ocr_languages = [], None
    size, limit = source.stat().st_size, cfg.max_text_mb * 1e6
    if size == 0:
        raise DocumentError("empty file (0 bytes)")
    if entry["suffix"] == ".txt":
        if size > limit:  # before reading it: segmenting and tagging need ~100 MB of memory per MB of text
            raise DocumentError(f"text file of {size / 1e6:.3g} MB, over the limit of {cfg.max_text_mb:g} MB "
                                f"(extract.max_text_mb); split it, or raise the limit")
        text, spans = text_to_paragraphs(read_text_file(source.read_bytes()), fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        page_starts, n_pages, engine = [0], 1, "text"
        metadata = find_metadata(text[:3000])
    elif entry["suffix"] in READERS:
        reader, engine, what = READERS[entry["suffix"]]
        raw, found, fallback = isolation.run_isolated(reader, (str(source),), timeout=cfg.timeout_seconds,
                                                      memory_mb=cfg.memory_mb, what=what)
        # the same cleanup as a .txt file's, so that a document's tags do not depend on its format
        text, spans = text_to_paragraphs(raw, fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        page_starts, n_pages = [0], 1
        metadata = {**find_metadata(text[:3000]), "title": None}
        metadata.update({key: value for key, value in found.items() if value})
        metadata.update({key: value for key, value in fallback.items() if value and not metadata.get(key)})
    else:
        preload(config)  # once: each PDF's child inherits them
        pages, records, ocr_languages = isolation.run_isolated(read_pdf, (str(source), cfg),
                                                               timeout=cfg.timeout_seconds,
                                                               memory_mb=cfg.memory_mb)
        n_pages, engine = len(pages), cfg.engine
        text, page_starts, spans = clean_pages(pages, header_band=cfg.header_band, footer_band=cfg.footer_band,
                                               fullwidth_to_ascii=cfg.fullwidth_to_ascii)
        metadata = find_metadata(_first_page(text, page_starts))
    lost = [r for r in records if r["engine"] is None and not r.get("blank")]
    unreadable = [r["page"] for r in lost if not all(p.endswith("no text") for p in r["reason"].split("; ")[:2])]
    empty = [r["page"] for r in lost if r["page"] not in unreadable]
    if not text.strip():
        why = "; ".join(f"p.{r['page']}: {r['reason']}" for r in lost[:3])
        pages = f" in {n_pages} page(s)" if entry["suffix"] == ".pdf" else ""
        raise DocumentError(f"no extractable text{pages}" + (f" ({why})" if why else ""))
    if len(text) * 3 > limit and len(text.encode("utf-8")) > limit:
        raise DocumentError(f"its text is {len(text.encode('utf-8')) / 1e6:.3g} MB, over the limit of "
                            f"{cfg.max_text_mb:g} MB (extract.max_text_mb); split it, or raise the limit")
    for r in lost:
        warnings.append(f"page {r['page']} left out: {r['reason']}")
    io.write_text(outputs / "text" / f"{doc_id}.txt", text + "\n")
    page_engines = [r["engine"] for r in records] if records else [engine]
    io.write_state(outputs / ".state" / "extract" / f"{doc_id}.json",
                   {"page_starts": page_starts, "paragraphs": spans, "metadata": metadata,
                    "page_engines": page_engines})
    return {
        "engine": engine,
        "pages": n_pages,
        "page_engines": page_engines,
        "fallbacks": [r for r in records if r["engine"] != engine and not r.get("blank")],
        "ocr_pages": [r["page"] for r in records if (r["engine"] or "").startswith("ocr")],
        "ocr_languages": ocr_languages,
        "unreadable_pages": unreadable,
        "empty_pages": empty,
        "blank_pages": [r["page"] for r in records if r.get("blank")],
        "metadata": metadata,
        "paragraphs": len(spans),
        "chars": len(text),
        "warnings": warnings,
        "seconds": round(time.perf_counter() - started, 3),
    }
