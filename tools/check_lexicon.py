#!/usr/bin/env python3
"""Check the built-in strategy-term dictionary and show what it finds in the seed article.

Needs the ``opencc`` package and the pipeline itself: the loader is ``pipeline.lexicon``'s and
the matching (expected matches, the seed report) ``pipeline.tag``'s, so what this prints is
what the tag stage finds.

Checks (an error makes the exit code 1):
  - the file parses, holds only ``[[concept]]`` tables with exactly the documented keys (and
    the optional coding-rule keys near, not_near, within, ambiguous, validated by the loader);
  - ids are unique ASCII snake_case; categories come from the closed list;
  - every parent exists, no concept is its own ancestor (no cycles);
  - labels are non-empty; zh_hans is a Simplified conversion of zh_hant;
  - every label and alias, converted to Simplified with hk2s, tw2s and t2s, maps to exactly
    one concept (also after NFKC and with spaces removed, as a text stage may normalise so);
  - English labels and aliases map to exactly one concept, case-, plural-, hyphen- and
    British/American-spelling-insensitively;
  - no alias is on the list of generic words that must never be aliases;
  - the concepts of the required coverage exist, and a table of surface forms tags to the
    expected concept (and generic words to nothing).
Warnings (exit code unaffected): zh_hant not the OpenCC s2hk form of zh_hans, an English
-ize/-ise or center/centre spelling without its counterpart, a parent of an unexpected category.

Then it tags the seed article (lines joined, converted with hk2s, longest match first,
non-overlapping) and prints the mentions per concept, and the required concepts never found.

Usage:
  python tools/check_lexicon.py [--lexicon FILE] [--seed FILE] [--show-matches] [--quiet]

Exit codes: 0 valid, 1 errors found, 2 a file or opencc is missing.
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # pipeline.lexicon loads, pipeline.tag matches
DEFAULT_LEXICON = ROOT / "pipeline" / "lexicon" / "mic2025.toml"
# The seed sits in shared/ beside the repository (../shared when the repo is /work/main).
DEFAULT_SEED = ROOT.parent / "shared" / "seed" / "000_33a22473882e79cc.txt"

KEYS = ("id", "category", "parent", "zh_hant", "zh_hans", "en", "aliases", "aliases_en")
OPTIONAL = ("near", "not_near", "within", "ambiguous")  # coding rules; types checked by pipeline.lexicon
CATEGORIES = (
    "programme", "strategy", "foundation", "sector", "subfield", "project", "task",
    "guiding_principle", "basic_principle", "companion",
)
# Which parent categories make sense for a child category (warning only).
PARENT_CATEGORIES = {
    "programme": {""},
    "strategy": {"", "programme", "strategy"},
    "foundation": {"programme", "foundation"},
    "sector": {"programme", "sector"},
    "subfield": {"sector", "subfield"},
    "project": {"programme", "project"},
    "task": {"programme", "task"},
    "guiding_principle": {"programme", "guiding_principle"},
    "basic_principle": {"programme", "basic_principle"},
    "companion": {"", "companion"},
}
ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONVERTERS = ("hk2s", "tw2s", "t2s")

# Words so generic that making them an alias would flood ordinary policy text with false
# positives (compared after conversion to Simplified; English case-insensitively).
FORBIDDEN_ZH = {
    "创新", "材料", "中国制造", "制造", "制造业", "互联网", "质量", "品质", "智能", "智慧",
    "信息化", "工业化", "资讯化", "绿色", "基础", "工业基础", "基础材料", "基本原则",
    "基本方针", "四项基本原则", "二十字方针", "战略任务", "重大工程", "重点领域",
    "市场主导", "政府引导", "立足当前", "着眼长远", "著眼长远", "整体推进", "重点突破",
    "自主发展", "开放合作", "网络", "网路", "软件", "数据", "信息技术", "电动车",
}
FORBIDDEN_EN = {
    "innovation", "materials", "material", "quality", "internet", "made in china",
    "manufacturing", "basic principles", "guiding principles", "four cardinal principles",
    "green", "information technology", "it", "data",
}

# The concepts the brief requires (all must exist; the seed report lists those never found).
REQUIRED = (
    "mic2025", "three_step_strategy", "informatisation_industrialisation_integration",
    "four_foundations", "core_basic_components", "advanced_basic_processes",
    "key_basic_materials", "industrial_technology_basis",
    "ten_key_sectors", "new_generation_it", "cnc_machine_tools_and_robots",
    "aerospace_equipment", "ocean_engineering_and_high_tech_ships",
    "advanced_rail_transit_equipment", "energy_saving_and_new_energy_vehicles",
    "power_equipment", "agricultural_machinery", "new_materials",
    "biomedicine_and_medical_devices",
    "integrated_circuits", "information_communication_equipment", "high_end_cnc_machine_tools",
    "robots", "aviation_equipment", "space_equipment", "large_aircraft", "aero_engines",
    "new_energy_vehicles", "energy_saving_vehicles", "biomedicine",
    "high_performance_medical_devices",
    "five_major_projects", "manufacturing_innovation_centre_project",
    "industrial_foundation_project", "smart_manufacturing_project",
    "green_manufacturing_project", "high_end_equipment_innovation_project",
    "nine_strategic_tasks", "task_innovation_capability", "task_it_industrialisation_integration",
    "task_industrial_foundation_capability", "task_quality_and_brands", "task_green_manufacturing",
    "task_key_sector_breakthroughs", "task_structural_adjustment",
    "task_service_manufacturing_producer_services", "task_internationalisation",
    "guiding_principles", "innovation_driven", "quality_first", "green_development",
    "structural_optimisation", "talent_oriented",
    "basic_principles", "market_led_government_guided", "present_and_long_term",
    "overall_advance_key_breakthroughs", "independent_development_open_cooperation",
    "smart_manufacturing", "green_manufacturing", "internet_plus", "industrial_internet",
    "industry_4_0", "service_oriented_manufacturing", "producer_services", "cloud_computing",
    "big_data", "internet_of_things",
    # companions found missing on Government Work Reports 2015-2021 (issue 17)
    "artificial_intelligence", "five_g", "manufacturing_power", "advanced_manufacturing",
    "high_end_equipment_manufacturing", "innovation_driven_development_strategy",
)

# Surface forms from the brief and real documents, and the concept each must tag to as one
# mention covering the whole string (in every script the converters produce).
EXPECT = (
    ("中國製造2025", "mic2025"), ("中國製造 2025", "mic2025"), ("Made in China 2025", "mic2025"),
    ("MIC 2025", "mic2025"), ("三步走", "three_step_strategy"),
    ("兩化融合", "informatisation_industrialisation_integration"),
    ("兩化深度融合", "informatisation_industrialisation_integration"),
    ("信息化和工業化深度融合", "informatisation_industrialisation_integration"),
    ("信息化與工業化深度融合", "informatisation_industrialisation_integration"),
    ("信息化和工業化融合", "informatisation_industrialisation_integration"),
    ("資訊化與工業化深度融合", "informatisation_industrialisation_integration"),
    ("推進信息化與工業化深度融合", "task_it_industrialisation_integration"),
    ("integration of informatisation and industrialisation",
     "informatisation_industrialisation_integration"),
    ("integration of IT and industrialization", "informatisation_industrialisation_integration"),
    ("四基", "four_foundations"), ("four basics", "four_foundations"),
    ("核心基礎零部件（元器件）", "core_basic_components"),
    ("核心基礎零部件(元器件)", "core_basic_components"),
    ("核心基礎零部件", "core_basic_components"), ("基礎零部件", "core_basic_components"),
    ("先進基礎工藝", "advanced_basic_processes"), ("關鍵基礎材料", "key_basic_materials"),
    ("產業技術基礎", "industrial_technology_basis"),
    ("新一代資訊技術", "new_generation_it"), ("新一代信息技術產業", "new_generation_it"),
    ("高檔數控機床和機器人", "cnc_machine_tools_and_robots"),
    ("高檔數控機牀", "high_end_cnc_machine_tools"), ("機械人", "robots"),
    ("robots", "robots"), ("robot", "robots"),
    ("航空發動機", "aero_engines"), ("大型飛機", "large_aircraft"),
    ("積體電路", "integrated_circuits"),
    ("節能與新能源汽車", "energy_saving_and_new_energy_vehicles"),
    ("新能源汽車", "new_energy_vehicles"),
    ("製造業創新中心建設工程", "manufacturing_innovation_centre_project"),
    ("製造業創新中心的建設工程", "manufacturing_innovation_centre_project"),
    ("工業強基工程", "industrial_foundation_project"), ("強基工程", "industrial_foundation_project"),
    ("工業強基", "industrial_foundation_project"), ("強化基礎的工程", "industrial_foundation_project"),
    ("智能製造工程", "smart_manufacturing_project"), ("智慧製造工程", "smart_manufacturing_project"),
    ("智能製造", "smart_manufacturing"), ("智慧製造", "smart_manufacturing"),
    ("intelligent manufacturing", "smart_manufacturing"),
    ("品質為先", "quality_first"), ("質量為先", "quality_first"),
    ("市場主導，政府引導", "market_led_government_guided"),
    ("既立足當前，又著眼長遠", "present_and_long_term"),
    ("立足当前、着眼长远", "present_and_long_term"),
    ("提高製造業國際化發展水準", "task_internationalisation"),
    ("加強品質品牌建設", "task_quality_and_brands"),
    ("互聯網+", "internet_plus"), ("互聯網＋", "internet_plus"), ("互聯網加", "internet_plus"),
    ("Internet Plus", "internet_plus"),
    ("工業4.0", "industry_4_0"), ("工業 4.0", "industry_4_0"), ("工業４.０", "industry_4_0"),
    ("Industry 4.0", "industry_4_0"),
    ("雲端運算", "cloud_computing"), ("巨量資料", "big_data"), ("IoT", "internet_of_things"),
    ("生產性服務業", "producer_services"), ("producer services", "producer_services"),
    ("服務型製造", "service_oriented_manufacturing"),
    ("人工智能", "artificial_intelligence"), ("人工智慧", "artificial_intelligence"),
    ("5G", "five_g"), ("第五代行動通訊", "five_g"), ("製造強國", "manufacturing_power"),
    ("製造強國戰略", "manufacturing_power"), ("先進製造業", "advanced_manufacturing"),
    ("飛機發動機", "aero_engines"), ("高端裝備", "high_end_equipment_manufacturing"),
    ("高端裝備創新工程", "high_end_equipment_innovation_project"),
    ("創新驅動發展戰略", "innovation_driven_development_strategy"),
    ("創新驅動", "innovation_driven"),
)
# Generic text that must produce no mention at all.
EXPECT_NOTHING = (
    "創新", "材料", "中國製造", "互聯網", "質量", "四項基本原則", "基本原則", "基本方針",
    "二十字方針", "政府引導", "重點突破", "工業基礎", "信息化", "Made in China", "innovation",
    "robotics", "industrial foundation",
    # off-domain uses turned down by coding rules (not_near)
    "互聯網+政務服務", "推進互聯網+監管", "掃地機器人", "聊天機器人", "新松機器人自動化股份有限公司",
    "《先進製造業國家戰略計劃》", "25G", "5GHz",
)


class Report:
    """Collects errors and warnings as ``file:line: message`` lines."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, line: int | None, msg: str) -> None:
        self.errors.append(f"{self.path}:{line or '?'}: error: {msg}")

    def warn(self, line: int | None, msg: str) -> None:
        self.warnings.append(f"{self.path}:{line or '?'}: warning: {msg}")


class Locator:
    """Finds the line of a concept, or of a string inside a concept's block, in the raw file."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.starts = [i for i, ln in enumerate(self.lines) if ln.strip() == "[[concept]]"]

    def line(self, index: int, needle: str | None = None) -> int | None:
        if index >= len(self.starts):
            return None
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        if needle is not None:
            quoted = '"' + needle.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for i in range(start, end):
                if quoted in self.lines[i]:
                    return i + 1
        return start + 1


def load_converters() -> dict[str, object]:
    try:
        import opencc  # type: ignore
    except ImportError:
        print("check_lexicon: the opencc package is needed (pip install opencc)", file=sys.stderr)
        sys.exit(2)
    convs = {}
    for name in CONVERTERS + ("s2hk",):
        try:
            convs[name] = opencc.OpenCC(name)
        except Exception:  # some builds want the .json suffix
            convs[name] = opencc.OpenCC(name + ".json")
    return convs


def zh_forms(surface: str, convs) -> set[str]:
    """The Simplified forms a Chinese surface takes under hk2s, tw2s and t2s."""
    return {convs[c].convert(surface) for c in CONVERTERS}


# Places where OpenCC's s2hk phrase segmentation is wrong and the label is right: s2hk turns
# 国家制造业 into 國家制造業 (it segments 国家制 first); the standard form is 製造.
_S2HK_SLIPS = {("製", "制")}


def is_s2hk_form(zh_hant: str, s2hk: str) -> bool:
    """True if zh_hant is the s2hk form, allowing for known OpenCC segmentation slips."""
    return len(zh_hant) == len(s2hk) and all(
        a == b or (a, b) in _S2HK_SLIPS for a, b in zip(zh_hant, s2hk))


def zh_key(form: str) -> str:
    """A looser key: NFKC (full-width digits/brackets) and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", form))


_BRITISH = (
    (r"isation", "ization"), (r"isations", "izations"), (r"ise\b", "ize"), (r"ised\b", "ized"),
    (r"ises\b", "izes"), (r"ising\b", "izing"), (r"centre", "center"), (r"programme", "program"),
    (r"aeroplane", "airplane"),
)
_NOT_IZE = {"size", "sized", "seize", "prize", "capsize", "rise", "wise", "otherwise", "precise",
            "promise", "enterprise", "premise", "exercise", "expertise", "advertise", "franchise",
            "merchandise", "concise", "compromise", "surprise", "revise", "supervise", "devise",
            "comprise", "disguise", "noise", "raise", "praise", "cruise", "arise"}


def en_key(surface: str) -> str:
    """Normalise an English form for collision checks: case, hyphens, spelling, plurals.

    >>> en_key("Manufacturing Innovation Centres") == en_key("manufacturing innovation center")
    True
    """
    s = surface.lower().replace("-", " ")
    words = []
    for w in re.findall(r"[a-z0-9.+]+", s):
        if w not in _NOT_IZE:
            for brit, amer in _BRITISH:
                w = re.sub(brit, amer, w)
        if len(w) > 3 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith(("ches", "shes", "sses", "xes")):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        words.append(w)
    return " ".join(words)


def british_twin(surface: str) -> tuple[str, str] | None:
    """(american, british) spellings of a form if it has an -ize/-ise or center/centre word."""
    low = surface.lower()
    words = re.findall(r"[a-z]+", low)
    if not any((("iz" in w or "is" in w) and w not in _NOT_IZE
                and re.search(r"(i[sz]ation|i[sz]e|i[sz]ed|i[sz]ing|i[sz]es)$", w)
                and len(w) > 6) or w in ("centre", "center", "centres", "centers")
               for w in words):
        return None
    amer, brit = low, low
    for w in words:
        if w in _NOT_IZE:
            continue
        a = re.sub(r"is(ation|ations|e|ed|es|ing)$", r"iz\1", w) if len(w) > 6 else w
        b = re.sub(r"iz(ation|ations|e|ed|es|ing)$", r"is\1", w) if len(w) > 6 else w
        a = a.replace("centre", "center")
        b = b.replace("center", "centre")
        amer = re.sub(rf"\b{w}\b", a, amer)
        brit = re.sub(rf"\b{w}\b", b, brit)
    return (amer, brit) if amer != brit else None


class Tagger:
    """The pipeline's own matcher (``pipeline.tag``: a trie over all aliases, longest match
    first, non-overlapping; lemma-aware English) over one dictionary file, on Simplified text."""

    def __init__(self, path: Path):
        from pipeline import tag
        from pipeline.lexicon import build_lexicon, parse_lexicon

        self._tag = tag
        self.lexicon = build_lexicon(parse_lexicon(path.read_text(encoding="utf-8"), str(path)))

    def tag(self, text: str) -> list[tuple[int, int, str]]:
        """Return (start, end, concept id) mentions, in text order."""
        return [(m["start"], m["end"], m["concept"]) for m in self._tag.tag_text(text, text, self.lexicon)]


def check(path: Path, convs, rep: Report):
    """Validate the dictionary; return (concepts, zh_index, en_index) for tagging."""
    raw = path.read_text(encoding="utf-8")
    loc = Locator(raw)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        rep.error(None, f"not valid TOML: {exc}")
        return [], {}, {}
    for key in data:
        if key != "concept":
            rep.error(None, f"unexpected top-level key {key!r}: only [[concept]] tables allowed")
    concepts = data.get("concept", [])
    if not isinstance(concepts, list) or not concepts:
        rep.error(None, "no [[concept]] tables found")
        return [], {}, {}

    ids: dict[str, int] = {}
    good = []
    for i, c in enumerate(concepts):
        ln = loc.line(i)
        missing = [k for k in KEYS if k not in c]
        extra = [k for k in c if k not in KEYS + OPTIONAL]
        if missing:
            rep.error(ln, f"concept #{i + 1} lacks key(s) {', '.join(missing)}; expected {', '.join(KEYS)}")
            continue
        if extra:
            rep.error(ln, f"concept {c.get('id')!r} has unknown key(s) {', '.join(extra)}")
        for k in KEYS[:6]:
            if not isinstance(c[k], str):
                rep.error(loc.line(i, k), f"{c['id']!r}: {k} must be a string")
        for k in KEYS[6:]:
            if not isinstance(c[k], list) or not all(isinstance(a, str) for a in c[k]):
                rep.error(ln, f"{c['id']!r}: {k} must be a list of strings")
        if not all(isinstance(c[k], str) for k in KEYS[:6]) or not all(
                isinstance(c[k], list) for k in KEYS[6:]):
            continue
        cid = c["id"]
        if not ID_RE.match(cid):
            rep.error(ln, f"id {cid!r} is not ASCII snake_case")
        if cid in ids:
            rep.error(ln, f"id {cid!r} already used by the concept at line {loc.line(ids[cid])}")
            continue
        ids[cid] = i
        if c["category"] not in CATEGORIES:
            rep.error(ln, f"{cid!r}: category {c['category']!r} is not one of {', '.join(CATEGORIES)}")
        for k in ("zh_hant", "zh_hans", "en"):
            if not c[k].strip():
                rep.error(ln, f"{cid!r}: empty {k} label")
            elif c[k] != c[k].strip():
                rep.error(ln, f"{cid!r}: {k} label has surrounding whitespace")
        if c["zh_hant"] and not CJK_RE.search(c["zh_hant"]):
            rep.error(ln, f"{cid!r}: zh_hant has no Chinese characters")
        if c["en"] and CJK_RE.search(c["en"]):
            rep.error(ln, f"{cid!r}: en label contains Chinese characters")
        if c["zh_hant"] and c["zh_hans"] and c["zh_hans"] not in zh_forms(c["zh_hant"], convs):
            rep.error(ln, f"{cid!r}: zh_hans {c['zh_hans']!r} is not a Simplified conversion of "
                          f"zh_hant {c['zh_hant']!r} ({', '.join(sorted(zh_forms(c['zh_hant'], convs)))})")
        if c["zh_hans"] and not is_s2hk_form(c["zh_hant"], convs["s2hk"].convert(c["zh_hans"])):
            rep.warn(ln, f"{cid!r}: zh_hant {c['zh_hant']!r} is not the s2hk form "
                         f"{convs['s2hk'].convert(c['zh_hans'])!r}")
        for k in ("aliases", "aliases_en"):
            seen = set()
            for a in c[k]:
                aln = loc.line(i, a)
                if not a.strip():
                    rep.error(aln, f"{cid!r}: empty string in {k}")
                elif a != a.strip():
                    rep.error(aln, f"{cid!r}: alias {a!r} has surrounding whitespace")
                if a in seen:
                    rep.error(aln, f"{cid!r}: alias {a!r} listed twice")
                seen.add(a)
                if k == "aliases" and a.strip() and not CJK_RE.search(a):
                    rep.error(aln, f"{cid!r}: {a!r} has no Chinese characters; English forms go in aliases_en")
                if k == "aliases_en" and CJK_RE.search(a):
                    rep.error(aln, f"{cid!r}: {a!r} contains Chinese characters; it belongs in aliases")
                if a in (c["zh_hant"], c["zh_hans"], c["en"]):
                    rep.error(aln, f"{cid!r}: alias {a!r} repeats a label (labels are matched already)")
        good.append((i, c))

    # Parents and cycles.
    by_id = {c["id"]: c for _, c in good}
    for i, c in good:
        p = c["parent"]
        if p == "":
            pass
        elif p == c["id"]:
            rep.error(loc.line(i, p), f"{c['id']!r} is its own parent")
        elif p not in by_id:
            rep.error(loc.line(i, p), f"{c['id']!r}: parent {p!r} does not exist")
        else:
            pc = by_id[p]["category"]
            if c["category"] in PARENT_CATEGORIES and pc not in PARENT_CATEGORIES[c["category"]]:
                rep.warn(loc.line(i), f"{c['id']!r} ({c['category']}) has a {pc} parent {p!r}")
        if p == "" and c["category"] in PARENT_CATEGORIES and "" not in PARENT_CATEGORIES[c["category"]]:
            rep.warn(loc.line(i), f"{c['id']!r} ({c['category']}) is top-level")
    for i, c in good:
        seen, cur = [c["id"]], c["parent"]
        while cur and cur in by_id:
            if cur in seen:
                rep.error(loc.line(i), f"cycle in parents: {' -> '.join(seen + [cur])}")
                break
            seen.append(cur)
            cur = by_id[cur]["parent"]

    # One concept per Simplified form (and per loose key).
    zh_index: dict[str, str] = {}
    owners: dict[str, set[str]] = defaultdict(set)
    loose: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], tuple[int, str]] = {}
    for i, c in good:
        for surface in [c["zh_hant"], c["zh_hans"], *c["aliases"]]:
            if not surface.strip():
                continue
            for form in zh_forms(surface, convs):
                owners[form].add(c["id"])
                loose[zh_key(form)].add(c["id"])
                where.setdefault((form, c["id"]), (i, surface))
                where.setdefault((zh_key(form), c["id"]), (i, surface))
                zh_index[form] = c["id"]
                if form in FORBIDDEN_ZH:
                    rep.error(loc.line(i, surface), f"{c['id']!r}: {surface!r} is too generic to be an alias")
    for table, what in ((owners, "converts to"), (loose, "normalises to")):
        for form, cids in sorted(table.items()):
            if len(cids) > 1:
                places = "; ".join(
                    f"{cid} ({where[(form, cid)][1]!r}, line {loc.line(*where[(form, cid)])})"
                    for cid in sorted(cids))
                rep.error(None, f"Chinese form {form!r}: {what} the same text in several concepts: {places}")

    # One concept per English form.
    en_index: dict[str, str] = {}
    en_owner: dict[str, set[str]] = defaultdict(set)
    en_where: dict[tuple[str, str], tuple[int, str]] = {}
    for i, c in good:
        forms = [c["en"], *c["aliases_en"]]
        lowered = {f.lower() for f in forms}
        for surface in forms:
            if not surface.strip():
                continue
            key = en_key(surface)
            en_owner[key].add(c["id"])
            en_where.setdefault((key, c["id"]), (i, surface))
            en_index[surface] = c["id"]
            if surface.lower() in FORBIDDEN_EN:
                rep.error(loc.line(i, surface), f"{c['id']!r}: {surface!r} is too generic to be an alias")
            twin = british_twin(surface)
            if twin and not (twin[0] in lowered and twin[1] in lowered):
                other = twin[1] if surface.lower() == twin[0] else twin[0]
                rep.warn(loc.line(i, surface), f"{c['id']!r}: {surface!r} has no spelling twin {other!r}")
    for key, cids in sorted(en_owner.items()):
        if len(cids) > 1:
            places = "; ".join(f"{cid} ({en_where[(key, cid)][1]!r}, line {loc.line(*en_where[(key, cid)])})"
                               for cid in sorted(cids))
            rep.error(None, f"English form {key!r} belongs to several concepts: {places}")

    for cid in REQUIRED:
        if cid not in by_id:
            rep.error(None, f"required concept {cid!r} is missing")
    return [c for _, c in good], zh_index, en_index


def check_expectations(tagger: Tagger, convs, rep: Report) -> None:
    """Surface forms must tag to the expected concept, generic words to nothing."""
    for surface, want in EXPECT:
        for form in sorted(zh_forms(surface, convs)):
            got = tagger.tag(form)
            if got != [(0, len(form), want)]:
                found = ", ".join(f"{form[s:e]}={cid}" for s, e, cid in got) or "nothing"
                rep.error(None, f"expected {surface!r} (as {form!r}) to tag as {want}, got {found}")
    for surface in EXPECT_NOTHING:
        for form in sorted(zh_forms(surface, convs)):
            got = tagger.tag(form)
            if got:
                found = ", ".join(f"{form[s:e]}={cid}" for s, e, cid in got)
                rep.error(None, f"generic text {surface!r} must not be tagged, got {found}")


def tree_order(concepts: list[dict]) -> list[tuple[int, dict]]:
    """Concepts depth-first in file order, with their depth."""
    children = defaultdict(list)
    ids = {c["id"] for c in concepts}
    for c in concepts:
        children[c["parent"] if c["parent"] in ids else ""].append(c)
    out, stack = [], [(0, c) for c in reversed(children[""])]
    seen = set()
    while stack:
        d, c = stack.pop()
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        out.append((d, c))
        stack.extend((d + 1, k) for k in reversed(children[c["id"]]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lexicon", type=Path, default=DEFAULT_LEXICON, help="dictionary TOML file")
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed article (UTF-8 text)")
    ap.add_argument("--show-matches", action="store_true", help="print every seed mention in context")
    ap.add_argument("--quiet", action="store_true", help="print only errors and warnings")
    args = ap.parse_args(argv)
    if not args.lexicon.is_file():
        print(f"check_lexicon: no such file: {args.lexicon}", file=sys.stderr)
        return 2
    convs = load_converters()
    rep = Report(args.lexicon)
    concepts, zh_index, en_index = check(args.lexicon, convs, rep)
    tagger = None
    if concepts and not rep.errors:
        from pipeline.errors import ConfigError

        try:
            tagger = Tagger(args.lexicon)
        except ConfigError as exc:
            rep.error(None, f"the pipeline cannot load it: {exc}")
    if tagger:
        check_expectations(tagger, convs, rep)

    say = (lambda *a, **k: None) if args.quiet else print
    by_cat = Counter(c["category"] for c in concepts)
    n_zh = sum(1 + len(c["aliases"]) for c in concepts)
    n_en = sum(1 + len(c["aliases_en"]) for c in concepts)
    say(f"{args.lexicon}: {len(concepts)} concepts, {len(zh_index)} Simplified match forms "
        f"(from {n_zh} Chinese labels/aliases), {n_en} English labels/aliases")
    for cat in CATEGORIES:
        say(f"  {cat:<18} {by_cat.get(cat, 0)}")

    if args.seed.is_file() and tagger:
        raw = args.seed.read_text(encoding="utf-8")
        joined = re.sub(r"\r?\n", "", raw)           # PDF line breaks fall inside words
        text = convs["hk2s"].convert(joined)
        mentions = tagger.tag(text)
        counts = Counter(cid for _, _, cid in mentions)
        say(f"\nseed {args.seed.name}: {len(mentions)} mentions of {len(counts)} concepts "
            f"(lines joined, hk2s, longest match first)")
        for depth, c in tree_order(concepts):
            n = counts.get(c["id"], 0)
            say(f"  {n:>3}  {'  ' * depth}{c['id']}  {c['zh_hant']}")
        never = [cid for cid in REQUIRED if cid in {c['id'] for c in concepts} and not counts.get(cid)]
        say(f"\nrequired concepts never found in the seed ({len(never)}): {', '.join(never) or '-'}")
        if args.show_matches:
            same = len(text) == len(joined)
            say("\nmentions (surface in the original script where lengths allow):")
            for s, e, cid in mentions:
                src = joined if same else text
                say(f"  {s:>6}  {cid:<45} {src[s:e]}   …{src[max(0, s - 8):s]}[{src[s:e]}]{src[e:e + 8]}…")
    elif not args.seed.is_file():
        say(f"\nseed article not found ({args.seed}); skipped the seed report")

    for line in rep.warnings:
        print(line, file=sys.stderr)
    for line in rep.errors:
        print(line, file=sys.stderr)
    status = "FAILED" if rep.errors else "OK"
    print(f"check_lexicon: {status}: {len(rep.errors)} error(s), {len(rep.warnings)} warning(s)",
          file=sys.stderr if rep.errors else sys.stdout)
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
