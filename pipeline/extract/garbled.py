"""Garbage detection: whether a page's text is garbage (:func:`garbled_reason`)
and which script a text is in (:func:`detect_script`).
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from .chars import CID

SIMPLIFIED_ONLY = frozenset("这个们国发为会对时说经过还进动实现业产关开问题应与东长书车门见认设话语请务员条准创质术标资计划区级战")
TRADITIONAL_ONLY = frozenset("這個們國發為會對時說經過還進動實現業產關開問題應與東長書車門見認設話語請務員條準創質術標資計劃區級戰")


def _expected(ch: str) -> bool:
    """Is ``ch`` from a script a Chinese or English policy document uses?"""
    code = ord(ch)
    return (code < 0x250 or 0x370 <= code < 0x400 or 0x2000 <= code < 0x2C00 or 0x2E80 <= code < 0xA000
            or 0xF900 <= code < 0xFB00 or 0xFE30 <= code < 0xFE50 or 0xFF00 <= code < 0xFFF0
            or 0x20000 <= code < 0x32000)


def garbled_reason(text: str) -> str | None:
    """Why the text of a page is garbage, or None when it looks like text.

    >>> garbled_reason("(cid:4)(cid:5)(cid:6)")
    '(cid:N) codes: a font without a Unicode map'
    >>> garbled_reason("¹ØÓÚºì¾ü×÷Õ½µÄÔ­Ôò")
    'Latin-1 mojibake: a GB-encoded font read as Latin-1'
    >>> garbled_reason("关于红军作战的原则 Page 1") is None
    True
    """
    cid = sum(len(m) for m in CID.findall(text))
    # each distinct character is looked at once; a Counter keeps them in
    # first-seen order, so the first odd one below is the first in the text
    solid = Counter(CID.sub("", text))
    for ch in [ch for ch in solid if ch.isspace()]:
        del solid[ch]
    if not solid and not cid:
        return None
    n = solid.total() + cid
    if cid > 0.1 * n:
        return "(cid:N) codes: a font without a Unicode map"
    latin1 = sum(count for ch, count in solid.items() if 0x80 <= ord(ch) <= 0xFF)
    if latin1 >= 3 and latin1 > 0.2 * n:
        return "Latin-1 mojibake: a GB-encoded font read as Latin-1"
    control = sum(count for ch, count in solid.items()
                  if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd")
    if control > 0.1 * n:
        return "control, private-use or replacement characters: a font without a usable Unicode map"
    odd = [(ch, count) for ch, count in solid.items() if not _expected(ch)]
    if sum(count for _, count in odd) > 0.3 * n:
        name = unicodedata.name(odd[0][0], "unknown").split()[0].title()
        return f"text in an unexpected script ({name})"
    return None


def detect_script(text: str) -> str | None:
    """'zh-Hans', 'zh-Hant' or 'en' from the characters of a text; None when there is too little.

    >>> detect_script("国务院关于印发的通知"), detect_script("國務院關於印發的通知"), detect_script("The State Council")
    ('zh-Hans', 'zh-Hant', 'en')
    """
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if han < 2 and latin < 8:
        return None
    if han * 3 < latin:
        return "en"
    simplified = sum(1 for ch in text if ch in SIMPLIFIED_ONLY)
    traditional = sum(1 for ch in text if ch in TRADITIONAL_ONLY)
    return "zh-Hant" if traditional > simplified else "zh-Hans"
