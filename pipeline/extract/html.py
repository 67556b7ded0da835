"""Web pages: the article of an ``.html``/``.htm`` document as plain text, and
the title and date its page gives (:func:`read_html`).

Government sites publish a policy document as an article page: navigation,
a breadcrumb, the article, lists of related links and a footer. readability
(readability-lxml) picks the article's main block; :func:`block_text` turns
it into paragraphs (one per ``<p>``, ``<div>``, ``<br>``, list item or
heading, one per table row with its cells separated by a tab), lines of a
paragraph left for :func:`~.paragraphs.text_to_paragraphs` to join as in a
``.txt`` file. The charset is the page's own (BOM, ``<meta charset>``,
``http-equiv``), a GB2312/GBK declaration read as GB18030 (sites that
declare GB2312 serve GBK), and detected as for ``.txt`` when the page
declares none or its declaration does not decode it.

Pure: bytes in, (text, metadata) out. :func:`read_html_file` is the
function the stage runs in a child process (see ``process``).
"""

from __future__ import annotations

import codecs
import re

from ..errors import DocumentError
from .textfile import read_text_file

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# GB2312 and GBK pages hold GBK characters outside GB2312: read them as the superset
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
              "big5": "big5hkscs", "x-big5": "big5hkscs", "cp950": "big5hkscs"}
BLOCKS = frozenset("address article aside blockquote body caption center dd details div dl dt fieldset figcaption "
                   "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
                   "td tfoot th thead tr ul".split())
SKIP = frozenset("script style noscript template head title iframe object embed svg button select input "
                 "textarea".split())
# the names under which government sites (www.gov.cn, provincial sites, CMSs) and
# Open Graph / Dublin Core give the title and the date, in order of preference
TITLE_META = ("articletitle", "og:title", "dc.title", "title")
DATE_META = ("firstpublishedtime", "pubdate", "publishdate", "article:published_time", "dc.date",
             "dc.date.issued", "date")
DATE_LINE = re.compile(r"(?:发布时间|發佈時間|發布時間|发布日期|發佈日期|發布日期|发文日期|發文日期|成文日期|时间|時間|日期)"
                       r"\s*[:：]\s*((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
ISO_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
LABELLED = {"issuer": re.compile(r"(?:发文机关|發文機關|发布机构|發佈機構)\s*[:：]\s*([^\s:：|]{2,30})"),
            "document_number": re.compile(r"(?:发文字号|發文字號|文号|文號)\s*[:：]\s*([^\s:：|]{4,30})")}
TITLE_SUFFIX = re.compile(r"\s*(?:[_|｜]| - | — ).*$")


def decode_html(data: bytes) -> str:
    """The page's text in its declared charset, else detected as for ``.txt``.

    >>> decode_html('<meta charset="gb2312"><p>中国制造·2025</p>'.encode("gbk"))
    '<meta charset="gb2312"><p>中国制造·2025</p>'
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    match = _DECLARED.search(data[:8192])
    if match:
        name = match.group(1).decode("ascii").lower()
        try:
            encoding = _SUPERSETS.get(name, codecs.lookup(name).name)
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass  # unknown, or not what the page is in: detect it
    return read_text_file(data)


def _meta(tree) -> dict[str, str]:
    found = {}
    for element in tree.iter("meta"):
        key = (element.get("name") or element.get("property") or element.get("itemprop") or "").strip().lower()
        value = " ".join((element.get("content") or "").split())
        if key and value and key not in found:
            found[key] = value
    return found


def _iso(text: str | None) -> str | None:
    match = ISO_DATE.search(text or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def block_text(root) -> str:
    """The text of an element as paragraphs separated by a blank line: a
    paragraph break at each block element and ``<br>``, table rows one per
    paragraph with their cells separated by a tab; inside a paragraph, a
    line break where the source had one (joined later as in ``.txt``).

    >>> import lxml.html
    >>> block_text(lxml.html.fromstring("<div><p>一\\n二</p>三<br>四<table><tr><td>a</td><td>b</td></tr></table></div>"))
    '一\\n二\\n\\n三\\n\\n四\\n\\na\\tb'
    """
    paragraphs, current = [], []

    def flush():
        text = "".join(current).replace("\xa0", " ")
        text = re.sub(r"[ \t\r\f\v]*\n\s*", "\n", text)  # whitespace with a line break: the line break
        text = re.sub(r"[ \r\f\v]+", " ", text).strip()
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in SKIP or not tag:  # comments and processing instructions too
            return
        tag = tag.lower()
        if tag == "br":
            flush()
        elif tag == "tr":
            flush()
            cells = [block_text(cell) for cell in element if isinstance(cell.tag, str)
                     and cell.tag.lower() in ("td", "th")]
            if any("\n\n" in cell for cell in cells):  # a layout table's row: its cells hold paragraphs
                paragraphs.extend(cell for cell in cells if cell)
            else:
                row = "\t".join(" ".join(cell.split()) for cell in cells).strip("\t")
                if row.strip():
                    paragraphs.append(row)
            return
        else:
            if tag in BLOCKS:
                flush()
            current.append(element.text or "")
            for child in element:
                walk(child)
                current.append(child.tail or "")
            if tag in BLOCKS:
                flush()

    walk(root)
    flush()
    return "\n\n".join(paragraphs)


def read_html(data: bytes) -> tuple[str, dict, dict]:
    """An HTML page -> (its article's text, paragraphs separated by a blank
    line; {"title", "date", "issuer", "document_number"} as far as the page
    gives them). The date is the page's publication date (``<meta>``
    ``firstpublishedtime``, ``PubDate``, ...; else its date line, "发布时间：
    2015-05-19"); issuer and number come from labelled fields ("发文机关：",
    "发文字号："). What the page does not give, ``process`` asks the
    first-page finder for, as with other formats."""
    import lxml.html
    from readability import Document

    text = decode_html(data)
    # lxml refuses a str that declares an XML encoding; the charset is dealt with
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        raise DocumentError("an HTML page with no content")
    try:
        tree = lxml.html.document_fromstring(text)
        article = Document(text).summary(html_partial=True)
    except MemoryError:
        raise  # over extract.memory_mb: the isolation reports it
    except Exception as exc:  # lxml's and readability's parse errors have no common base
        raise DocumentError(f"not a readable HTML page ({type(exc).__name__}: {exc})") from None
    body = block_text(lxml.html.fragment_fromstring(article, create_parent="div")) if article.strip() else ""
    meta = _meta(tree)
    title = next((meta[k] for k in TITLE_META if meta.get(k)), None)
    if title is None:
        heading = tree.find(".//h1")
        title = " ".join(heading.text_content().split()) if heading is not None else None
        if not title:
            found = tree.find(".//title")
            title = TITLE_SUFFIX.sub("", " ".join((found.text_content() if found is not None else "").split())) or None
    page_text = block_text(tree.find(".//body") if tree.find(".//body") is not None else tree)
    date = next((d for d in (_iso(meta.get(k)) for k in DATE_META) if d), None)
    if date is None:
        line = DATE_LINE.search(page_text)
        date = _iso(line.group(0)[line.start(1) - line.start():]) if line else None
    metadata = {"title": title, "date": date}
    for key, pattern in LABELLED.items():
        match = pattern.search(page_text)
        metadata[key] = match.group(1) if match else None
    return body, metadata, {}


def read_html_file(path: str, progress=None) -> tuple[str, dict, dict]:
    """:func:`read_html` on a file: what the stage runs in a child process
    with the extract budgets."""
    with open(path, "rb") as handle:
        return read_html(handle.read())
