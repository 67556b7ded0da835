"""Web pages and Word files as governments publish them, made by code.

    webgen.gov_page(paragraphs, title=..., encoding="gbk")   -> bytes of an HTML page
    webgen.province_page(paragraphs, title=...)              -> bytes (older table layout, gb2312)
    webgen.word_file(path, paragraphs, title=..., table=...) -> writes a .docx with python-docx

:func:`gov_page` is shaped like an article page of www.gov.cn: a header with
navigation and a language switch, a breadcrumb, the article (title, a date
line, a "font size / print" bar, the body in ``#UCAP-CONTENT``), a "related
links" list and a "related articles" box (which name 中国制造2025: they must
not reach the text), a share bar, a QR code, a footer with the site's
registration numbers, and scripts. :func:`province_page` is an older
provincial site's page: nested layout tables, the policy library's header
table (标题/发文机关/发文字号/成文日期), paragraphs separated by ``<br>`` and
``&nbsp;`` indents, gb2312.
"""

from __future__ import annotations

from html import escape

# the site furniture, each line a text that must not reach the document's text
RELATED = ["《中国制造2025》解读之一：中国制造2025，开启制造强国新征程",
           "工业和信息化部解读中国制造2025重点领域技术路线图",
           "李克强主持召开国务院常务会议 部署推进中国制造2025"]
FURNITURE = ["网站地图", "当前位置", "主办单位：国务院办公厅", "京ICP备05070218号", "扫一扫在手机打开当前页",
             "【字体：大 中 小】", "相关链接", "相关稿件", "分享到", "document.write", "责任编辑", "首页", *RELATED]


def _meta(name: str, value: str, attr: str = "name") -> str:
    return f'<meta {attr}="{name}" content="{escape(value)}">'


def gov_page(paragraphs: list[str], *, title: str = "国务院关于印发《中国制造2025》的通知",
             published: str = "2015-05-19 17:29:55", encoding: str = "utf-8", date_line: bool = True,
             metas: bool = True) -> bytes:
    """An article page shaped like www.gov.cn's, encoded in ``encoding`` and
    declaring it in a ``<meta>`` tag."""
    head_metas = "\n".join([
        _meta("SiteName", "中国政府网"), _meta("SiteDomain", "www.gov.cn"), _meta("SiteIDCode", "bm01000001"),
        _meta("ColumnName", "国务院文件"), _meta("ColumnType", "政策"),
        _meta("ArticleTitle", title), _meta("PubDate", published[:16]), _meta("ContentSource", "中国政府网"),
        _meta("keywords", "中国制造2025,制造强国,智能制造"),
        _meta("description", "国务院关于印发《中国制造2025》的通知"),
        _meta("firstpublishedtime", published), _meta("lastmodifiedtime", published),
        _meta("og:title", title, "property"), _meta("og:type", "article", "property"),
    ]) if metas else ""
    body = "\n".join(f"<p style=\"text-indent: 2em;\">{escape(p)}</p>" for p in paragraphs)
    related = "\n".join(f'<li><a href="/zhengce/2015-05/{i}.htm" target="_blank">{escape(t)}</a>'
                        f'<span>2015-05-{19 + i}</span></li>' for i, t in enumerate(RELATED))
    date = (f'<div class="pages-date">发布时间：{published[:16]}<span class="font">来源：中国政府网</span>'
            f'<span class="font index_switchsize">【字体：<span>大</span> <span>中</span> <span>小</span>】</span>'
            f'<span class="font printIco">打印</span></div>') if date_line else ""
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
{head_metas}
<title>{escape(title)}_国务院文件_中国政府网</title>
<link rel="stylesheet" href="/govweb/xhtml/2016/css/common.css">
<script type="text/javascript" src="/govweb/xhtml/2016/js/jquery.min.js"></script>
<script>var _hmt = _hmt || []; document.write('<span>中国制造2025 统计代码</span>');</script>
<style>.pages_content p {{ text-indent: 2em; }}</style>
</head>
<body>
<div class="header">
  <div class="top"><a href="/">首页</a> | <a href="http://big5.www.gov.cn/">繁体</a> | <a href="http://english.www.gov.cn/">EN</a>
   | <a href="/sitemap.htm">网站地图</a> | <a href="/search">搜索</a></div>
  <ul class="nav">
    <li><a href="/">首页</a></li><li><a href="/zhuanti/">专题</a></li><li><a href="/zhengce/">政策</a></li>
    <li><a href="/hudong/">互动</a></li><li><a href="/fuwu/">服务</a></li><li><a href="/shuju/">数据</a></li>
    <li><a href="/guoqing/">国情</a></li>
  </ul>
</div>
<div class="BreadcrumbNav">当前位置：<a href="/">首页</a> &gt; <a href="/zhengce/">政策</a> &gt; <a href="/zhengce/xxgk/">国务院文件</a></div>
<div class="article oneColumn pub_border">
  <h1>{escape(title)}</h1>
  {date}
  <div class="pages_content" id="UCAP-CONTENT">
{body}
  </div>
  <div class="editor">责任编辑：王洁</div>
  <div class="share">分享到：<a class="weixin">微信</a><a class="weibo">微博</a></div>
  <div class="qrcode"><img src="qr.png" alt="二维码">扫一扫在手机打开当前页</div>
</div>
<div class="related">
  <h3>相关链接</h3>
  <ul>
{related}
  </ul>
</div>
<div class="related_news"><h3>相关稿件</h3><ul><li><a href="/xinwen/1.htm">{escape(RELATED[0])}</a></li></ul></div>
<div class="footer">
  <p><a href="/about.htm">关于本网</a> | <a href="/sitemap.htm">网站地图</a> | <a href="/contact.htm">联系我们</a></p>
  <p>主办单位：国务院办公厅　运行维护单位：中国政府网运行中心</p>
  <p>版权所有：中国政府网　中文域名：中国政府网.政务　网站标识码bm01000001　京ICP备05070218号　京公网安备11010202000001号</p>
</div>
<script type="text/javascript">$(function(){{ $('.index_switchsize span').click(function(){{}}); }});</script>
</body>
</html>
"""
    return page.encode("gb18030" if encoding.lower() in ("gb2312", "gbk") else encoding)


def province_page(paragraphs: list[str], *, title: str = "省人民政府关于贯彻落实《中国制造2025》的实施意见",
                  number: str = "粤府〔2015〕69号", date: str = "2015年7月30日", encoding: str = "gb2312") -> bytes:
    """An older provincial government page: layout tables, the policy
    library's header table, ``<br>``-separated paragraphs, no ``<meta>``
    title or date, gb2312."""
    nbsp = "&nbsp;" * 4
    body = "<br>\n".join(f"{nbsp}{escape(p)}" for p in paragraphs)
    links = "".join(f'<tr><td class="list"><a href="../{i}.html">·{escape(t)}</a></td></tr>' for i, t in enumerate(RELATED))
    page = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<title>{escape(title)}</title>
<script language="javascript" src="/js/common.js"></script>
</head>
<body topmargin="0">
<table width="1000" align="center"><tr><td><img src="/images/banner.jpg"></td></tr>
<tr><td class="nav"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/zcwj/">政策文件</a> | <a href="/hdjl/">互动交流</a></td></tr></table>
<table width="1000" align="center"><tr>
<td width="250" valign="top"><table><tr><td class="tit">相关链接</td></tr>{links}</table></td>
<td width="750" valign="top">
 <table><tr><td class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zcwj/">政策文件</a></td></tr></table>
 <table class="xxgk" width="100%" border="1">
  <tr><td>索引号：</td><td>006939748/2015-00158</td><td>分类：</td><td>工业、交通</td></tr>
  <tr><td>发文机关：</td><td>省人民政府</td><td>成文日期：</td><td>{date}</td></tr>
  <tr><td>标题：</td><td colspan="3">{escape(title)}</td></tr>
  <tr><td>文号：</td><td>{number}</td><td>发布日期：</td><td>{date}</td></tr>
 </table>
 <table width="100%"><tr><td class="bt" align="center"><b>{escape(title)}</b></td></tr>
 <tr><td id="zoom" class="content">
{body}
 </td></tr></table>
 <table><tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr></table>
</td></tr></table>
<table width="1000" align="center"><tr><td class="footer">主办单位：国务院办公厅 网站标识码4400000064 京ICP备05070218号</td></tr></table>
</body>
</html>
"""
    # sites that declare gb2312 serve GBK (characters outside GB2312, such as ·
    # and 「」): the bytes are GB18030, the superset of both
    return page.encode("gb18030" if encoding.lower() in ("gb2312", "gbk") else encoding)


def word_file(path, paragraphs: list[str], *, title: str = "国务院关于印发《中国制造2025》的通知",
              created=None, header: str = "国务院文件 国发〔2015〕28号", footer: str = "— 1 —",
              table: list[list[str]] | None = None, table_after: int = 1):
    """A .docx made with python-docx: a running header and footer, the
    paragraphs, a table after paragraph ``table_after``, core properties
    title and created. Returns ``path``."""
    import datetime

    import docx

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = header
    section.footer.paragraphs[0].text = footer
    for i, text in enumerate(paragraphs):
        document.add_paragraph(text)
        if table and i + 1 == table_after:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
    document.core_properties.title = title
    document.core_properties.created = created or datetime.datetime(2015, 5, 8, 9, 0, 0)
    document.core_properties.modified = datetime.datetime(2015, 5, 8, 9, 0, 0)
    document.core_properties.last_modified_by = ""
    document.core_properties.author = ""
    document.save(path if hasattr(path, "write") else str(path))
    return path
