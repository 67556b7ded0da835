"""Text files: decoding a ``.txt`` document whatever its charset
(:func:`read_text_file`).
"""

from __future__ import annotations

import codecs
import unicodedata

from ..errors import DocumentError


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that ordinary Chinese text is made of
    (common characters, CJK punctuation, full-width forms, general punctuation)."""
    from .charset import COMMON_HANZI

    wide = [ch for ch in text if not ch.isascii() and not ch.isspace()]
    if not wide:
        return 1.0
    good = sum(1 for ch in wide if ch in COMMON_HANZI or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or "\u2010" <= ch <= "\u206f")
    return good / len(wide)


def read_text_file(data: bytes) -> str:
    """Decode a .txt document: UTF-8 (BOM or not), UTF-16 (BOM or not),
    GB18030/GBK or Big5/Big5-HKSCS, telling the last two apart by how much of
    each decoding is made of common characters. Anything else raises
    DocumentError.

    >>> read_text_file("中國製造".encode("big5")), read_text_file("中国制造".encode("gbk"))
    ('中國製造', '中国制造')
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data[3:], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(data, "utf-16")
    try:
        return _checked(data, "utf-8")
    except DocumentError:
        pass
    # UTF-16 without BOM, GB18030 and Big5 all decode many byte strings; the
    # right one is the decoding made of common characters and no control codes
    candidates = []
    for encoding in ("gb18030", "big5hkscs") + (("utf-16-le", "utf-16-be") if len(data) % 2 == 0 else ()):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn") and ch not in "\t\n\r\f")
        if control <= len(text) // 100:
            candidates.append((_plausibility(text), encoding == "gb18030", encoding, text))
    if candidates:
        score, _, encoding, text = max(candidates)
        if score >= 0.7:
            return text
        raise DocumentError(f"not text in UTF-8, UTF-16, GB18030/GBK or Big5/Big5-HKSCS "
                            f"(best guess {encoding}: only {score:.0%} ordinary characters)")
    raise DocumentError("not text in UTF-8, UTF-16, GB18030/GBK or Big5/Big5-HKSCS (undecodable bytes)")


def _checked(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\t\n\r\f")
    if control > len(text) // 100:
        raise DocumentError(f"not text: decoding it as {encoding} gives control or private-use characters")
    return text
