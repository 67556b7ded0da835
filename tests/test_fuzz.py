"""Property-based tests (hypothesis) of the extraction cleanup and the text tools.

In the suite each property runs on a small, fixed set of examples
(``derandomize``: the same ones on every run, so CI never flakes). ``make
fuzz`` runs the same properties on random examples, many more of them
(``FUZZ_EXAMPLES``, default 2000 per property), and keeps failing examples in
.cache/hypothesis so that the next run replays them first.

Properties:

- extraction cleanup: :func:`extract.normalize_chars` maps one character to
  one and is idempotent; :func:`extract.text_to_paragraphs` keeps every
  non-space character in order (hyphens aside), its spans are its paragraphs,
  and it is a fixed point on its own output; :func:`extract.read_text_file`
  round-trips UTF-8/UTF-16 and fails on any byte string only with a
  DocumentError; :func:`extract.chars_to_lines` loses no glyph;
  :func:`extract.clean_pages` keeps every body character in order and its
  spans and page starts point into its text;
- text tools: segmentation keeps every character of each line in order;
  conversion aligns (:func:`chinese.align`) and keeps lengths where it
  promises to (:func:`chinese.to_analysis`); each tag's surface equals the
  slice of the text at its offsets, tags never overlap, and a dictionary
  alias set between full stops is found where it was put.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from conftest import ROOT
from pipeline import chinese, extract, lexicon, segment, tag
from pipeline.config import load_config
from pipeline.errors import DocumentError
from pipeline.extract.charset import COMMON_HANZI

FUZZING = bool(os.environ.get("FUZZ_EXAMPLES"))
settings.register_profile("suite", max_examples=60, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 2000), deadline=None,
                          database=DirectoryBasedExampleDatabase(str(ROOT / ".cache" / "hypothesis")),
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
PROFILE = settings(settings.get_profile("fuzz" if FUZZING else "suite"))

CONFIG = load_config(None)

# --------------------------------------------------------------------------- alphabets

HANZI = sorted(COMMON_HANZI)[:3000:7] + list("中國国製制造業业兩两化融合質质量資资訊讯機机牀床衞卫綫线乾干髮发")
CJK_PUNCT = list("，。、；：！？「」『』《》（）〔〕【】—…·\u3000")
FULLWIDTH = [chr(c) for c in range(0xFF10, 0xFF1A)] + [chr(c) for c in range(0xFF21, 0xFF3B)] + ["Ｏ", "ｆ"]
KANGXI = ["\u2f2f", "\u2f24", "\u2f08", "\u2f12", "\uf900", "\ufa0a", "\u2e8c"]
LATIN = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + list(" -.,;:()'\"/&%+#")
ALPHABET = HANZI + CJK_PUNCT + FULLWIDTH + KANGXI + LATIN

policy_text = st.text(alphabet=st.sampled_from(ALPHABET), max_size=80)
# anything Unicode can hold, but no surrogates (not text) and no line or paragraph separators
any_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x0b\x0c\x1c\x1d"
                                                                                          "\x1e\x85\u2028\u2029"),
                   max_size=60)
line = st.one_of(policy_text, any_line)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- extraction cleanup


@PROFILE
@given(line)
def test_normalize_chars_one_for_one_and_idempotent(text):
    once = extract.normalize_chars(text)
    assert len(once) == len(text)
    assert extract.normalize_chars(once) == once
    assert [a for a, b in zip(text, once) if a != b] == [a for a in text if extract.normalize_chars(a) != a]


@PROFILE
@given(st.lists(st.one_of(line, st.sampled_from(["", " ", "\u3000", "\t"])), max_size=12),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_text_to_paragraphs_keeps_characters_and_spans(lines, newline):
    raw = newline.join(lines)
    text, spans = extract.text_to_paragraphs(raw)
    paragraphs = text.split("\n\n") if text else []
    assert [text[s:e] for s, e in spans] == paragraphs
    assert all(p.strip() and "\n" not in p for p in paragraphs)
    assert squash(text).replace("-", "") == squash(extract.normalize_chars(raw)).replace("-", "")
    assert extract.text_to_paragraphs(text) == (text, spans)  # its own output is already clean


@PROFILE
@given(line, st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_read_text_file_round_trips_unicode(text, encoding):
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f" or "\x7f" <= ch < "\xa0")
    assume(controls <= len(text) // 100 and not any(0xE000 <= ord(ch) <= 0xF8FF or ord(ch) >= 0xF0000
                                                  for ch in text))
    assume(encoding != "utf-8" or not text.startswith("\ufeff"))
    assert extract.read_text_file(text.encode(encoding)) == text


@PROFILE
@given(st.binary(max_size=300))
def test_read_text_file_on_any_bytes_returns_text_or_a_document_error(data):
    try:
        text = extract.read_text_file(data)
    except DocumentError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(text, str)


@PROFILE
@given(st.lists(st.text(alphabet=st.sampled_from(HANZI + FULLWIDTH + LATIN[:62] + CJK_PUNCT[:-1]), min_size=1,
                        max_size=30), min_size=1, max_size=12),
       st.lists(st.floats(8, 20), min_size=1, max_size=3))
def test_chars_to_lines_loses_no_glyph(rows, sizes):
    # glyphs on a grid, one row each, never drawn twice at one place: nothing may be dropped
    chars, top = [], 100.0
    for k, row in enumerate(rows):
        size = sizes[k % len(sizes)]
        for i, ch in enumerate(row):
            x = 50 + i * size * 1.1
            chars.append(extract.Char(ch, x, x + size, top, top + size, size))
        top += size * 1.6
    lines = extract.chars_to_lines(chars, 595)
    assert sorted(squash("".join(line.text for line in lines))) == sorted(squash("".join(rows)))


@st.composite
def pages(draw):
    """Pages of lines in the body band only (nothing there is a header, footer or page number)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        lines, top = [], 120.0
        for _ in range(draw(st.integers(0, 8))):
            size = draw(st.sampled_from([10.0, 12.0, 12.0, 16.0]))
            x0 = draw(st.sampled_from([72.0, 72.0, 96.0]))
            text = draw(policy_text.filter(lambda t: t.strip()))
            lines.append(extract.Line(text, x0, draw(st.floats(x0 + 20, 523)), top, top + size))
            top += size * draw(st.sampled_from([1.3, 1.3, 2.2]))
        out.append(extract.Page(595.0, 842.0, tuple(lines)))
    return out


def assert_offsets_consistent(text, starts, spans, page_list):
    """Paragraph spans cut exactly the blank-line blocks; page starts are in order and inside the text."""
    assert [text[s:e] for s, e in spans] == (text.split("\n\n") if text else [])
    assert len(starts) == len(page_list) and starts == sorted(starts) and all(0 <= s <= len(text) for s in starts)


@PROFILE
@given(pages())
def test_clean_pages_keeps_body_text_in_order(page_list):
    text, starts, spans = extract.clean_pages(page_list)
    source = "".join(extract.normalize_chars(line.text) for page in page_list for line in page.lines)
    assert squash(text).replace("-", "") == squash(source).replace("-", "")
    assert_offsets_consistent(text, starts, spans, page_list)


coordinate = st.floats(0, 842, allow_nan=False)


@st.composite
def scattered_chars(draw):
    """Glyphs anywhere on the page, overlapping or not, some spaces and some (cid:N)."""
    out = []
    for _ in range(draw(st.integers(0, 120))):
        text = draw(st.sampled_from(HANZI[:40] + LATIN[:30] + [" ", "(cid:12)", "\u3000"]))
        x, top, size = draw(coordinate), draw(coordinate), draw(st.floats(0, 30))
        out.append(extract.Char(text, x, x + draw(st.floats(0, 2)) * size, top, top + size, size))
    return out


@PROFILE
@given(scattered_chars())
def test_chars_to_lines_anywhere_keeps_only_its_glyphs(chars):
    lines = extract.chars_to_lines(chars, 595)
    got = sorted(squash("".join(line.text for line in lines)))
    given_ = sorted(squash("".join(c.text for c in chars if not extract.CID.fullmatch(c.text))))
    assert not (Counter(got) - Counter(given_))  # a duplicate glyph may go, nothing may be invented


@st.composite
def pages_anywhere(draw):
    """Pages of lines anywhere, with page numbers and repeated headers among them."""
    out = []
    for number in range(1, draw(st.integers(1, 5)) + 1):
        lines = []
        for _ in range(draw(st.integers(0, 8))):
            text = draw(st.one_of(policy_text, st.sampled_from([str(number), f"— {number} —", f"第 {number} 頁",
                                                                "HEADER TEXT", f"Page {number} of 9"])))
            top, size, x0 = draw(coordinate), draw(st.floats(1, 30)), draw(st.floats(0, 500))
            lines.append(extract.Line(text, x0, x0 + draw(st.floats(0, 300)), top, top + size))
        lines.sort(key=lambda line: line.top)
        out.append(extract.Page(595.0, 842.0, tuple(lines)))
    return out


@PROFILE
@given(pages_anywhere())
def test_clean_pages_anywhere_drops_only_whole_lines(page_list):
    text, starts, spans = extract.clean_pages(page_list)
    assert_offsets_consistent(text, starts, spans, page_list)
    source = Counter(squash("".join(extract.normalize_chars(line.text) for p in page_list for line in p.lines)))
    assert not (Counter(squash(text)) - source)


# --------------------------------------------------------------------------- text tools

WORDS = lexicon.jieba_words(CONFIG)
LEXICON = lexicon.load_lexicon(CONFIG)
ALIASES = sorted({a for c in LEXICON.concepts.values() for a in (c.zh_hant, c.zh_hans, *c.aliases)})


@PROFILE
@given(line)
def test_segment_keeps_every_character_of_a_line_in_order(text):
    # what `python -m pipeline segment` prints for one line, spaces removed
    script = chinese.detect_script(text)["script"]
    tokens = [t for sentence in segment.segment_text(text, script, CONFIG, WORDS) for t in sentence]
    assert all(t and not t.isspace() for t in tokens)
    assert squash("".join(tokens)) == squash(text)


@PROFILE
@given(line, st.sampled_from(["t2s", "s2t", "hk2s", "s2hk", "tw2s", "s2twp", "tw2sp", "t2hk"]))
def test_conversion_aligns_with_the_original(text, name):
    convert_text = chinese.converter(name)
    aligned = chinese.align(text, convert_text)
    assert aligned.converted == convert_text(text)
    ob, cb = aligned.bounds()
    assert ob[0] == cb[0] == 0 and ob[-1] == len(text) and cb[-1] == len(aligned.converted)
    assert all(ob[1:] > ob[:-1]) and all(cb[1:] >= cb[:-1])
    assert len(aligned.same_length_text(convert_text)) == len(text)
    # a span of the conversion maps back to a span of the original that covers it
    for start in range(0, len(aligned.converted), 7):
        s, e = aligned.to_original(start, min(start + 3, len(aligned.converted)))
        assert 0 <= s <= e <= len(text)


@PROFILE
@given(st.lists(st.one_of(policy_text, st.sampled_from(ALIASES)), max_size=10),
       st.lists(st.sampled_from(ALIASES), min_size=1, max_size=3))
def test_tag_offsets_equal_the_surface_and_aliases_are_found(fillers, planted):
    # fillers and aliases, each alias in a paragraph of its own between full stops: where it was put,
    # a mention must start and end (in a paragraph of the other script it may not be: see docs/limits.md)
    pieces, places = [], []
    for k, filler in enumerate(fillers + [""] * len(planted)):
        pieces.append(filler)
        if k < len(planted):
            start = sum(map(len, pieces)) + 3
            pieces.append("\n\n。" + planted[k] + "。\n\n")
            places.append((start, start + len(planted[k])))
    text = "".join(pieces)
    script = chinese.detect_script(text)["script"]
    mentions = tag.tag_text(text, chinese.to_analysis(text, script, CONFIG), LEXICON)
    assert all(text[m["start"]:m["end"]] == m["surface"] for m in mentions)
    assert all(a["end"] <= b["start"] for a, b in zip(mentions, mentions[1:]))
    found = {(m["start"], m["end"]) for m in mentions}
    assert set(places) <= found, [p for p in places if p not in found]


@pytest.mark.parametrize("text", ["在「四基」方面，推進兩化融合。", "Made in China 2025 and smart manufacturing."])
def test_tag_tool_offsets_on_fixed_text(text):
    """The same property through the real command line (one fixed example each)."""
    import json

    from conftest import run_cli

    proc = run_cli("tag", input=text, check=0)
    mentions = [json.loads(line) for line in proc.stdout.splitlines()]
    assert mentions and all(text[m["start"]:m["end"]] == m["surface"] for m in mentions)
