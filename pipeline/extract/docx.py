"""Word files: the text of a ``.docx`` document and its core properties
(:func:`read_docx`), read with python-docx.

The body's paragraphs and tables in document order (also inside content
controls), a table row as one paragraph with its cells separated by a tab
(a merged cell once), a line break inside a paragraph kept for
:func:`~.paragraphs.text_to_paragraphs` to join as in a ``.txt`` file.
Running headers and footers, footnotes, comments and text boxes are other
parts of the file and are left out; so are the labels of automatic
numbering, which Word draws and does not store.

Pure: bytes in, (text, metadata, fallback metadata) out.
:func:`read_docx_file` is the function the stage runs in a child process.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import DocumentError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(element) -> str:
    from docx.text.paragraph import Paragraph

    return Paragraph(element, None).text


def _row_cells(row) -> list[str]:
    cells = []
    for cell in row.iterchildren(f"{W}tc"):
        parts = [_paragraph_text(p) for p in cell.iter(f"{W}p")]
        cells.append(" ".join(" ".join(parts).split()))
    return cells


def _blocks(parent):
    """The paragraphs (as text) of a body or content control, tables as rows."""
    for child in parent.iterchildren():
        if child.tag == f"{W}p":
            yield _paragraph_text(child)
        elif child.tag == f"{W}tbl":
            for row in child.iterchildren(f"{W}tr"):
                yield "\t".join(_row_cells(row)).strip("\t")
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def read_docx(data: bytes) -> tuple[str, dict, dict]:
    """A .docx file -> (its text, paragraphs separated by a blank line;
    {"title"} from its core properties; {"date"} its creation date, used
    when the text gives no date: Word sets it when the file, or the template
    it was copied from, was made)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("not a .docx file: not a ZIP archive (a Word 97-2003 .doc renamed? save it as .docx)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from None
    except MemoryError:
        raise  # over extract.memory_mb: the isolation reports it
    except Exception as exc:  # lxml's XMLSyntaxError and others: a damaged part
        raise DocumentError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from None
    paragraphs = [text.strip() for text in _blocks(document.element.body)]
    text = "\n\n".join(p for p in paragraphs if p.strip())
    props = document.core_properties
    title = " ".join((props.title or "").split()) or None
    created = props.created.date().isoformat() if props.created else None
    return text, {"title": title}, {"date": created}


def read_docx_file(path: str, progress=None) -> tuple[str, dict, dict]:
    """:func:`read_docx` on a file: what the stage runs in a child process
    with the extract budgets."""
    with open(path, "rb") as handle:
        return read_docx(handle.read())
