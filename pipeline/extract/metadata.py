"""Metadata: the document number, issuing body and date of a document,
read from the text of its first page (:func:`find_metadata`).
"""

from __future__ import annotations

import re

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔［\[【（(]\s*(?:19|20)\d{2}\s*[〕］\]】）)]\s*(?:第\s*)?\d{1,5}\s*[号號]")
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
CN_DATE = re.compile(rf"((?:19|20)\d{{2}}|[〇○零一二三四五六七八九]{{4}})\s*年\s*({_NUM})\s*月\s*({_NUM})\s*日")
EN_DATE = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                     r"\s+(\d{1,2}),\s*((?:19|20)\d{2})\b")
TITLE_ISSUER = re.compile(r"^(.{2,40}?)(?:关于|關於)\S*(?:通知|意见|意見|决定|決定|办法|辦法|规定|規定|批复|批覆|通告|公告|"
                          r"规划|規劃|方案|函|报告|報告|纲要|綱要|指导意见|指導意見)$")
ORG_SUFFIX = re.compile(r"^(?:[\u4e00-\u9fff]{1,30}(?:国务院|國務院|人民政府|委员会|委員會|办公厅|辦公廳|办公室|辦公室|"
                        r"部|局|厅|廳|署|银行|銀行|总局|總局|中心|协会|協會))$")
MONTHS = ("january february march april may june july august september october november december").split()


def _cn_number(text: str) -> int:
    """'2015' -> 2015, '二〇一五' -> 2015, '十二' -> 12, '二十八' -> 28."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
    if "十" not in text:
        return int("".join(str(digits[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def find_metadata(first_page: str) -> dict:
    """Document number, issuing body and date (ISO) from the text of a first page.

    >>> find_metadata("国务院文件\\n\\n国发〔2015〕28号\\n\\n国务院关于印发《中国制造2025》的通知\\n\\n二〇一五年五月八日")
    {'document_number': '国发〔2015〕28号', 'issuer': '国务院', 'date': '2015-05-08'}
    """
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in first_page.split("\n\n") if p.strip()]
    meta = {"document_number": None, "issuer": None, "date": None}
    match = DOC_NUMBER.search(first_page)
    if match:
        meta["document_number"] = re.sub(r"\s+", "", match.group())
    for para in paragraphs:
        squeezed = para.replace(" ", "")
        if len(squeezed) <= 30 and squeezed.endswith("文件") and len(squeezed) > 2:
            meta["issuer"] = squeezed[:-2]
            break
    if meta["issuer"] is None:
        for para in paragraphs:
            title = TITLE_ISSUER.match(para.replace(" ", ""))
            if title:
                meta["issuer"] = title.group(1)
                break
    if meta["issuer"] is None:
        for para in paragraphs:
            if len(para) <= 30 and ORG_SUFFIX.match(para.replace(" ", "")):
                meta["issuer"] = para.replace(" ", "")
                break
    match = CN_DATE.search(first_page)
    if match:
        try:
            year, month, day = (_cn_number(g) for g in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                meta["date"] = f"{year:04d}-{month:02d}-{day:02d}"
        except (KeyError, ValueError):
            pass
    if meta["date"] is None:
        match = EN_DATE.search(first_page)
        if match:
            meta["date"] = f"{int(match.group(3)):04d}-{MONTHS.index(match.group(1).lower()) + 1:02d}-" \
                           f"{int(match.group(2)):02d}"
    return meta
