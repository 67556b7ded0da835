"""Broken and hostile inputs, made by code: what a corpus nobody has looked
at can hold. Each function writes one file and returns its path.

    path = hostile.flate_bomb(tmp_path / "bomb.pdf")

The PDFs that reportlab cannot make (a cyclic page tree, a bomb, a font with
no Unicode map) are written object by object with :func:`raw_pdf`, which
computes a correct cross-reference table, so that a reader reaches the
hostile part instead of stopping at a broken file.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pdfgen

# a page with one line of text in a standard font (no embedding needed)
TEXT_PAGE_CONTENT = b"BT /F1 14 Tf 72 760 Td (Made in China 2025 promotes smart manufacturing.) Tj ET"
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def stream(data: bytes, *, flate: bool = False, extra: bytes = b"") -> bytes:
    """A PDF stream object's body."""
    if flate:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def raw_pdf(path: Path, objects: list[bytes], *, root: int = 1, before_objects: bytes = b"") -> Path:
    """Write objects 1..N (bodies without ``n 0 obj``) with a correct xref table.

    ``before_objects`` is written between the header and the first object
    (where a comment may sit)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + before_objects)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    path.write_bytes(bytes(out))
    return path


def one_page(path: Path, content: bytes, *, font: bytes = HELVETICA, extra_objects: list[bytes] = (),
             before_objects: bytes = b"") -> Path:
    """A one-page PDF: 1 catalog, 2 pages, 3 page, 4 font, 5 content, then ``extra_objects`` (6, 7, ...)."""
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        font,
        content,
        *extra_objects,
    ], before_objects=before_objects)


# --------------------------------------------------------------------------- not PDFs at all


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def text_named_pdf(path: Path) -> Path:
    path.write_text("這是一個文字檔，不是 PDF。\nThis is a text file, not a PDF.\n", encoding="utf-8")
    return path


def truncated(path: Path) -> Path:
    """A real multi-page PDF cut off at 40% of its bytes (an interrupted download)."""
    whole, _ = pdfgen.make_pdf(path.with_name(path.name + ".source.tmp"), "english", blocks=12)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) * 2 // 5])
    return path


# --------------------------------------------------------------------------- encryption


def encrypted(path: Path, *, user_password: str, owner_password: str = "owner-secret") -> Path:
    """A reportlab PDF encrypted with RC4-128. With an empty ``user_password``
    anyone may open it (only permissions are restricted): it must extract."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    enc = StandardEncryption(user_password, owner_password, canPrint=1, canModify=0, canCopy=0, canAnnotate=0)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=enc, invariant=1)
    c.setFont("Helvetica", 12)
    for k, line in enumerate(OWNER_TEXT):
        c.drawString(72, 760 - 18 * k, line)
    c.showPage()
    c.save()
    return path


OWNER_TEXT = ["Made in China 2025 names ten key sectors.", "Smart manufacturing is its main line."]


# --------------------------------------------------------------------------- structure


def cyclic_page_tree(path: Path) -> Path:
    """The page tree contains itself: /Pages 2 has kids [2, 6], 6 has kids [2, 3]."""
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 6 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 6 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        HELVETICA,
        stream(TEXT_PAGE_CONTENT),
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
    ])


def flate_bomb(path: Path, megabytes: int = 1024) -> Path:
    """A page whose content stream inflates to ``megabytes`` MB of spaces
    (about 1 MB on disk per GB inflated), after one line of real text."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(TEXT_PAGE_CONTENT + b"\n")]
    block = b" " * (1 << 20)
    for _ in range(megabytes):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    data = b"".join(parts)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return one_page(path, content)


def operator_bomb(path: Path, operators: int = 1_000_000) -> Path:
    """A page that shows one glyph ``operators`` times: about 10 KB on disk, but
    pdfminer needs some 150 s and 2 GB per million glyphs to read it."""
    return one_page(path, stream(b"BT /F1 10 Tf 72 700 Td " + b"(x) Tj " * operators + b"ET", flate=True))


def huge_comment(path: Path, kilobytes: int = 200) -> Path:
    """One comment token of ``kilobytes`` KB with no line end, inside the
    content stream, after a line of real text; the file stays small."""
    return one_page(path, stream(TEXT_PAGE_CONTENT + b"\n%" + b"A" * (kilobytes * 1024)))


def cid_only(path: Path) -> Path:
    """A page drawn with a composite (Type0, Identity-H) font that has no
    ToUnicode map and no embedded program: text extraction gives (cid:N)."""
    codes = b"".join(b"%04X" % (0x0100 + 37 * k % 900) for k in range(60))
    content = b"BT /F1 16 Tf 72 760 Td <" + codes + b"> Tj 0 -24 Td <" + codes[::-1] + b"> Tj ET"
    font = (b"<< /Type /Font /Subtype /Type0 /BaseFont /NoMapFont /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] >>")
    descendant = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoMapFont "
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                  b"/FontDescriptor 7 0 R /DW 1000 >>")
    descriptor = (b"<< /Type /FontDescriptor /FontName /NoMapFont /Flags 4 /FontBBox [0 -200 1000 900] "
                  b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>")
    return one_page(path, stream(content), font=font, extra_objects=[descendant, descriptor])


def beyond_the_edge(path: Path) -> Path:
    """Ten lines of text, the first running far beyond the right edge of the page
    (found by tests/test_fuzz.py: column detection indexed past the page)."""
    body = b"BT /F1 12 Tf 72 700 Td (" + b"wide " * 60 + b") Tj"
    for k in range(1, 10):
        body += b" 0 -20 Td (Line %d of the body text, smart manufacturing.) Tj" % k
    return one_page(path, stream(body + b" ET"))


def many_pages(path: Path, pages: int = 1000) -> Path:
    """A ``pages``-page PDF: a running header, one numbered paragraph per page
    (see :func:`many_pages_paragraph`) in the body and a page number."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 9)
        c.drawString(72, 800, "A LONG PLAN IN MANY SECTIONS")
        c.drawCentredString(297, 40, str(n))
        c.setFont("Helvetica", 11)
        c.drawString(72, 600, many_pages_paragraph(n))
        c.showPage()
    c.save()
    return path


def many_pages_paragraph(n: int) -> str:
    return f"Section {n} of the plan covers smart manufacturing."


def scanned(path: Path) -> Path:
    """An image-only PDF: a page of the ``gov`` fixture replaced by a picture of itself."""
    source, _ = pdfgen.make_pdf(path.with_name(path.name + ".source.tmp"), "gov", blocks=9)
    pdfgen.image_only(source, path)
    source.unlink()
    return path


# --------------------------------------------------------------------------- text files

TXT_ZH_HANS = "推进信息化和工业化深度融合，把智能制造作为主攻方向。\n\n强化工业基础能力。\n"
TXT_ZH_HANT = "推進資訊化與工業化深度融合，把智慧製造作為主攻方向。\n\n強化工業基礎能力。\n"


def txt_invalid_bytes(path: Path) -> Path:
    """Bytes that are text in no supported encoding (control codes, stray high bytes)."""
    path.write_bytes(bytes(range(256)) * 8 + b"\x00\xff\xfe\x81\x00" * 50)
    return path


def txt_gbk(path: Path) -> Path:
    path.write_bytes(TXT_ZH_HANS.encode("gbk"))
    return path


def txt_big5(path: Path) -> Path:
    path.write_bytes(TXT_ZH_HANT.encode("big5"))
    return path


def txt_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def bad_font_bbox(path: Path) -> Path:
    """A readable page whose (non-standard) font has a FontBBox of three
    numbers: pdfminer logs "Could not get FontBBox ..." for it."""
    font = (b"<< /Type /Font /Subtype /TrueType /BaseFont /NotAStandardFont /FirstChar 32 /LastChar 126 "
            b"/Encoding /WinAnsiEncoding /FontDescriptor 6 0 R >>")
    descriptor = b"<< /Type /FontDescriptor /FontName /NotAStandardFont /Flags 32 /FontBBox [0 0 0] /ItalicAngle 0 >>"
    return one_page(path, stream(TEXT_PAGE_CONTENT), font=font, extra_objects=[descriptor])
