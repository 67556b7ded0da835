"""Engines: the two libraries that read the characters of a PDF page,
pdfplumber (pdfminer.six) and pdfium (pypdfium2), behind one interface
(``len(engine)``, ``engine.page(index)``, ``engine.close()``; pdfium also
renders pages for OCR), and the import of those libraries ahead of time.
"""

from __future__ import annotations

import functools
import unicodedata

from .chars import Char

ENGINES = ("pdfplumber", "pdfium")


class PdfplumberEngine:
    """Characters from pdfplumber (pdfminer.six)."""

    name = "pdfplumber"

    def __init__(self, path: str):
        import pdfplumber

        self.pdf = pdfplumber.open(path)
        self.pages = self.pdf.pages

    def __len__(self):
        return len(self.pages)

    def page(self, index: int) -> tuple[float, float, list[Char]]:
        """The page's glyphs as ``page.chars`` has them, read from pdfplumber's
        layout (pdfminer's LTChar objects) directly: ``page.chars`` would first
        turn every object into a dict of all its attributes (colours, fonts,
        marked content, ...)."""
        page = self.pages[index]
        try:
            width, height = page.width, page.height
            # the same arithmetic as pdfplumber's Page.process_object
            mb_x0, mb_top = page.mediabox[:2]
            chars = []
            for obj in _layout_chars(page.layout._objs):
                if obj.upright:
                    text = obj.get_text()
                    if self.pdf.unicode_norm is not None:
                        text = unicodedata.normalize(self.pdf.unicode_norm, text)
                    x0, x1 = (obj.x0 + mb_x0, obj.x1 + mb_x0) if mb_x0 != 0 else (obj.x0, obj.x1)
                    chars.append(Char(text, float(x0), float(x1), float((height - obj.y1) + mb_top),
                                      float((height - obj.y0) + mb_top), float(obj.size)))
            return float(width), float(height), chars
        finally:
            page.close()  # drop the page's layout: each page is read once

    def close(self):
        self.pdf.close()


def _layout_chars(objects):
    """pdfminer's LTChar objects in a layout, in pdfplumber's order (a figure's
    glyphs where the figure is)."""
    from pdfminer.layout import LTChar, LTContainer

    for obj in objects:
        if isinstance(obj, LTContainer):
            yield from _layout_chars(obj._objs)
        elif isinstance(obj, LTChar):
            yield obj


class PdfiumEngine:
    """Characters from pypdfium2 (PDFium); also renders pages for OCR."""

    name = "pdfium"

    def __init__(self, path: str):
        import pypdfium2

        self.pdf = pypdfium2.PdfDocument(path)

    def __len__(self):
        return len(self.pdf)

    def page(self, index: int) -> tuple[float, float, list[Char]]:
        import ctypes
        import struct

        import pypdfium2.raw as raw
        from pypdfium2 import PdfiumError

        # PDFium has no call that returns the boxes of many glyphs at once: four
        # calls per glyph, made without ctypes' argument conversion (a bare
        # pointer, an int index, byref() results; see _bare). (FPDFText_GetText
        # would give the page's text in one call, but its text is not the
        # glyph list: a line-end hyphen shifts it.)
        get_unicode, is_generated = _bare(raw.FPDFText_GetUnicode, ctypes.c_uint), _bare(raw.FPDFText_IsGenerated)
        get_box, get_origin = _bare(raw.FPDFText_GetLooseCharBox), _bare(raw.FPDFText_GetCharOrigin)
        get_object = _bare(raw.FPDFText_GetTextObject, ctypes.c_void_p)
        get_font_size, get_matrix = _bare(raw.FPDFText_GetFontSize, ctypes.c_double), _bare(raw.FPDFText_GetMatrix)
        # plain buffers read with one struct call, not a ctypes attribute per field
        box, origin, matrix = (ctypes.c_float * 4)(), (ctypes.c_double * 2)(), raw.FS_MATRIX()
        box_ref, x_ref, y_ref, matrix_ref = ctypes.byref(box), ctypes.byref(origin), ctypes.byref(origin, 8), \
            ctypes.byref(matrix)
        read_box = struct.Struct("4f").unpack_from  # FS_RECTF: left, top, right, bottom
        new_char = functools.partial(tuple.__new__, Char)  # Char(...) without its Python-level __new__

        page = self.pdf[index]
        left, bottom, right, top = page.get_cropbox()
        textpage = page.get_textpage()
        try:
            handle = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)
            chars, codes = [], []
            # a glyph's font size and matrix are those of its text object
            # (CPDF_TextPage::GetCharFontSize, CharInfo::m_Matrix): one size per object
            sizes: dict[int, float] = {}
            for i in range(textpage.count_chars()):
                code = get_unicode(handle, i)
                # PDFium generates only spaces and line breaks (CPDF_TextPage::GenerateCharInfo):
                # no need to ask about any other character
                if code in (10, 13, 0xFFFE) or (code == 32 and is_generated(handle, i) == 1):
                    continue
                if 0xD800 <= code < 0xDC00:  # a surrogate pair is two entries
                    codes.append((i, code))
                    continue
                if 0xDC00 <= code < 0xE000 and codes:
                    first, high = codes.pop()
                    code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    i = first
                if code == 2:  # PDFium's mark for a hyphen that ends a line
                    code = 0x2D
                if not get_box(handle, i, box_ref):
                    raise PdfiumError("Failed to get charbox.")
                get_origin(handle, i, x_ref, y_ref)
                text_object = get_object(handle, i)
                size = sizes.get(text_object)
                if size is None:
                    get_matrix(handle, i, matrix_ref)
                    # the font size times the text matrix's scale: what pdfminer calls the size
                    size = get_font_size(handle, i) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
                    if text_object is not None:
                        sizes[text_object] = size
                x0, _, x1, _ = read_box(box)
                baseline = top - origin[1]
                chars.append(new_char((chr(code), x0 - left, x1 - left, baseline - 0.8 * size,
                                       baseline + 0.2 * size, float(size))))
        finally:
            textpage.close()
            page.close()
        return float(right - left), float(top - bottom), chars

    def has_graphics(self, index: int) -> bool:
        """Does the page draw images or paths (a scan, or text drawn as outlines)?"""
        import pypdfium2.raw as raw

        return any(obj.type in (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_PATH) for obj in self.pdf[index].get_objects())

    def render(self, index: int, dpi: int):
        return self.pdf[index].render(scale=dpi / 72).to_pil()

    def close(self):
        self.pdf.close()


def _bare(function, restype=None):
    """A C function of ``pypdfium2.raw`` without its argument types: ctypes then
    passes the arguments as they are (c_void_p, int, byref()), which must match
    the C signature, and skips converting them; ``restype`` is the C return
    type (int when None)."""
    import ctypes

    return ctypes.CFUNCTYPE(restype or ctypes.c_int)(ctypes.cast(function, ctypes.c_void_p).value)


ENGINE_CLASSES = {"pdfplumber": PdfplumberEngine, "pdfium": PdfiumEngine}


def _import_engine_libraries(engine: str) -> None:
    """Import the PDF libraries here, once, before the worker of each PDF is
    forked: the worker inherits them, instead of importing them again for
    every PDF. pypdfium2 is always needed (fallback, blank pages, rendering
    for OCR); pdfplumber, the slower import, only when it reads first. A library that fails to import
    is left to the worker, which reports it as before."""
    try:
        import pypdfium2  # noqa: F401

        if engine == "pdfplumber":
            import pdfplumber  # noqa: F401
    except ImportError:
        pass
