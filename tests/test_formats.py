"""Web pages and Word files as governments publish them (issue 18), through
the real command line: the article's text without the site's furniture,
the page's title and date, a Word file's paragraphs and tables without its
running header, the same tags whatever the format, formats that are not
read failing one line each, hostile files failing alone."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter

import pytest

import webgen
from conftest import run_cli
from pipeline.extract.docx import read_docx
from pipeline.extract.html import block_text, decode_html, read_html

# a policy text that never names 中国制造2025: the related-links lists of the
# pages do, so any mention of it comes from the site's furniture
POLICY = [
    "关于加快推进智能制造发展的实施意见",
    "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
    "为加快推进智能制造，推动新一代信息技术与制造业深度融合，发展工业互联网，现提出以下意见。",
    "一、总体要求。坚持创新驱动、质量为先、绿色发展、结构优化、人才为本的基本方针，推行绿色制造。",
    "二、重点任务。实施工业强基工程，发展高档数控机床和机器人、航空航天装备和节能与新能源汽车，推动服务型制造。",
    "三、保障措施。加强云计算、大数据和物联网等基础设施建设，完善财税和金融政策。",
]
BUDGETS = ("--set", "extract.timeout_seconds=30", "--set", "extract.memory_mb=512")


def _run(tmp_path, files: dict, *options):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, data in files.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(data):
            data(path)
        else:
            path.write_bytes(data)
    out = tmp_path / "out"
    proc = run_cli("run", "--corpus", corpus, "--outputs", out, "--quiet", *BUDGETS, *options)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return proc, out, manifest["documents"]


def _tags(out, doc):
    return [(m["concept"], m["surface"], m["start"], m["end"], m["paragraph"])
            for m in map(json.loads, (out / "tags" / f"{doc}.jsonl").read_text(encoding="utf-8").splitlines())]


def test_gov_page_article_only_with_title_and_date(tmp_path):
    files = {"gov.html": webgen.gov_page(POLICY), "gbk/gov.htm": webgen.gov_page(POLICY, encoding="gbk"),
             "province.html": webgen.province_page(POLICY),
             "nometa.html": webgen.gov_page(POLICY, metas=False, published="2016-08-01 10:00:00")}
    proc, out, docs = _run(tmp_path, files)
    assert proc.returncode == 0, proc.stderr
    expected = "\n\n".join(POLICY) + "\n"
    text = (out / "text" / "gov.txt").read_text(encoding="utf-8")
    assert text == expected
    assert (out / "text" / "gbk" / "gov.txt").read_text(encoding="utf-8") == expected
    assert (out / "text" / "nometa.txt").read_text(encoding="utf-8") == expected
    province = (out / "text" / "province.txt").read_text(encoding="utf-8")
    assert province.endswith(expected)  # after the policy library's header table, its rows as lines
    assert "发文机关：\t省人民政府\t成文日期：\t2015年7月30日" in province
    for doc in ("gov", "gbk/gov", "province", "nometa"):
        body = (out / "text" / f"{doc}.txt").read_text(encoding="utf-8")
        leaked = [f for f in webgen.FURNITURE if f in body]
        assert not leaked, (doc, leaked)
        assert "中国制造2025" not in body.replace("《中国制造2025》的实施意见", "")  # the province's own title names it
        assert docs[doc]["stages"]["extract"]["engine"] == "html"
    assert "mic2025" not in {c for c, *_ in _tags(out, "gov")}
    meta = {doc: docs[doc]["stages"]["extract"]["metadata"] for doc in ("gov", "gbk/gov", "province", "nometa")}
    assert meta["gov"] == meta["gbk/gov"] == {"title": "国务院关于印发《中国制造2025》的通知", "date": "2015-05-19",
                                              "issuer": None, "document_number": None}
    # no <meta>: the title from <h1>, the date from the page's date line "发布时间：2016-08-01 10:00"
    assert meta["nometa"]["title"] == "国务院关于印发《中国制造2025》的通知"
    assert meta["nometa"]["date"] == "2016-08-01"
    assert meta["province"] == {"title": "省人民政府关于贯彻落实《中国制造2025》的实施意见", "date": "2015-07-30",
                                "issuer": "省人民政府", "document_number": "粤府〔2015〕69号"}


def test_word_file_paragraphs_tables_no_header(tmp_path):
    table = [["重点领域", "2020年目标", "2025年目标"], ["工业互联网", "初步建成", "全面建成"]]
    make = lambda path: webgen.word_file(path, POLICY, table=table, table_after=3,  # noqa: E731
                                         header="国务院文件 国发〔2015〕28号 智能制造", footer="— 1 —")
    proc, out, docs = _run(tmp_path, {"word.docx": make})
    assert proc.returncode == 0, proc.stderr
    text = (out / "text" / "word.txt").read_text(encoding="utf-8")
    rows = ["重点领域\t2020年目标\t2025年目标", "工业互联网\t初步建成\t全面建成"]
    assert text == "\n\n".join(POLICY[:3] + rows + POLICY[3:]) + "\n"
    assert "国发〔2015〕28号" not in text and "— 1 —" not in text
    extract = docs["word"]["stages"]["extract"]
    assert extract["engine"] == "docx"
    # the title from the core properties; no date in the text, so the file's creation date
    assert extract["metadata"] == {"title": "国务院关于印发《中国制造2025》的通知", "date": "2015-05-08",
                                   "issuer": None, "document_number": None}
    assert [p for p in _tags(out, "word") if p[1] == "工业互联网"][-1][4] == 4  # the table's row is paragraph 4


def test_same_text_same_tags_in_every_format(tmp_path):
    signed = POLICY + ["国务院", "2015年5月8日"]
    files = {"a.txt": ("\n\n".join(signed) + "\n").encode("utf-8"), "b.html": webgen.gov_page(signed),
             "c.htm": webgen.gov_page(signed, encoding="gbk"), "d.docx": lambda p: webgen.word_file(p, signed)}
    proc, out, docs = _run(tmp_path, files)
    assert proc.returncode == 0, proc.stderr
    texts = {d: (out / "text" / f"{d}.txt").read_bytes() for d in "abcd"}
    assert len(set(texts.values())) == 1
    tags = {d: _tags(out, d) for d in "abcd"}
    assert tags["a"] and all(tags[d] == tags["a"] for d in "bcd")
    counts = {d: Counter(c for c, *_ in tags[d]) for d in "abcd"}
    assert all(counts[d] == counts["a"] for d in "bcd")
    per_doc = {d: (docs[d]["stages"]["tag"].get("mentions"), docs[d]["stages"]["tag"].get("concepts")) for d in "abcd"}
    assert len(set(per_doc.values())) == 1, per_doc
    segmented = {d: (out / "segmented" / f"{d}.txt").read_bytes() for d in "abcd"}
    assert len(set(segmented.values())) == 1


def test_formats_not_read_fail_one_line_each(tmp_path):
    files = {"old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "wps/notice.wps": b"\xd0\xcf\x11\xe0" + b"\0" * 60,
             "e-gov.OFD": b"PK\x03\x04", "sheet.xls": b"\xd0\xcf\x11\xe0", "ok.txt": "智能制造。\n".encode(),
             "renamed.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504}
    proc, out, docs = _run(tmp_path, files)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("failed:")]
    assert sorted(lines) == sorted([
        "failed: e-gov.OFD: OFD (.ofd, the fixed-layout format of Chinese e-government) is not read: export it as PDF",
        "failed: old.doc: Word 97-2003 (.doc) is not read: save it as .docx or PDF",
        "failed: sheet.xls: Excel 97-2003 (.xls) is not read: save the text as .docx, PDF or .txt",
        "failed: wps/notice.wps: WPS Writer (.wps) is not read: save it as .docx or PDF",
        "failed: renamed: extract: not a .docx file: not a ZIP archive (a Word 97-2003 .doc renamed? save it as .docx)",
    ]), proc.stderr
    assert "Traceback" not in proc.stderr
    assert docs["ok"]["status"] == "ok" and docs["old.doc"]["status"] == "failed"


def _zip_bomb(path):
    """A .docx whose document.xml inflates to 2 GB of one paragraph."""
    good = io.BytesIO()
    webgen.word_file(good, ["智能制造"])
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            if item.filename == "word/document.xml":
                with bomb.open("word/document.xml", "w", force_zip64=True) as handle:
                    head = source.read(item).split(b"<w:body>")[0] + b"<w:body><w:p><w:r><w:t>"
                    handle.write(head)
                    chunk = "智".encode() * (1 << 20)
                    for _ in range(680):
                        handle.write(chunk)
                    handle.write(b"</w:t></w:r></w:p></w:body></w:document>")
            else:
                bomb.writestr(item, source.read(item))


def test_hostile_page_and_zip_bomb_fail_alone(tmp_path):
    deep = b"<html><body>" + b"<div>" * 200000 + "智能制造".encode() + b"</div>" * 200000 + b"</body></html>"
    files = {"bomb.docx": _zip_bomb, "deep.html": deep, "good.html": webgen.gov_page(POLICY),
             "empty.html": b"<html><head><title>x</title></head><body>   </body></html>"}
    proc, out, docs = _run(tmp_path, files)
    assert proc.returncode == 1
    assert docs["good"]["status"] == "ok"
    assert (out / "text" / "good.txt").read_text(encoding="utf-8") == "\n\n".join(POLICY) + "\n"
    assert docs["bomb"]["reason"].startswith("extract: reading the Word file needed more than the memory cap of 512 MB")
    assert docs["empty"]["reason"] == "extract: no extractable text"
    assert docs["deep"]["status"] in ("ok", "failed")  # either way, alone and within its budget
    assert "Traceback" not in proc.stderr


def test_pure_readers():
    assert decode_html('<meta http-equiv="Content-Type" content="text/html; charset=GB2312"><p>「制造」</p>'
                       .encode("gb18030")).endswith("「制造」</p>")
    assert decode_html("<p>中國製造</p>".encode("big5")) == "<p>中國製造</p>"  # no declaration: detected
    assert decode_html('<meta charset="utf-8"><p>中国</p>'.encode("gbk")).endswith("中国</p>")  # wrong declaration
    text, meta, fallback = read_html(webgen.gov_page(POLICY[:2]))
    assert text.split("\n\n") == POLICY[:2] and meta["date"] == "2015-05-19" and fallback == {}
    import lxml.html
    assert block_text(lxml.html.fromstring("<div>甲<br>乙<ul><li>丙</li><li>丁</li></ul></div>")) == "甲\n\n乙\n\n丙\n\n丁"
    data = io.BytesIO()
    webgen.word_file(data, ["第一段", "第二段"], table=[["甲", "乙"]], title="")
    text, meta, fallback = read_docx(data.getvalue())
    assert text == "第一段\n\n甲\t乙\n\n第二段" and meta == {"title": None} and fallback == {"date": "2015-05-08"}
