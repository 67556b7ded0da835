"""Stage 4, tag: text/<doc>.txt -> tags/<doc>.jsonl, one strategy-term mention per line.

The dictionary (``pipeline/lexicon/*.toml`` plus the user's files) is a list
of concepts with stable ASCII ids, labels in zh-Hant, zh-Hans and en, and
aliases in any script. Chinese aliases are folded into the analysis script
with every Traditional configuration (hk2s, tw2s, t2s), so a term is found
whatever script or regional variant a document uses; matching runs on the
document's analysis-script text, which has the same length as the original, so
offsets point into text/<doc>.txt unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import convert, io
from .errors import ConfigError

NAME = "tag"
LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
CATEGORIES = ("programme", "strategy", "foundation", "sector", "subfield", "project", "task",
              "guiding_principle", "basic_principle", "companion")
FIELDS = {"id": str, "category": str, "parent": str, "zh_hant": str, "zh_hans": str, "en": str,
          "aliases": list, "aliases_en": list}
FOLDINGS = ("hk2s", "tw2s", "t2s")  # every Traditional variant folds into Simplified


@dataclass(frozen=True)
class Concept:
    id: str
    category: str
    parent: str
    zh_hant: str
    zh_hans: str
    en: str
    aliases: tuple[str, ...]
    aliases_en: tuple[str, ...]
    source: str  # file:line where it is defined


@dataclass(frozen=True)
class Lexicon:
    concepts: dict  # id -> Concept, in file order
    zh: dict  # analysis-script alias -> concept id
    en: dict  # lower-case English alias -> concept id
    max_len: int

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(sorted(self.zh))


def _concept_lines(text: str) -> list[int]:
    """Line numbers of the ``[[concept]]`` headers, in order (for messages)."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*concept\s*\]\]", line)]


def parse_lexicon(text: str, source: str) -> list[Concept]:
    """Concepts of one TOML dictionary, validated field by field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(source, "TOML syntax", str(exc), line=line and int(line.group(1))) from None
    unknown = set(data) - {"concept"}
    if unknown:
        raise ConfigError(source, ", ".join(sorted(unknown)), "unknown table; expected [[concept]] entries")
    concepts = []
    header_lines = _concept_lines(text)
    for number, raw in enumerate(data.get("concept", []), 1):
        cid = raw.get("id")
        line = header_lines[number - 1] if number <= len(header_lines) else None
        where = f"concept #{number}" + (f" ({cid})" if cid else "")
        for key, value in raw.items():
            if key not in FIELDS:
                raise ConfigError(source, f"{where} {key}", "unknown key; expected one of " + ", ".join(FIELDS),
                                  line=line)
            if not isinstance(value, FIELDS[key]) or (key.startswith("aliases")
                                                      and not all(isinstance(a, str) and a for a in value)):
                expected = "a list of non-empty strings" if FIELDS[key] is list else "a string"
                raise ConfigError(source, f"{where} {key}", f"expected {expected}, got {value!r}", line=line)
        if not cid or not re.fullmatch(r"[a-z][a-z0-9_]*", cid):
            raise ConfigError(source, f"{where} id", "expected an ASCII snake_case id such as 'smart_manufacturing'",
                              line=line)
        if raw.get("category") not in CATEGORIES:
            raise ConfigError(source, f"{where} category", "expected one of " + ", ".join(CATEGORIES), line=line)
        for key in ("zh_hant", "zh_hans", "en"):
            if not raw.get(key):
                raise ConfigError(source, f"{where} {key}", "expected a non-empty label", line=line)
        concepts.append(Concept(cid, raw["category"], raw.get("parent", ""), raw["zh_hant"], raw["zh_hans"],
                                raw["en"], tuple(raw.get("aliases", ())), tuple(raw.get("aliases_en", ())),
                                f"{source}:{line}"))
    return concepts


def fold(alias: str) -> set[str]:
    """Analysis-script forms of a Chinese alias, under every folding.

    >>> sorted(fold("智慧製造"))
    ['智慧制造']
    """
    return {convert.converter(name)(alias) for name in FOLDINGS} | {convert.converter("t2s")(alias)}


def build_lexicon(concepts: list[Concept]) -> Lexicon:
    """Index concepts by alias; a later concept with the same id overrides an earlier one."""
    by_id: dict[str, Concept] = {}
    for concept in concepts:
        by_id[concept.id] = concept
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for concept in by_id.values():
        if concept.parent and concept.parent not in by_id:
            path, _, line = concept.source.rpartition(":")
            raise ConfigError(path, f"{concept.id} parent", f"no concept with id {concept.parent!r}",
                              line=line if line != "None" else None)
        for alias in (concept.zh_hant, concept.zh_hans, *concept.aliases):
            for form in fold(alias):
                owner = zh.setdefault(form, concept.id)
                if owner != concept.id:
                    path, _, line = concept.source.rpartition(":")
                    raise ConfigError(path, f"{concept.id} alias {alias!r}",
                                      f"already an alias of {owner!r}; an alias belongs to one concept",
                                      line=line if line != "None" else None)
        for alias in (concept.en, *concept.aliases_en):
            key = _english_key(alias)
            owner = en.setdefault(key, concept.id)
            if owner != concept.id:
                path, _, line = concept.source.rpartition(":")
                raise ConfigError(path, f"{concept.id} alias {alias!r}",
                                  f"already an alias of {owner!r}; an alias belongs to one concept",
                                  line=line if line != "None" else None)
    return Lexicon(by_id, zh, en, max((len(a) for a in zh), default=0))


def _english_key(alias: str) -> str:
    return re.sub(r"\s+", " ", alias.strip().lower())


def lexicon_files(config) -> list[Path]:
    base = Path(config.path).parent if config.path != "<defaults>" else Path(".")
    files = sorted(LEXICON_DIR.glob("*.toml")) if config.tag.builtin else []
    return files + [base / name for name in config.tag.dictionaries]


def _check_unique_ids(concepts: list[Concept]) -> None:
    """Within one file an id may appear once (across files, a later one overrides)."""
    first: dict[str, str] = {}
    for concept in concepts:
        path, _, line = concept.source.rpartition(":")
        if concept.id in first:
            raise ConfigError(path, f"id {concept.id!r}", f"duplicate concept id (first at line {first[concept.id]})",
                              line=line if line != "None" else None)
        first[concept.id] = line


@functools.lru_cache(maxsize=8)
def _load(files: tuple[str, ...]) -> Lexicon:
    concepts = []
    for name in files:
        parsed = parse_lexicon(Path(name).read_text(encoding="utf-8"), name)
        _check_unique_ids(parsed)
        concepts.extend(parsed)
    return build_lexicon(concepts)


def load_lexicon(config) -> Lexicon:
    """The built-in dictionary plus the user's, validated (ConfigError names file and line)."""
    return _load(tuple(str(p) for p in lexicon_files(config)))


def lexicon_hash(config) -> str:
    digest = hashlib.sha256()
    for path in lexicon_files(config):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def jieba_words(config) -> tuple[str, ...]:
    """Every Chinese alias in the analysis script: added to jieba as words."""
    return load_lexicon(config).words


@functools.lru_cache(maxsize=8)
def _english_pattern(keys: tuple[str, ...]):
    # longest first so "smart manufacturing project" wins over "smart manufacturing";
    # an optional plural s/es on the last word.
    parts = [r"\s+".join(re.escape(w) for w in key.split(" ")) for key in sorted(keys, key=len, reverse=True)]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?:s|es)?(?![\w])", re.IGNORECASE)


def _english_lookup(lexicon: Lexicon, surface: str) -> str | None:
    key = _english_key(surface)
    for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
        if candidate and candidate in lexicon.en:
            return lexicon.en[candidate]
    return None


def tag_text(text: str, analysis: str, lexicon: Lexicon) -> list[dict]:
    """Mentions in ``text``: longest match first, never overlapping.

    ``analysis`` is ``text`` in the analysis script (same length). Returns
    dicts with concept, surface, start, end (offsets into ``text``).
    """
    assert len(text) == len(analysis)
    candidates = []
    i, n = 0, len(analysis)
    while i < n:
        for length in range(min(lexicon.max_len, n - i), 0, -1):
            cid = lexicon.zh.get(analysis[i:i + length])
            if cid:
                candidates.append((i, i + length, cid))
                i += length
                break
        else:
            i += 1
    if lexicon.en:
        for match in _english_pattern(tuple(lexicon.en)).finditer(text):
            cid = _english_lookup(lexicon, re.sub(r"\s+", " ", match.group(0)))
            if cid:
                candidates.append((match.start(), match.end(), cid))
    mentions, last_end = [], -1
    for start, end, cid in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
        if start >= last_end:
            mentions.append({"concept": cid, "surface": text[start:end], "start": start, "end": end})
            last_end = end
    return mentions


def locate(mentions: list[dict], paragraphs, sentences, page_starts) -> list[dict]:
    """Add paragraph, sentence (0-based indexes) and page (1-based) to mentions."""
    import bisect

    para_starts = [s for s, _ in paragraphs]
    sent_starts = [s for s, _ in sentences]
    for m in mentions:
        m["paragraph"] = max(0, bisect.bisect_right(para_starts, m["start"]) - 1)
        m["sentence"] = max(0, bisect.bisect_right(sent_starts, m["start"]) - 1)
        m["page"] = max(1, bisect.bisect_right(page_starts, m["start"]))
    return mentions


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    script = entry["stages"]["convert"]["script"]
    lexicon = load_lexicon(config)
    mentions = tag_text(text, convert.to_analysis(text, script, config), lexicon)
    extracted = io.read_json(outputs / ".state" / "extract" / f"{doc_id}.json")
    segmented = io.read_json(outputs / ".state" / "segment" / f"{doc_id}.json")
    locate(mentions, extracted["paragraphs"], segmented["sentences"], extracted["page_starts"])
    keys = ("concept", "surface", "start", "end", "paragraph", "sentence", "page")
    io.write_text(outputs / "tags" / f"{doc_id}.jsonl",
                  "".join(json.dumps({k: m[k] for k in keys}, ensure_ascii=False) + "\n" for m in mentions))
    return {"mentions": len(mentions), "concepts": len({m["concept"] for m in mentions}),
            "seconds": round(time.perf_counter() - started, 3)}
