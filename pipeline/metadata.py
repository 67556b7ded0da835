"""A document's metadata and the group it belongs to.

A document's metadata (date, issuer, document number, or any key a
researcher adds: region, edition...) comes from three places; for each key the
first that has a value wins:

1. ``metadata.csv`` at the corpus root (:func:`parse_table`), the values a
   researcher set: a ``document`` column (the file's path relative to the
   corpus, e.g. ``2015/mic2025.pdf``) and any other columns;
2. the file name (:func:`from_name`): the named groups of the regular
   expression ``graph.metadata_from_names`` searched in that same path;
3. what extraction found on the first page, recorded in the manifest under
   ``stages.extract.metadata`` (:func:`extracted`).

When 1 or 2 gave a document a value, the merged metadata is recorded in its
manifest entry as ``metadata``, with ``metadata_source`` (key -> where its
value came from) beside it (:func:`record`); otherwise extraction's record is
the document's metadata (:func:`document_metadata`). Views that compare
documents by period or issuer (the graph's groups, its periods and trends,
keyness, concordances, the report's time view) take a document's group from
here, so that they all agree on it.
"""

from __future__ import annotations

import csv
import io as _io
import re
import unicodedata
from pathlib import Path

from .errors import ConfigError

TABLE = "metadata.csv"  # at the corpus root; never read as a document (.csv is not a document suffix)
SOURCES = ("metadata.csv", "file name", "extract")  # in order of precedence
LISTED = 10  # names a warning line lists before "… and N more"


def extracted(entry: dict) -> dict:
    """The metadata extraction recorded for a document's manifest entry.

    >>> extracted({"stages": {"extract": {"metadata": {"date": "2015-05-08"}}}})
    {'date': '2015-05-08'}
    >>> extracted({})
    {}
    """
    return dict((entry or {}).get("stages", {}).get("extract", {}).get("metadata") or {})


def document_metadata(entry: dict) -> dict:
    """A document's metadata: the merged ``metadata`` recorded in its manifest
    entry when metadata.csv or the file name gave it a value, extraction's
    otherwise.

    >>> document_metadata({"metadata": {"date": "2016"}, "stages": {"extract": {"metadata": {"date": None}}}})
    {'date': '2016'}
    >>> document_metadata({"stages": {"extract": {"metadata": {"date": "2015-05-08"}}}})
    {'date': '2015-05-08'}
    """
    recorded = (entry or {}).get("metadata")
    return dict(recorded) if isinstance(recorded, dict) else extracted(entry)


def group_of(metadata: dict | None, key: str, pattern: str = "") -> str | None:
    """The group a document belongs to: its metadata value for ``key``, cut
    down to the first match of ``pattern`` (its first group if it has one).
    None when the document has no such value or it does not match.

    >>> group_of({"date": "2015-05-08"}, "date", r"(\\d{4})")
    '2015'
    >>> group_of({"issuer": "國務院"}, "issuer"), group_of({}, "date"), group_of({"date": "n.d."}, "date", r"\\d{4}")
    ('國務院', None, None)
    """
    value = (metadata or {}).get(key)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    value = str(value).strip()
    if pattern:
        match = re.search(pattern, value)
        if not match:
            return None
        value = match.group(1) if match.groups() else match.group(0)
    return value or None


def document_groups(documents: dict, doc_ids, key: str, pattern: str = "") -> dict[str, str | None]:
    """Each of ``doc_ids``' group: the value of metadata ``key`` (cut down by
    ``pattern``) in the manifest's ``documents``; None where there is none.

    >>> docs = {"a": {"stages": {"extract": {"metadata": {"date": "2015-05-08"}}}}, "b": {}}
    >>> document_groups(docs, ["a", "b"], "date", r"(\\d{4})")
    {'a': '2015', 'b': None}
    """
    return {d: group_of(document_metadata(documents.get(d, {})), key, pattern) for d in doc_ids}


# ---------------------------------------------------------------- metadata.csv

def _name(value: str) -> str:
    r"""A file name as written in metadata.csv, in the form it is matched in:
    NFC (macOS writes decomposed names), forward slashes, no leading ``./``.

    >>> _name(" ./2015\\mic2025.pdf ")
    '2015/mic2025.pdf'
    """
    value = unicodedata.normalize("NFC", value.strip()).replace("\\", "/")
    while value.startswith("./"):
        value = value[2:]
    return value


def parse_table(text: str, path="metadata.csv") -> dict[str, tuple[int, dict[str, str]]]:
    r"""The rows of a metadata table: file name -> (line, {column: value}).

    The first row names the columns; ``document`` (the file's path relative
    to the corpus) is required, every other column is a metadata key. Values
    are stripped and blank cells left out (a blank cell sets nothing, so the
    file name or extraction may still give that key a value); blank lines are
    skipped. A bad table raises :class:`ConfigError` naming ``path`` and the
    line: no ``document`` column, a blank or repeated column name, a row with
    more cells than the header, a document named twice.

    >>> parse_table("document,date,issuer\n2015/a.txt,2015-05-08,國務院\nb.pdf,2016,\n")
    {'2015/a.txt': (2, {'date': '2015-05-08', 'issuer': '國務院'}), 'b.pdf': (3, {'date': '2016'})}
    >>> parse_table("document,date\na.txt,2015\na.txt,2016\n", "corpus/metadata.csv")
    Traceback (most recent call last):
    ...
    pipeline.errors.ConfigError: corpus/metadata.csv:3: document: 'a.txt' is named twice (first on line 2)
    """
    reader = csv.reader(_io.StringIO(text, newline=""), strict=True)
    header, rows, end = None, {}, 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num  # a row's first line (a quoted cell may hold line breaks)
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                _check_header(header, path, line)
                continue
            if len(cells) > len(header):
                raise ConfigError(path, "row", f"{len(cells)} cells but the header names {len(header)} columns "
                                               "(a value with a comma needs double quotes)", line=line)
            values = {column: cell.strip() for column, cell in zip(header, cells) if cell.strip()}
            document = _name(values.pop("document", ""))
            if not document:
                raise ConfigError(path, "document", "expected the file's path relative to the corpus "
                                                    "(e.g. 2015/mic2025.pdf), got an empty cell", line=line)
            if document in rows:
                raise ConfigError(path, "document", f"{document!r} is named twice (first on line "
                                                    f"{rows[document][0]})", line=line)
            rows[document] = (line, values)
    except csv.Error as exc:
        raise ConfigError(path, "CSV syntax", f"{exc} (a double quote opens a quoted value that must be "
                                              "closed)", line=end + 1) from None
    if header is None:
        raise ConfigError(path, "header", "the file is empty; expected a header row with a 'document' column "
                                          "and one column per metadata key (date, issuer, ...)", line=1)
    return rows


def _check_header(header: list[str], path, line: int) -> None:
    if "document" not in header:
        hint = (" (columns must be separated by commas)" if len(header) == 1 and re.search(r"[;\t|]", header[0])
                else "")
        raise ConfigError(path, "header", "expected a column named 'document' (the file's path relative to the "
                                          f"corpus){hint}; got columns {', '.join(map(repr, header))}", line=line)
    seen = set()
    for column in header:
        if not column:
            raise ConfigError(path, "header", "a column has no name", line=line)
        if column in seen:
            raise ConfigError(path, "header", f"column {column!r} appears twice", line=line)
        seen.add(column)


def read_table(corpus: Path) -> dict[str, tuple[int, dict[str, str]]] | None:
    """``corpus/metadata.csv`` parsed (:func:`parse_table`), or None when
    there is none. UTF-8, with or without a BOM (Excel's "CSV UTF-8")."""
    path = Path(corpus) / TABLE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(path, "metadata table", f"cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(path, "encoding", f"expected UTF-8 (in Excel: save as \"CSV UTF-8\"); byte "
                                            f"0x{data[exc.start]:02x} is not UTF-8", line=line) from None
    return parse_table(text, path)


# ---------------------------------------------------------------- file names

def check_name_pattern(pattern: str) -> str | None:
    r"""What is wrong with a ``metadata_from_names`` pattern, or None.

    >>> check_name_pattern(r"(?P<date>\d{4})") is None, check_name_pattern(r"(\d{4})")
    (True, 'expected a regular expression with named groups such as (?P<date>\\d{4}); it has none')
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"expected a regular expression ({exc})"
    if not compiled.groupindex:
        return r"expected a regular expression with named groups such as (?P<date>\d{4}); it has none"
    return None


def from_name(source: str, pattern: str) -> dict[str, str]:
    r"""Metadata from a document's path relative to the corpus: the named
    groups of the first match of ``pattern`` that took part in it and are
    not empty.

    >>> from_name("2016/工信部-2016-07-智能製造.pdf", r"^(?P<year>\d{4})/(?P<issuer>[^-/]+)-(?P<date>\d{4}-\d{2})")
    {'year': '2016', 'issuer': '工信部', 'date': '2016-07'}
    >>> from_name("notes.txt", r"(?P<date>\d{4})"), from_name("a.txt", "")
    ({}, {})
    """
    if not pattern:
        return {}
    match = re.search(pattern, source)
    if not match:
        return {}
    return {k: v.strip() for k, v in match.groupdict().items() if v is not None and v.strip()}


# ---------------------------------------------------------------- merging and recording

def merge(extract: dict, name: dict, table: dict) -> tuple[dict, dict]:
    """The metadata of one document from its three sources, and where each
    value came from: metadata.csv over the file name over extraction. Keys
    extraction knows but found nothing for stay, as None.

    >>> merge({"date": None, "issuer": "國務院"}, {"date": "2016"}, {"issuer": "工信部", "region": "HK"})
    ({'date': '2016', 'issuer': '工信部', 'region': 'HK'}, {'date': 'file name', 'issuer': 'metadata.csv', 'region': 'metadata.csv'})
    """
    values = dict(extract)
    sources = {k: "extract" for k, v in extract.items() if v not in (None, "")}
    for source, given in (("file name", name), ("metadata.csv", table)):
        for key, value in given.items():
            values[key] = value
            sources[key] = source
    return values, {k: sources[k] for k in sorted(sources)}


def record(documents: dict, table: dict | None, pattern: str) -> tuple[list[str], bool]:
    r"""Record each manifest document's merged metadata in its entry
    (``metadata`` and ``metadata_source``) when metadata.csv or the file
    name gave it a value, and drop an earlier record otherwise. Returns the
    file names of metadata.csv rows that name no document of the corpus, and
    whether any entry changed.

    >>> docs = {"a": {"source": "2016/a.txt"}, "b": {"source": "b.txt", "metadata": {"date": "old"}}}
    >>> record(docs, {"x.pdf": (2, {"issuer": "國務院"})}, r"^(?P<date>\d{4})/")
    (['x.pdf'], True)
    >>> docs["a"]["metadata"], docs["a"]["metadata_source"], "metadata" in docs["b"]
    ({'date': '2016'}, {'date': 'file name'}, False)
    """
    table = table or {}
    sources, changed = set(), False
    for doc_id, entry in documents.items():
        source = _name(str(entry.get("source") or doc_id))
        sources.add(source)
        given = table.get(source, (0, {}))[1]
        name = from_name(source, pattern)
        before = (entry.get("metadata"), entry.get("metadata_source"))
        if given or name:
            entry["metadata"], entry["metadata_source"] = merge(extracted(entry), name, given)
        else:
            entry.pop("metadata", None)
            entry.pop("metadata_source", None)
        changed = changed or before != (entry.get("metadata"), entry.get("metadata_source"))
    return sorted(name for name in table if name not in sources), changed


def listing(names, limit: int = LISTED) -> str:
    """Names for a warning line, the first ``limit`` of them.

    >>> listing(["a", "b", "c"], limit=2)
    'a, b … and 1 more'
    """
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" … and {len(names) - limit} more" if len(names) > limit else "")
