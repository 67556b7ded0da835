"""Build the bundled sample corpus in corpus/ from the sources in tools/corpus_src/.

Run from the project root:

    python tools/make_corpus.py

It makes three files:

  corpus/mic2025-hk.pdf       from tools/corpus_src/mic2025-hk.txt
      The HKTDC research article on 《中國製造 2025》 in its original Traditional
      Chinese (Hong Kong usage), laid out like the published article: A4,
      WenQuanYi Zen Hei embedded, first-line indents, character-by-character
      wrapping with simple line-start/line-end rules for punctuation, a running
      header from page 2 on and a page number at the bottom of every page.

  corpus/mic2025-cn.txt       from tools/corpus_src/mic2025-hk.txt
      The same article converted to Simplified Chinese with OpenCC's 'hk2s'
      configuration; plain UTF-8, one block (title, heading or paragraph) per
      line group, blocks separated by one blank line, no heading markers.

  corpus/mic2025-brief-en.pdf from tools/corpus_src/mic2025-brief-en.txt
      An English policy brief on the same programme: A4, Times/Helvetica,
      justified paragraphs with end-of-line hyphenation of long words, a
      running header and "Page N of M" footers.

Source format (both .txt files): blocks separated by one blank line; a block
starting with "# " is the title, "## " a section heading, "### " a
sub-heading (used in the annex); any other block is one paragraph.  A
paragraph starting with "1. ", "2. " ... is a numbered item.

Hyphenation in the English PDF only ever happens at the break points listed in
HYPHENATION below and never at a hyphen that belongs to the word itself
("high-end" is never split there), so a line ending in "-" can always be undone by
deleting the hyphen and joining the two lines.

The PDFs are written with invariant=1, so rerunning the script gives
byte-identical files.

Needs: reportlab, opencc (the PyPI package "opencc" with the 'hk2s' config) and
the font /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc (Debian/Ubuntu package
fonts-wqy-zenhei).
"""

import os
import re
import sys

try:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
except ImportError:
    sys.exit("make_corpus.py: reportlab is required (pip install reportlab)")

try:
    import opencc
except ImportError:
    sys.exit("make_corpus.py: opencc is required (pip install opencc)")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIR = os.path.join(ROOT, "tools", "corpus_src")
OUT_DIR = os.path.join(ROOT, "corpus")

HK_SOURCE = os.path.join(SRC_DIR, "mic2025-hk.txt")
EN_SOURCE = os.path.join(SRC_DIR, "mic2025-brief-en.txt")
HK_PDF = os.path.join(OUT_DIR, "mic2025-hk.pdf")
CN_TXT = os.path.join(OUT_DIR, "mic2025-cn.txt")
EN_PDF = os.path.join(OUT_DIR, "mic2025-brief-en.pdf")

CJK_FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CJK_FONT = "WenQuanYiZenHei"

PAGE_W, PAGE_H = A4


# ---------------------------------------------------------------------------
# Reading the sources
# ---------------------------------------------------------------------------

def read_blocks(path):
    """Return the source as a list of (level, text).

    level is 1 for "# " (title), 2 for "## ", 3 for "### " and 0 for a
    paragraph.  Lines inside a block are joined with a space (the sources keep
    each paragraph on one line, so this only matters if someone rewraps them).
    """
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    blocks = []
    for chunk in re.split(r"\n\s*\n", raw.strip()):
        text = " ".join(line.strip() for line in chunk.splitlines())
        m = re.match(r"(#{1,3}) (.*)", text)
        if m:
            blocks.append((len(m.group(1)), m.group(2).strip()))
        else:
            blocks.append((0, text))
    return blocks


def split_item_label(text):
    """Split "1. 提高..." into ("1.", "提高..."); return (None, text) otherwise."""
    m = re.match(r"(\d+\.)\s+(.*)", text)
    if m:
        return m.group(1), m.group(2)
    return None, text


# ---------------------------------------------------------------------------
# Page layout shared by both PDFs
# ---------------------------------------------------------------------------

class Line:
    """One laid-out line of text, ready to draw (x is absolute, y set later)."""

    def __init__(self, text, x, font, size, char_space=0.0, word_space=0.0,
                 bold=False, color=(0, 0, 0), label=None, label_x=None):
        self.text = text
        self.x = x
        self.font = font
        self.size = size
        self.char_space = char_space
        self.word_space = word_space
        self.bold = bold            # fake bold: fill + stroke the glyph outlines
        self.color = color
        self.label = label          # e.g. the "1." of a numbered item
        self.label_x = label_x


class Block:
    """A paragraph or heading: its lines plus the vertical spacing around it."""

    def __init__(self, lines, leading, space_before=0.0, keep_with_next=False):
        self.lines = lines
        self.leading = leading
        self.space_before = space_before
        self.keep_with_next = keep_with_next


def paginate(blocks, top, bottom):
    """Flow blocks onto pages; return a list of pages, each a list of (Line, y).

    top is the y of the top of the text area and bottom its lower limit.
    Paragraphs simply continue on the next page when they run out of room, but
    a heading is kept with the first two lines of what follows it, and we
    avoid leaving a single line of a paragraph alone at the top or bottom of a
    page (widows and orphans), as a typesetter would.
    """
    pages = [[]]
    y = top
    for i, block in enumerate(blocks):
        # Room needed before we are willing to start this block on this page.
        need = block.space_before + block.leading * min(len(block.lines), 2)
        if block.keep_with_next and i + 1 < len(blocks):
            nxt = blocks[i + 1]
            need += nxt.space_before + nxt.leading * min(len(nxt.lines), 2)
        if pages[-1] and y - need < bottom:
            pages.append([])
            y = top
        if pages[-1]:               # no extra space at the top of a page
            y -= block.space_before
        n = len(block.lines)
        for j, line in enumerate(block.lines):
            left = n - j
            fits = y - block.leading >= bottom
            # Widow rule: if only one of the last two lines would fit here,
            # carry both over (unless that would leave an orphan behind).
            widow = (left == 2 and j >= 2 and y - 2 * block.leading < bottom)
            if not fits or widow:
                pages.append([])
                y = top
            y -= block.leading
            pages[-1].append((line, y))
    return pages


def draw_line(c, line, y):
    """Draw one Line on canvas c with its baseline at y."""
    # Everything set here (colours, line width, text render mode) is wrapped
    # in saveState/restoreState (PDF q/Q).  This matters for the render mode:
    # it belongs to the PDF graphics state and outlives the text object, and
    # reportlab assumes every new text object starts in mode 0, so without
    # q/Q a bold heading would leave the following paragraph bold too.
    c.saveState()
    c.setFillColorRGB(*line.color)
    c.setStrokeColorRGB(*line.color)
    if line.label:
        c.setFont(line.font, line.size)
        c.drawString(line.label_x, y, line.label)
    t = c.beginText(line.x, y)
    t.setFont(line.font, line.size)
    t.setCharSpace(line.char_space)
    t.setWordSpace(line.word_space)
    if line.bold:
        # Zen Hei has no bold face: fill *and* stroke the glyph outlines
        # (render mode 2), which thickens them without changing the text an
        # extractor sees.
        c.setLineWidth(line.size * 0.035)
        t.setTextRenderMode(2)
    t.textOut(line.text)
    c.drawText(t)
    c.restoreState()


def new_canvas(path, title, author, subject):
    # invariant=1 fixes the creation date and document id, so the output is
    # byte-identical from run to run.
    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(subject)
    c.setCreator("tools/make_corpus.py")
    return c


# ---------------------------------------------------------------------------
# Chinese: wrapping character by character
# ---------------------------------------------------------------------------

# Marks that must not begin a line, and marks that must not end one
# (the usual kinsoku rules, reduced to what this article contains).
NO_LINE_START = set("。，、；：？！」』）》〉】…%)")
NO_LINE_END = set("「『（《〈【(")


def cjk_tokens(text):
    """Split text into wrapping units.

    Every CJK character is its own unit; a run of ASCII characters ("2025",
    "46.1%", "Google", "R&D") is kept together so numbers and words are never
    broken; a space is its own unit so a line may break there.
    """
    return re.findall(r"[!-~]+|\s|.", text)


def wrap_cjk(text, font, size, first_width, width):
    """Break CJK text into lines no wider than the given widths.

    Returns a list of strings.  No spaces are inserted; spaces that fall at a
    line break are dropped.  A line never starts with closing punctuation or
    ends with opening punctuation: the offending character is moved to the next
    line together with the character before it.
    """
    def w(tok):
        return pdfmetrics.stringWidth(tok, font, size)

    lines = []
    cur = []
    cur_w = 0.0
    limit = first_width
    for tok in cjk_tokens(text):
        if tok.isspace() and not cur:
            continue                            # no space at a line start
        if cur and cur_w + w(tok) > limit + 0.01:
            carry = []
            # Pull characters down until the next line starts legally.
            while len(cur) > 1 and (carry or [tok])[0][0] in NO_LINE_START:
                carry.insert(0, cur.pop())
            # And do not leave an opening mark hanging at the line end.
            while len(cur) > 1 and cur[-1][-1] in NO_LINE_END:
                carry.insert(0, cur.pop())
            lines.append("".join(cur).rstrip())
            limit = width
            while carry and carry[0].isspace():
                carry.pop(0)
            cur = carry
            cur_w = sum(w(t) for t in cur)
            if tok.isspace() and not cur:
                continue
        cur.append(tok)
        cur_w += w(tok)
    if cur:
        lines.append("".join(cur).rstrip())
    return lines


def justify_cjk(line, font, size, width, last):
    """Return the extra space per character that makes line fill width.

    The last line of a paragraph stays ragged; so does a line that would need
    so much spreading that it would look gappy (better ragged than ugly).
    """
    if last or len(line) < 2:
        return 0.0
    slack = width - pdfmetrics.stringWidth(line, font, size)
    cs = slack / (len(line) - 1)
    return cs if 0 < cs <= size * 0.25 else 0.0


# HKTDC-like colours: black body text, dark red title and headings, grey
# furniture (running header, rules, page numbers).
HK_RED = (0.62, 0.07, 0.12)
GREY = (0.35, 0.35, 0.35)

# The body column is exactly 40 characters of 11 pt wide, so a line of pure
# CJK text fills it without any spreading.
HK_BODY_SIZE = 11.0
HK_ITEM_SIZE = 10.0             # annex items are set a little smaller
HK_COLUMN = 40 * HK_BODY_SIZE
HK_LEFT = (PAGE_W - HK_COLUMN) / 2
HK_TOP = PAGE_H - 28 * mm
HK_BOTTOM = 22 * mm
HK_RUNNING_HEADER = "香港貿發局經貿研究\u3000中國製造 2025：夯實強國夢的根基"

HK_STYLES = {
    # level: (size, leading, space before, colour)
    1: (20.0, 30.0, 0.0, HK_RED),
    2: (13.5, 22.0, 16.0, HK_RED),
    3: (11.5, 19.0, 10.0, (0, 0, 0)),
}


def hk_paragraph_block(text, size, leading, space_before):
    """Lay out one Chinese paragraph (or numbered annex item) as a Block."""
    indent = 2 * size                       # two-character first-line indent
    label, body = split_item_label(text)
    lines = []
    if label:
        # Numbered item: the number hangs in the indent, the text is aligned
        # to the right of it on every line.
        width = HK_COLUMN - indent
        wrapped = wrap_cjk(body, CJK_FONT, size, width, width)
        for k, s in enumerate(wrapped):
            cs = justify_cjk(s, CJK_FONT, size, width, k == len(wrapped) - 1)
            lines.append(Line(s, HK_LEFT + indent, CJK_FONT, size, char_space=cs,
                              label=label if k == 0 else None, label_x=HK_LEFT))
    else:
        wrapped = wrap_cjk(body, CJK_FONT, size, HK_COLUMN - indent, HK_COLUMN)
        for k, s in enumerate(wrapped):
            x = HK_LEFT + (indent if k == 0 else 0)
            width = HK_COLUMN - (indent if k == 0 else 0)
            cs = justify_cjk(s, CJK_FONT, size, width, k == len(wrapped) - 1)
            lines.append(Line(s, x, CJK_FONT, size, char_space=cs))
    return Block(lines, leading, space_before)


def hk_blocks(source):
    blocks = []
    for level, text in source:
        if level:
            size, leading, before, color = HK_STYLES[level]
            wrapped = wrap_cjk(text, CJK_FONT, size, HK_COLUMN, HK_COLUMN)
            lines = [Line(s, HK_LEFT, CJK_FONT, size, bold=True, color=color)
                     for s in wrapped]
            if level == 1:
                before = 0.0
            blocks.append(Block(lines, leading, before, keep_with_next=True))
        else:
            is_item = split_item_label(text)[0] is not None
            size = HK_ITEM_SIZE if is_item else HK_BODY_SIZE
            leading = 17.0 if is_item else 19.5
            blocks.append(hk_paragraph_block(text, size, leading,
                                             4.0 if is_item else 7.0))
    return blocks


def hk_page_header(c, page_no):
    """Running header with a thin rule, from page 2 on (page 1 has a red rule)."""
    c.setFillColorRGB(*GREY)
    c.setStrokeColorRGB(*GREY)
    if page_no == 1:
        # A heavy rule above the title, as on the first page of the original.
        c.setStrokeColorRGB(*HK_RED)
        c.setLineWidth(2.0)
        c.line(HK_LEFT, HK_TOP + 6, HK_LEFT + HK_COLUMN, HK_TOP + 6)
    else:
        c.setFont(CJK_FONT, 8.5)
        c.drawString(HK_LEFT, PAGE_H - 18 * mm, HK_RUNNING_HEADER)
        c.setLineWidth(0.4)
        c.line(HK_LEFT, PAGE_H - 18 * mm - 4, HK_LEFT + HK_COLUMN,
               PAGE_H - 18 * mm - 4)


def hk_page_footer(c, page_no):
    """Plain page number at the bottom centre of every page."""
    c.setFillColorRGB(*GREY)
    c.setFont(CJK_FONT, 9)
    c.drawCentredString(PAGE_W / 2, 13 * mm, str(page_no))


def build_hk_pdf(source, path=HK_PDF):
    pages = paginate(hk_blocks(source), HK_TOP, HK_BOTTOM)
    c = new_canvas(path, "中國製造 2025：夯實強國夢的根基",
                   "香港貿發局經貿研究", "《中國製造 2025》")
    for n, page in enumerate(pages, 1):
        # Header, body, footer: drawn in reading order so that text extractors
        # that follow the content stream see them in that order too.
        hk_page_header(c, n)
        for line, y in page:
            draw_line(c, line, y)
        hk_page_footer(c, n)
        c.showPage()
    c.save()
    return len(pages)


# ---------------------------------------------------------------------------
# Simplified Chinese text
# ---------------------------------------------------------------------------

def build_cn_txt(source):
    converter = opencc.OpenCC("hk2s")
    blocks = [converter.convert(text) for _level, text in source]
    with open(CN_TXT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(blocks) + "\n")


# ---------------------------------------------------------------------------
# English: word wrapping with hyphenation
# ---------------------------------------------------------------------------

# Allowed break points for the long words (11 letters or more) of the brief,
# following the usual dictionary syllabification.  Shorter words are never
# hyphenated.  A small explicit list keeps the output predictable and needs no
# hyphenation library.
HYPHENATION = {w.replace("-", ""): w for w in """
    agri-cul-tural bio-med-i-cine cer-ti-fi-ca-tion com-men-ta-tors
    com-pet-i-tors com-ple-ments com-pre-hen-sive con-cen-trates
    dem-on-stra-tion de-vel-op-ment do-mes-ti-cal-ly en-gi-neer-ing
    en-ter-prises en-vi-ron-men-tal gov-ern-ments im-ple-men-ta-tion
    im-pli-ca-tions in-dus-tri-al-iza-tion in-for-ma-tion in-for-ma-ti-za-tion
    in-fra-struc-ture in-stru-ments in-te-gra-tion in-tel-lec-tual
    in-ter-na-tion-al-iza-tion man-u-fac-tur-er man-u-fac-tur-ers man-u-fac-tur-ing
    mech-a-ni-za-tion mod-ern-iza-tion op-ti-miza-tion or-ga-ni-za-tion
    pre-con-di-tion re-in-forc-ing re-struc-tur-ing tech-nolo-gies
    tra-di-tion-al trans-por-ta-tion
    """.split()}

EN_BODY_FONT = "Times-Roman"
EN_BODY_SIZE = 11.0
EN_LEADING = 14.5
EN_LEFT = 26 * mm
EN_COLUMN = PAGE_W - 2 * 26 * mm
EN_TOP = PAGE_H - 28 * mm
EN_BOTTOM = 24 * mm
HYPHENATE_IF_SLACK = 9.0        # points of stretch we tolerate before hyphenating

EN_STYLES = {
    # level: (font, size, leading, space before)
    1: ("Helvetica-Bold", 20.0, 24.0, 0.0),
    2: ("Helvetica-Bold", 12.5, 16.0, 14.0),
    3: ("Helvetica-Bold", 11.0, 14.5, 10.0),
}


def hyphen_splits(word):
    """Yield (head, tail) splits of word allowed by HYPHENATION, longest head first.

    Leading/trailing punctuation stays attached to the head/tail.  A compound
    such as "re-industrialization" is never split at its own hyphen, only
    inside its last part ("re-industrial-" / "ization"), so removing a
    line-end hyphen always restores the word.
    """
    m = re.match(r"^(\W*(?:[A-Za-z]+-)*)([A-Za-z]+)(\W*)$", word)
    if not m:
        return
    pre, core, post = m.groups()
    pattern = HYPHENATION.get(core.lower())
    if not pattern:
        return
    cuts, pos = [], 0
    for piece in pattern.split("-")[:-1]:
        pos += len(piece)
        cuts.append(pos)
    for cut in reversed(cuts):
        yield pre + core[:cut] + "-", core[cut:] + post


def wrap_en(text, font, size, width, hyphenate=True):
    """Greedy word wrap; returns a list of (line, is_last_line_of_paragraph).

    When the next word does not fit and the line would have to stretch by more
    than HYPHENATE_IF_SLACK points, the word is split at the longest allowed
    break point that fits, as a justifying typesetter would do.  Two hyphenated
    lines in a row are avoided.
    """
    def w(s):
        return pdfmetrics.stringWidth(s, font, size)

    words = text.split()
    lines = []
    cur = ""
    prev_hyphenated = False
    i = 0
    while i < len(words):
        word = words[i]
        trial = word if not cur else cur + " " + word
        if w(trial) <= width or not cur:
            cur = trial
            i += 1
            continue
        # word does not fit on this line
        split = None
        if hyphenate and not prev_hyphenated and width - w(cur) > HYPHENATE_IF_SLACK:
            for head, tail in hyphen_splits(word):
                if w(cur + " " + head) <= width:
                    split = (head, tail)
                    break
        if split:
            lines.append(cur + " " + split[0])
            words[i] = split[1]         # the rest of the word starts the next line
            prev_hyphenated = True
        else:
            lines.append(cur)
            prev_hyphenated = False
        cur = ""
    if cur:
        lines.append(cur)
    return [(s, k == len(lines) - 1) for k, s in enumerate(lines)]


def en_blocks(source):
    blocks = []
    space_w = pdfmetrics.stringWidth(" ", EN_BODY_FONT, EN_BODY_SIZE)
    for level, text in source:
        if level:
            font, size, leading, before = EN_STYLES[level]
            lines = [Line(s, EN_LEFT, font, size, color=(0.05, 0.15, 0.35))
                     for s, _ in wrap_en(text, font, size, EN_COLUMN, hyphenate=False)]
            blocks.append(Block(lines, leading, before, keep_with_next=True))
            continue
        lines = []
        for s, last in wrap_en(text, EN_BODY_FONT, EN_BODY_SIZE, EN_COLUMN):
            gaps = s.count(" ")
            ws = 0.0
            if not last and gaps:
                # Justify by widening the spaces (PDF word spacing, Tw).
                ws = (EN_COLUMN - pdfmetrics.stringWidth(s, EN_BODY_FONT,
                                                         EN_BODY_SIZE)) / gaps
                if ws > 2.5 * space_w:      # hopelessly loose: leave ragged
                    ws = 0.0
            lines.append(Line(s, EN_LEFT, EN_BODY_FONT, EN_BODY_SIZE, word_space=ws))
        # Paragraphs are separated by space, not indented.
        blocks.append(Block(lines, EN_LEADING, 0.55 * EN_LEADING))
    return blocks


def en_page_header(c):
    c.setFillColorRGB(*GREY)
    c.setStrokeColorRGB(*GREY)
    c.setFont("Helvetica", 8)
    hy = PAGE_H - 16 * mm
    c.drawString(EN_LEFT, hy, "POLICY BRIEF")
    c.drawRightString(EN_LEFT + EN_COLUMN, hy, "Made in China 2025")
    c.setLineWidth(0.4)
    c.line(EN_LEFT, hy - 4, EN_LEFT + EN_COLUMN, hy - 4)


def en_page_footer(c, page_no, page_count):
    c.setFillColorRGB(*GREY)
    c.setFont("Helvetica", 8)
    c.drawCentredString(PAGE_W / 2, 13 * mm, "Page %d of %d" % (page_no, page_count))


def build_en_pdf(source, path=EN_PDF):
    # Lay everything out first: the footer needs the total page count.
    pages = paginate(en_blocks(source), EN_TOP, EN_BOTTOM)
    c = new_canvas(path, source[0][1], "Policy brief", "Made in China 2025")
    for n, page in enumerate(pages, 1):
        en_page_header(c)
        for line, y in page:
            draw_line(c, line, y)
        en_page_footer(c, n, len(pages))
        c.showPage()
    c.save()
    return len(pages)


# ---------------------------------------------------------------------------

def register_cjk_font():
    if not os.path.exists(CJK_FONT_FILE):
        sys.exit("make_corpus.py: CJK font not found: %s\n"
                 "Install it with: apt-get install fonts-wqy-zenhei"
                 % CJK_FONT_FILE)
    try:
        pdfmetrics.registerFont(TTFont(CJK_FONT, CJK_FONT_FILE, subfontIndex=0))
    except Exception as exc:
        sys.exit("make_corpus.py: cannot load %s (%s); reinstall the Debian "
                 "package fonts-wqy-zenhei" % (CJK_FONT_FILE, exc))


def main():
    register_cjk_font()
    os.makedirs(OUT_DIR, exist_ok=True)
    hk = read_blocks(HK_SOURCE)
    en = read_blocks(EN_SOURCE)
    n_hk = build_hk_pdf(hk)
    build_cn_txt(hk)
    n_en = build_en_pdf(en)
    for path, info in ((HK_PDF, "%d pages" % n_hk), (CN_TXT, "text"),
                       (EN_PDF, "%d pages" % n_en)):
        print("wrote %s (%s)" % (os.path.relpath(path, ROOT), info))


if __name__ == "__main__":
    main()
