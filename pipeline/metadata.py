"""A document's metadata and the group it belongs to.

Metadata (date, issuer, document number) is what extraction found on the
first page, recorded in the manifest under ``stages.extract.metadata``.
Views that compare documents by period or issuer (the graph's groups,
keyness, concordances, the report's time view) take a document's group from
here, so that they all agree on it.
"""

from __future__ import annotations

import re


def extracted(entry: dict) -> dict:
    """The metadata extraction recorded for a document's manifest entry.

    >>> extracted({"stages": {"extract": {"metadata": {"date": "2015-05-08"}}}})
    {'date': '2015-05-08'}
    >>> extracted({})
    {}
    """
    return dict((entry or {}).get("stages", {}).get("extract", {}).get("metadata") or {})


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
    return {d: group_of(extracted(documents.get(d, {})), key, pattern) for d in doc_ids}
