"""The fallback chain: each page of a PDF from the first engine that reads
it as text, else the other engine, else OCR (:func:`read_pdf`).
"""

from __future__ import annotations

import os

from ..errors import DocumentError
from .chars import Page, chars_to_lines
from .engines import ENGINE_CLASSES, ENGINES
from .garbled import garbled_reason
from .ocr import _ocr_pages


def _describe(exc: BaseException) -> str:
    """One line for a library's exception; a wrapper (pdfplumber's
    PdfminerException) is described by what it wraps."""
    inner = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], BaseException) else None
    if inner is not None:
        exc = inner
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0]}" if lines else exc.__class__.__name__


def _needs_password(exc: BaseException) -> bool:
    """pdfminer's PDFPasswordIncorrect (wrapped by pdfplumber) or PDFium's password error."""
    inner = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], BaseException) else exc
    return inner.__class__.__name__ == "PDFPasswordIncorrect" or "password" in str(exc).lower()


def read_pdf(path: str, cfg, progress=None) -> tuple[list[Page], list[dict], str | None]:
    """Read every page of a PDF through the fallback chain.

    Returns the pages, one record per page ({"page", "engine", "reason"}: the
    engine that produced the page, or None, and why the primary engine was not
    used) and the OCR languages used. ``progress(seconds)`` is called before
    each OCR page to extend the caller's time budget.
    """
    engines, errors, locked = {}, [], False
    order = [cfg.engine] + ([e for e in ENGINES if e != cfg.engine] if cfg.fallback else [])

    def engine(name):
        """The engine ``name``, opened on first use (most documents never need
        the fallback); None when it cannot open the file."""
        nonlocal locked
        if name not in engines:
            try:
                engines[name] = ENGINE_CLASSES[name](path)
            except Exception as exc:  # every library has its own exception types for broken files
                engines[name] = None
                errors.append(f"{name}: {_describe(exc)}")
                locked = locked or _needs_password(exc)
        return engines[name]

    first = next((opened for name in order if (opened := engine(name)) is not None), None)
    if first is None and locked:
        raise DocumentError("encrypted: the PDF needs a password to be opened (a user password); "
                            "remove the password or leave the file out")
    if first is None:
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(0, os.fstat(f.fileno()).st_size - 1024))
            tail = f.read()
        if b"%PDF-" not in head:
            raise DocumentError("not a PDF: no %PDF- header in its first 1024 bytes")
        hint = ", probably truncated: no %%EOF at its end" if b"%%EOF" not in tail else ""
        raise DocumentError(f"not a readable PDF{hint} (" + "; ".join(errors) + ")")
    try:
        count = len(first)
        pages, records, pending = [], [], []
        for index in range(count):
            reasons, page, engine_used = [], None, None
            for name in order:
                if engine(name) is None:
                    continue
                try:
                    width, height, chars = engines[name].page(index)
                except Exception as exc:  # a broken page in one engine: the next engine may read it
                    reasons.append(f"{name}: error {exc.__class__.__name__}")
                    continue
                raw = "".join([c.text for c in chars])
                reason = garbled_reason(raw)
                lines = chars_to_lines(chars, width) if reason is None else ()
                if reason is None and lines:
                    page, engine_used = Page(width, height, lines), name
                    break
                reasons.append(f"{name}: {reason or 'no text'}")
                page = page or Page(width, height, ())
            records.append({"page": index + 1, "engine": engine_used,
                            "reason": "; ".join(reasons) if reasons else None})
            pages.append(page or Page(595.0, 842.0, ()))
            if engine_used is None:
                pending.append(index)
        ocr_used = None
        pdfium = engines.get("pdfium")
        if pending and pdfium is not None:
            blank = [i for i in pending if not pdfium.has_graphics(i) and all(
                r.endswith("no text") for r in records[i]["reason"].split("; "))]
            for i in blank:
                records[i]["reason"] = "blank page"
                records[i]["blank"] = True
            pending = [i for i in pending if i not in blank]
        if pending and cfg.fallback and cfg.ocr:
            ocr_used = _ocr_pages(pages, records, pending, pdfium, cfg, progress)
        return pages, records, ocr_used
    finally:
        for opened in engines.values():
            if opened is not None:
                opened.close()
