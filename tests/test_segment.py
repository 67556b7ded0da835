"""Segmentation: script invariance on the bundled article, every dictionary
alias as one token, offsets through length-changing conversions, English
through spaCy, sentences, stopwords, the `segment` text tool and the stage's
outputs."""

import json
import re

import pytest

from conftest import ROOT, run_cli
from pipeline import language, segment
from pipeline.chinese import detect_script
from pipeline.config import Config, ConvertConfig
from pipeline.lexicon import jieba_words, load_lexicon

CONFIG = Config()
WORDS = jieba_words(CONFIG)
# A carrier whose characters are the same in both scripts, so the alias alone
# decides the script of the sentence.
CARRIER = "提出{}的要求。"


def boundaries(sentences):
    """Token lengths of each sentence: equal lists mean equal cuts."""
    return [[len(t) for t in tokens] for tokens in sentences]


def test_script_invariance_on_the_bundled_article():
    """The Traditional article and its Simplified conversion (corpus/mic2025-cn.txt
    is hk2s of it) are cut at the same places in every sentence."""
    source = (ROOT / "tools/corpus_src/mic2025-hk.txt").read_text(encoding="utf-8")
    hant = re.sub(r"(?m)^#{1,3} ", "", source)  # headings are marked up as in Markdown
    hans = (ROOT / "corpus/mic2025-cn.txt").read_text(encoding="utf-8")
    assert detect_script(hant)["script"] == "zh-Hant" and detect_script(hans)["script"] == "zh-Hans"
    a = segment.segment_text(hant, "zh-Hant", CONFIG, WORDS)
    b = segment.segment_text(hans, "zh-Hans", CONFIG, WORDS)
    assert len(a) == len(b) > 100
    different = [(x, y) for x, y in zip(a, b) if boundaries([x]) != boundaries([y])]
    assert different == []
    # and the tokens are in each text's own script
    assert "".join(t for s in a for t in s) == "".join(hant.split())


def chinese_aliases():
    out = []
    for concept in load_lexicon(CONFIG).concepts.values():
        for alias in dict.fromkeys((concept.zh_hant, concept.zh_hans, *concept.aliases)):
            out.append(pytest.param(concept.id, alias, id=f"{concept.id}:{alias}"))
    return out


@pytest.mark.parametrize("concept_id, alias", chinese_aliases())
def test_every_alias_is_one_token_in_a_carrier_sentence(concept_id, alias):
    tokens = [t for s in segment.segment_text(CARRIER.format(alias), None, CONFIG, WORDS) for t in s]
    if not language.JIEBA_WORD_CHARS.fullmatch(alias):
        # Known exception: jieba cuts text at brackets, spaces and punctuation
        # before it looks words up (核心基础零部件（元器件）, 中国制造 2025), so such
        # an alias is several tokens; the tag stage still finds it in the text.
        assert alias not in tokens and alias.replace(" ", "") in "".join(tokens)
    else:
        assert alias in tokens, tokens


def test_tokens_map_back_through_a_length_changing_conversion():
    """tw2sp turns 隨身碟 into U盘 (3 characters into 2): jieba cuts the
    analysis text and the tokens are still the original characters."""
    config = Config(convert=ConvertConfig(traditional_to_simplified="tw2sp"))
    text = "我買了隨身碟和滑鼠，又買了軟體。"
    [paragraph] = segment.analyse(text, "zh-Hant", config)
    tokens = [t.text for t in paragraph.doc]
    assert "".join(tokens) == text
    assert "隨身碟" in tokens
    assert {t.text: t.norm_ for t in paragraph.doc}["隨身碟"] == "U盘"
    assert paragraph.doc.text == text


def test_traditional_tokens_carry_their_simplified_form_as_norm():
    [paragraph] = segment.analyse("推進兩化融合，發展智慧製造。", "zh-Hant", CONFIG, WORDS)
    pairs = [(t.text, t.norm_) for t in paragraph.doc]
    assert ("兩化融合", "两化融合") in pairs and ("智慧製造", "智慧制造") in pairs
    assert [t.text for t in paragraph.doc if segment.is_word(t)] == ["推進", "兩化融合", "發展", "智慧製造"]


def test_english_goes_through_spacy_with_sentences_and_lemmas():
    text = ('Chinese commentators call it a "two-way squeeze". The four basics are key technologies. '
            "Industries adopted new processes, e.g. smart manufacturing.")
    [paragraph] = segment.analyse(text, None, CONFIG)
    sentences = [text[s:e] for s, e in paragraph.sentence_spans()]
    assert sentences == ['Chinese commentators call it a "two-way squeeze".',
                         "The four basics are key technologies.",
                         "Industries adopted new processes, e.g. smart manufacturing."]
    lemmas = {t.text: t.lemma_ for t in paragraph.doc}
    assert (lemmas["technologies"], lemmas["Industries"], lemmas["adopted"]) == ("technology", "industry", "adopt")
    assert not any(segment.is_word(t) for t in paragraph.doc if t.text in {'"', ".", ",", "-"})
    keywords = [t.text for t in paragraph.doc if segment.is_keyword(t)]
    assert "The" not in keywords and "technologies" in keywords


@pytest.mark.parametrize("paragraph, expected", [
    ("推進兩化融合。發展「四基」！是嗎？好；", ["推進兩化融合。", "發展「四基」！", "是嗎？", "好；"]),
    ("他說：「堅持創新驅動。」然後呢？", ["他說：「堅持創新驅動。」", "然後呢？"]),
    ("（見附件。）下一句。", ["（見附件。）", "下一句。"]),
])
def test_chinese_sentences_end_with_closing_quotes_and_brackets(paragraph, expected):
    assert [paragraph[s:e] for s, e in segment.split_sentences(paragraph)] == expected


def test_stopwords_cover_both_scripts_and_english():
    zh, en = language.stopwords("zh"), language.stopwords("en")
    assert {"的", "这些", "這些", "因為", "因为"} <= zh and {"the", "and", "of"} <= en
    [paragraph] = segment.analyse("這些是關鍵的技術。", "zh-Hant", CONFIG, WORDS)
    assert [t.text for t in paragraph.doc if segment.is_keyword(t)] == ["關鍵", "技術"]


def test_segment_tool_one_line_per_input_line_in_the_input_script():
    lines = ["推進兩化融合，發展智慧製造。", "推进两化融合，发展智能制造。", "", "Made in China 2025 names ten sectors.",
             "核心基礎零部件（元器件）和 2025 年。再來一句！"]
    proc = run_cli("segment", "-", input="\n".join(lines) + "\n", check=0)
    out = proc.stdout.split("\n")[:-1]
    assert len(out) == len(lines)
    for line, tokens in zip(lines, out):
        assert "  " not in tokens
        assert tokens.replace(" ", "") == line.replace(" ", "")  # the characters unchanged
    assert out[0] == "推進 兩化融合 ， 發展 智慧製造 。"
    assert out[1] == "推进 两化融合 ， 发展 智能制造 。"


def test_segment_stage_outputs(built):
    text = (built / "text/mic2025-hk.txt").read_text(encoding="utf-8")
    state = json.loads((built / ".state/segment/mic2025-hk.json").read_text(encoding="utf-8"))
    lines = (built / "segmented/mic2025-hk.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(state["sentences"])
    for (s, e), line in zip(state["sentences"], lines):
        assert line.replace(" ", "") == text[s:e].replace(" ", "")
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    record = manifest["documents"]["mic2025-hk"]["stages"]["segment"]
    assert record["sentences"] == len(lines) and 0 < record["words"] < record["tokens"]


def test_lemminflect_has_no_entry_without_an_ascii_letter():
    """lemma() returns 中 or 2025 as they are without loading lemminflect's tables
    (Chinese text must not pay ~0.3 s for them): right only while no entry of
    those tables lacks an ASCII letter. Pin it, so an upgrade that adds one fails here."""
    from lemminflect.core.Lemmatizer import Lemmatizer

    lemmatizer = Lemmatizer()
    entries = set(lemmatizer._getLemmaDict()) | set(lemmatizer._getOverridesDict())
    assert len(entries) > 10_000
    assert [w for w in entries if not language.LATIN.search(w)] == []
    assert language.lemma("製造") == "製造" and language.lemma("Ｍａｄｅ") == "ｍａｄｅ"


def test_lemma_table_answers_as_lemminflect_does(tmp_path):
    """The pickled table that lemma() reads gives lemminflect's own answer
    for every word of its tables, whether just built or loaded by a later process."""
    from lemminflect.core.Lemmatizer import Lemmatizer

    built = language.lemma_table.__wrapped__(str(tmp_path))
    loaded = language.lemma_table.__wrapped__(str(tmp_path))
    assert loaded == built and len(list(tmp_path.glob("lemmas-*.pickle"))) == 1
    lemmatizer = Lemmatizer()
    words = {w.lower() for w in (*lemmatizer._getLemmaDict(), *lemmatizer._getOverridesDict())}
    words |= {"industrialization", "informatization", "zzzq"}
    assert [w for w in sorted(words) if loaded.get(w, w) != language.lemminflect_lemma(w)] == []
    assert 10_000 < len(loaded) < len(words)
    assert (loaded["technologies"], loaded["made"], loaded.get("zzzq")) == ("technology", "make", None)


@pytest.mark.parametrize("text, script", [
    ("推進兩化融合，發展智慧製造。 Made in China 2025 names ten sectors. The  end！下一句「四基」！ ", "zh-Hant"),
    ('Industries  adopted new processes, e.g. "smart manufacturing".\tThe  end. ', None),
])
def test_paragraph_columns_agree_with_the_tokens(text, script):
    """Paragraph reads its tokens through arrays (fast); the answers are those of spaCy's Token objects."""
    for p in segment.analyse(text, script, CONFIG, WORDS):
        doc = p.doc
        assert p.sentence_tokens() == [[t.text for t in doc[i:j] if not t.is_space] for i, j in p.sentences]
        assert p.counts() == (sum(not t.is_space for t in doc), sum(segment.is_word(t) for t in doc))
        spans = [(doc[i:j].start_char, doc[i:j].end_char) for i, j in p.sentences]
        assert p.sentence_spans() == [(p.start + s, p.start + e) for s, e in (segment._trim(doc.text, *x) for x in spans)]
        assert doc.text == text[p.start:p.start + len(doc.text)]
        if not language.HAN.search(doc.text):  # English: norm is the lower case, lemma that of lemma()
            assert all((t.norm_, t.lemma_) == (t.lower_, language.lemma(t.text)) for t in doc if t.is_alpha)


def test_cached_tokenizer_equals_a_freshly_built_one(tmp_path):
    # the first call builds the prefix dictionary with jieba and pickles it;
    # the next (a new worker process) loads the pickle: both must cut alike
    words = jieba_words(Config())
    built = segment.tokenizer.__wrapped__(str(tmp_path), words, True)
    (cached,) = tmp_path.glob("jieba-*.pickle")
    loaded = segment.tokenizer.__wrapped__(str(tmp_path), words, True)
    assert loaded.FREQ == built.FREQ and loaded.total == built.total
    text = (ROOT / "corpus" / "mic2025-cn.txt").read_text(encoding="utf-8")[:3000]
    assert loaded.lcut(text) == built.lcut(text)
    other = segment.tokenizer.__wrapped__(str(tmp_path), words[:-1], True)  # another dictionary: its own file
    assert len(list(tmp_path.glob("jieba-*.pickle"))) == 2 and other.total != built.total
    cached.write_bytes(b"not a pickle")  # a damaged cache is rebuilt, not an error
    assert segment.tokenizer.__wrapped__(str(tmp_path), words, True).FREQ == built.FREQ


def test_chinese_vocab_is_that_of_a_blank_chinese_pipeline():
    """segment._vocab skips building spacy.blank("zh")'s tokenizer; its words
    must get the same lexical attributes as in the blank pipeline's vocabulary."""
    import spacy
    from spacy.tokens import Doc

    words = ["推進", "兩化融合", "，", "2025", "年", "的", "我們", "Made", "in", "China", "三", "％", "——"]
    blank = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}}).vocab

    def attributes(vocab):
        return [(t.is_stop, t.like_num, t.is_punct, t.is_alpha, t.is_digit, t.norm_, t.shape_, t.lang_)
                for t in Doc(vocab, words=words, spaces=[False] * len(words))]

    assert attributes(segment._vocab()) == attributes(blank)
    assert sum(a[0] for a in attributes(blank)) >= 2  # stop words are in play (的, 我們 or ，)
