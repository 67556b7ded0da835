"""Tagging: offsets point into the clean text, scripts fold together, and
the dictionary loader rejects bad entries with file and line."""

import json
from collections import Counter

import pytest

from pipeline import language
from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.lexicon import build_lexicon, load_lexicon, parse_lexicon
from pipeline.tag import tag_text


def mentions(outputs, doc):
    lines = (outputs / f"tags/{doc}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("doc", ["mic2025-hk", "mic2025-cn", "mic2025-brief-en"])
def test_surface_is_the_text_slice(built, doc):
    text = (built / f"text/{doc}.txt").read_text(encoding="utf-8")
    found = mentions(built, doc)
    assert found
    for m in found:
        assert text[m["start"]:m["end"]] == m["surface"]
        assert set(m) == {"concept", "surface", "start", "end", "paragraph", "sentence", "page"}


def test_traditional_and_simplified_give_the_same_counts(built):
    hk = Counter(m["concept"] for m in mentions(built, "mic2025-hk"))
    cn = Counter(m["concept"] for m in mentions(built, "mic2025-cn"))
    assert hk == cn


def test_english_brief_names_the_same_core_concepts(built):
    en = {m["concept"] for m in mentions(built, "mic2025-brief-en")}
    hk = {m["concept"] for m in mentions(built, "mic2025-hk")}
    core = {"mic2025", "four_foundations", "informatisation_industrialisation_integration", "three_step_strategy",
            "smart_manufacturing", "new_materials", "industrial_internet", "internet_plus"}
    assert core <= en and core <= hk


def test_builtin_dictionary_loads():
    lexicon = load_lexicon(Config())
    assert len(lexicon.concepts) >= 60
    assert {"four_foundations", "informatisation_industrialisation_integration"} <= set(lexicon.concepts)


ENTRY = '''
[[concept]]
id = "{id}"
category = "companion"
parent = "{parent}"
zh_hant = "{label}"
zh_hans = "{label}"
en = "{en}"
'''


def test_duplicate_id_names_file_and_line():
    text = ENTRY.format(id="a", parent="", label="甲", en="a") + ENTRY.format(id="a", parent="", label="乙", en="b")
    concepts = parse_lexicon(text, "mine.toml")
    with pytest.raises(ConfigError) as err:
        from pipeline.lexicon import _check_unique_ids
        _check_unique_ids(concepts)
    assert "mine.toml" in str(err.value) and "duplicate" in str(err.value)


def test_alias_claimed_twice_and_missing_parent():
    two = ENTRY.format(id="a", parent="", label="智能製造", en="a") + ENTRY.format(id="b", parent="", label="智能制造",
                                                                                en="b")
    with pytest.raises(ConfigError, match="already an alias of 'a'"):
        build_lexicon(parse_lexicon(two, "x.toml"))
    orphan = ENTRY.format(id="a", parent="nobody", label="甲", en="a")
    with pytest.raises(ConfigError, match="x.toml:2: a parent: no concept with id 'nobody'"):
        build_lexicon(parse_lexicon(orphan, "x.toml"))


# --- gold annotations: every mention of every concept, marked by a reader ------------------------------------------

GOLD_DOCS = ["mic2025-hk", "mic2025-cn", "mic2025-brief-en"]


def gold(text: str, doc: str) -> list[tuple[int, int, str]]:
    """(start, end, concept) of the hand-made annotations of ``doc`` (tests/gold/README.md):
    each is a surface and the index of its occurrence among the non-overlapping
    occurrences of that surface in text/<doc>.txt."""
    import re

    from conftest import ROOT

    out = []
    for line in (ROOT / "tests" / "gold" / f"{doc}.jsonl").read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        found = list(re.finditer(re.escape(g["surface"]), text))
        assert g["occurrence"] < len(found), f"{doc}: gold surface {g['surface']!r} #{g['occurrence']} not in the text"
        out.append((found[g["occurrence"]].start(), found[g["occurrence"]].end(), g["concept"]))
    return out


def agreement(gold_spans, found_spans) -> tuple[int, list, list]:
    """(true positives, false positives, false negatives): a found mention
    matches one gold mention of the same concept whose span overlaps it."""
    used, false_pos = set(), []
    for f in found_spans:
        k = next((k for k, g in enumerate(gold_spans)
                  if k not in used and g[2] == f[2] and g[0] < f[1] and f[0] < g[1]), None)
        if k is None:
            false_pos.append(f)
        else:
            used.add(k)
    return len(used), false_pos, [g for k, g in enumerate(gold_spans) if k not in used]


@pytest.mark.parametrize("doc", GOLD_DOCS)
def test_precision_and_recall_against_gold(built, doc):
    text = (built / f"text/{doc}.txt").read_text(encoding="utf-8")
    expected = gold(text, doc)
    found = [(m["start"], m["end"], m["concept"]) for m in mentions(built, doc)]
    tp, false_pos, false_neg = agreement(expected, found)
    precision, recall = tp / len(found), tp / len(expected)
    detail = [f"FP {text[s:e]} {c}" for s, e, c in false_pos] + [f"FN {text[s:e]} {c}" for s, e, c in false_neg]
    assert precision >= 0.99 and recall >= 0.99, (precision, recall, detail)


def test_gold_spans_are_exact_where_the_surface_is_a_term(built):
    """Beyond overlap: at least 98% of the found mentions have exactly the gold span."""
    for doc in GOLD_DOCS:
        text = (built / f"text/{doc}.txt").read_text(encoding="utf-8")
        spans = {(s, e, c) for s, e, c in gold(text, doc)}
        found = [(m["start"], m["end"], m["concept"]) for m in mentions(built, doc)]
        assert sum(f in spans for f in found) >= 0.98 * len(found), doc


# --- script invariance -----------------------------------------------------------------------------------------------

def _counts(text: str, config=None) -> Counter:
    from pipeline import segment, tag
    from pipeline.chinese import detect_script, to_analysis

    config = config or Config()
    script = detect_script(text)["script"]
    lexicon = load_lexicon(config)
    bounds = language.token_boundaries(text, segment.sentences_with_tokens(text, script, config, lexicon.words))
    return Counter(m["concept"] for m in tag.tag_text(text, to_analysis(text, script, config), lexicon,
                                                       bounds))


@pytest.mark.parametrize("source, opencc", [("mic2025-hk", "hk2s"), ("mic2025-hk", "t2s"),
                                            ("mic2025-cn", "s2hk"), ("mic2025-cn", "s2tw"), ("mic2025-cn", "s2t")])
def test_opencc_conversion_gives_the_same_concept_counts(built, source, opencc):
    from pipeline.chinese import converter

    text = (built / f"text/{source}.txt").read_text(encoding="utf-8")
    original = _counts(text)
    assert sum(original.values()) > 100
    assert _counts(converter(opencc)(text)) == original


@pytest.mark.parametrize("text, expected", [
    ("推進「兩」化的深度融合", ["informatisation_industrialisation_integration"]),  # quotes stepped over
    ("中國製造 2025 與中國製造2025", ["mic2025", "mic2025"]),                    # a space left by a PDF line break
    ("「五」大工程", ["five_major_projects"]),
    ("robot, robots, Robots and robotics", ["robots", "robots", "robots"]),        # lemma-aware, robotics another word
    ("aero-engines and aero engines", ["aero_engines", "aero_engines"]),
    ("strengthening the industrial foundation", ["task_industrial_foundation_capability"]),
    ("industrial. Internet", []),                                                 # never across a full stop
    ("智能製造工程", ["smart_manufacturing_project"]),                              # longest first
    ("创新、材料、质量、互联网", []),                                               # generic words are no terms
    # coding rules (issue 17): off-domain uses are no mentions
    ("推进互联网+政务服务", []),                                                  # 互联网+ not_near 政务
    ("推進「互聯網+政務服務」，發展「互聯網+」製造", ["internet_plus"]),                # Traditional, quoted
    ("扫地机器人销量大增", []),                                                   # 机器人 not_near 扫地
    ("深圳市大疆机器人科技有限公司", []),                                           # a company name
    ("发展工业机器人和服务机器人", ["robots", "robots"]),
    ("從美國的《先進製造業國家戰略計劃》看", []),                                     # the US plan
    ("发展先进制造业", ["advanced_manufacturing"]),
    ("the National Strategic Plan for Advanced Manufacturing", []),
    # companions and wordings found missing on Government Work Reports
    ("加快5G商用步伐，发展人工智能", ["five_g", "artificial_intelligence"]),
    ("推動5G與人工智慧", ["five_g", "artificial_intelligence"]),                    # Taiwan wording
    ("25G光模块与5GHz频段", []),                                                 # 5G only as a token of its own
    ("实施创新驱动发展战略，坚持创新驱动", ["innovation_driven_development_strategy", "innovation_driven"]),
    ("建设制造强国", ["manufacturing_power"]),
    ("大飞机和飞机发动机", ["large_aircraft", "aero_engines"]),
    ("高端装备创新工程与高端装备", ["high_end_equipment_innovation_project", "high_end_equipment_manufacturing"]),
])
def test_tag_text_cases(text, expected):
    from pipeline.chinese import detect_script, to_analysis

    lexicon = load_lexicon(Config())
    script = detect_script(text)["script"]
    found = tag_text(text, to_analysis(text, script, Config()), lexicon)
    assert [m["concept"] for m in found] == expected


def test_candidate_that_cuts_a_word_is_rejected():
    """A match that is not a dictionary word as it stands (here: stepping over a
    space) and starts or ends inside a token of the segmentation is rejected
    and counted; the same match on token boundaries is kept."""
    from pipeline import tag

    lexicon = load_lexicon(Config())
    text = "中國製造 20251"  # the digits run on: 20251 is one token
    analysis = "中国制造 20251"
    cut = language.token_boundaries(text, [((0, len(text)), ["中國製造", "20251"])])
    mentions, rejected = tag.match(text, analysis, lexicon, cut)
    assert [r["surface"] for r in rejected] == ["中國製造 2025"] and mentions == []
    whole = language.token_boundaries("中國製造 2025", [((0, 9), ["中國製造", "2025"])])
    mentions, rejected = tag.match("中國製造 2025", "中国制造 2025", lexicon, whole)
    assert [m["surface"] for m in mentions] == ["中國製造 2025"] and rejected == []


def test_rejections_are_counted_in_the_manifest(built):
    docs = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["documents"]
    for doc in GOLD_DOCS:
        record = docs[doc]["stages"]["tag"]
        assert isinstance(record["rejected"], int) and record["segmentation"] is True


def test_reports_of_concepts_not_found_and_candidates(built):
    import csv

    lexicon = load_lexicon(Config())
    rows = list(csv.DictReader((built / "concepts_not_found.csv").read_text(encoding="utf-8").splitlines()))
    found = {m["concept"] for doc in GOLD_DOCS for m in mentions(built, doc)}
    assert {r["id"] for r in rows} == set(lexicon.concepts) - found
    candidates = list(csv.DictReader((built / "candidates.csv").read_text(encoding="utf-8").splitlines()))
    assert candidates and [int(r["rank"]) for r in candidates] == list(range(1, len(candidates) + 1))
    from pipeline.lexicon import fold

    for r in candidates:
        assert r["term"] not in lexicon.zh and not any(f in lexicon.zh for f in fold(r["surface"]))
        assert int(r["sentences"]) >= 2  # concepts may be empty: every sentence is read
    # ranked by keyness, best first
    assert all(float(a["score"]) >= float(b["score"]) for a, b in zip(candidates, candidates[1:]))
    kwic = list(csv.DictReader((built / "candidates_kwic.csv").read_text(encoding="utf-8").splitlines()))
    first = [k for k in kwic if k["rank"] == "1"]
    assert first and all(k["term"] == candidates[0]["term"] for k in first)
    text = " ".join((built / f"text/{first[0]['doc']}.txt").read_text(encoding="utf-8").split())
    assert first[0]["left"][-3:] + first[0]["surface"] + first[0]["right"][:3] in text


def test_rule_rejections_are_counted_per_concept_in_state_and_manifest(built):
    """The bundled article names the US 《先進製造業國家戰略計劃》 once in each Chinese
    version and in the English brief: advanced_manufacturing's not_near rule turns
    it down, and the tag stage's record and state say so."""
    docs = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["documents"]
    for doc in GOLD_DOCS:
        assert docs[doc]["stages"]["tag"]["ruled_out"] == {"advanced_manufacturing": 1}, doc
        state = json.loads((built / f".state/tag/{doc}.json").read_text(encoding="utf-8"))
        assert state["ruled_out"] == {"advanced_manufacturing": 1}


def test_a_user_rule_changes_what_is_a_mention(tmp_path):
    """A user dictionary overrides a built-in concept with a near rule: only
    mentions with one of its words close by remain."""
    from pipeline.config import load_config

    (tmp_path / "mine.toml").write_text('''[[concept]]
id = "big_data"
category = "companion"
parent = ""
zh_hant = "大數據"
zh_hans = "大数据"
en = "big data"
near = ["製造", "工業"]
within = 6
''', encoding="utf-8")
    (tmp_path / "config.toml").write_text('[tag]\ndictionaries = ["mine.toml"]\n', encoding="utf-8")
    lexicon = load_lexicon(load_config(tmp_path / "config.toml"))
    text = "工业大数据平台；大数据杀熟"
    mentions, rejected = __import__("pipeline.tag", fromlist=["match"]).match(text, text, lexicon)
    assert [m["start"] for m in mentions] == [2] and [(r["start"], r["reason"]) for r in rejected] == [(8, "rule")]


# --- candidate new terms (issue 17) -------------------------------------------------------------------------------

# A made-up provincial notice: generic policy words over and over, and the new terms the issue
# names (工业APP, 工业互联网平台; 6G, as 5G is in the dictionary now) only a few times, some in
# sentences with no concept.
NOTICE = ("加快发展智能制造，推进企业创新发展，推动企业发展。" * 6
          + "加快6G网络研发。推进6G试验，发展工业APP。培育工业APP开发者。"
          + "建设工业互联网平台。推广工业互联网平台。发展区块链技术。区块链应用加快。")


def _candidates(text: str, config=None) -> list[list]:
    from pipeline import segment, tag
    from pipeline.chinese import detect_script, to_analysis

    config = config or Config()
    lexicon = load_lexicon(config)
    script = detect_script(text)["script"]
    sentences = segment.sentences_with_tokens(text, script, config, lexicon.words)
    analysis = to_analysis(text, script, config)
    bounds = language.token_boundaries(text, sentences)
    mentions = tag.tag_text(text, analysis, lexicon, bounds)
    return tag.merge_candidates([("notice", tag.doc_candidates(text, analysis, sentences, mentions, lexicon))],
                                lexicon)


def test_candidates_rank_new_terms_above_generic_words():
    """Fails with the old ranking (by sentences), which put 发展, 企业, 推进 on top."""
    rows = _candidates(NOTICE)
    terms = [r[1] for r in rows]
    assert {"发展", "企业", "创新", "推进", "加快", "推动"}.isdisjoint(terms)
    assert {"6g", "工业app", "区块链", "工业互联网平台"} <= set(terms[:6]), rows[:8]
    surfaces = {r[1]: r[2] for r in rows}
    assert surfaces["6g"] == "6G" and surfaces["工业app"] == "工业APP"
    assert "区块" not in terms  # only inside 区块链 (jieba: 区块 链)


def test_candidates_come_from_every_sentence_with_examples():
    rows = {r[1]: r for r in _candidates(NOTICE)}
    chain = rows["区块链"]  # its sentences hold no concept
    assert chain[6] == "" and chain[3] == 2
    doc, sentence, start, end = chain[-1][0]
    assert doc == "notice" and NOTICE[start:end] == "区块链"
    assert "industrial_internet" in rows["工业互联网平台"][6]  # 工业互联网 is a mention inside it


@pytest.mark.parametrize("token, kind", [
    ("区块链", "term"), ("5G", "term"), ("IoT", "term"), ("APP", "term"), ("China", "generic"),
    ("发展", "generic"), ("企业", "generic"), ("高端", "generic"), ("推进", "verb"), ("加快", "verb"),
    ("的", None), ("，", None), ("链", "char"), ("2025", "number"), ("the", None),
])
def test_unit_kinds(token, kind):
    from pipeline.tag import unit_kind

    assert unit_kind(token, token) == kind


def test_candidates_per_group(built, tmp_path):
    """With [graph] group_by, candidates_by_group.csv ranks each group's own candidates."""
    import csv
    import shutil

    from pipeline import tag
    from pipeline.config import load_config

    out = tmp_path / "outputs"
    shutil.copytree(built, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"]["mic2025-cn"]["stages"]["extract"]["metadata"] = {"date": "2015-05-08"}
    manifest["documents"]["mic2025-hk"]["stages"]["extract"]["metadata"] = {"date": "2016年5月"}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    config = load_config(None, overrides=["graph.group_by=date", r"graph.group_pattern=(\d{4})"])
    tag.finish(GOLD_DOCS, config, out)
    rows = list(csv.DictReader((out / "candidates_by_group.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["group"] for r in rows} == {"2015", "2016"}
    for group in ("2015", "2016"):
        ranks = [int(r["rank"]) for r in rows if r["group"] == group]
        assert ranks == list(range(1, len(ranks) + 1)) and all(r["documents"] == "1" for r in rows)
    tag.finish(GOLD_DOCS, load_config(None), out)  # group_by unset again: the file goes
    assert not (out / "candidates_by_group.csv").exists()


def test_candidates_per_group_follow_the_graphs_groups(dated):
    """[graph] group_by also groups the candidate terms (one setting for every grouped view)."""
    import csv

    rows = list(csv.DictReader((dated / "outputs" / "candidates_by_group.csv").open(encoding="utf-8")))
    assert rows and {r["group"] for r in rows} <= {"2015", "2021"}  # years, as the graph's groups
