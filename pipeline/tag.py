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
from dataclasses import dataclass, field
from pathlib import Path

from . import convert, io, segment
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
    en: dict  # English lemma key (see _english_key) -> concept id
    max_len: int
    trie: dict = None  # the matching automaton over ``zh``
    en_max: int = 0  # tokens in the longest English alias
    # Derived from the above, so that candidates() skips what cannot match:
    starts: re.Pattern = field(init=False, repr=False)  # a character that begins a Chinese alias
    en_prefixes: frozenset = field(init=False, repr=False)  # English keys and their starts up to a space

    def __post_init__(self):
        object.__setattr__(self, "starts", re.compile("[" + "".join(map(re.escape, sorted(self.trie))) + "]")
                           if self.trie else None)
        object.__setattr__(self, "en_prefixes", frozenset(
            key[:m] for key in self.en for m in range(len(key) + 1) if m == len(key) or key[m] == " "))

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
    return Lexicon(by_id, zh, en, max((len(a) for a in zh), default=0), _trie(zh),
                   max((len(k.split(" ")) for k in en), default=0))


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
    """Parse, validate and index the dictionary files.

    Indexing folds every alias with OpenCC and lemmatises the English ones,
    which takes seconds; the result is kept in the project's cache folder
    under a key of the files' contents, this module's code and the library
    versions, so a run with an unchanged dictionary loads it at once.
    """
    from importlib import metadata

    texts = [Path(name).read_text(encoding="utf-8") for name in files]
    key = hashlib.sha256("\x00".join([*files, *texts, Path(__file__).read_text(encoding="utf-8"),
                                       *(metadata.version(p) for p in ("opencc", "lemminflect"))]).encode())

    def build() -> Lexicon:
        concepts = []
        for name, text in zip(files, texts):
            parsed = parse_lexicon(text, name)
            _check_unique_ids(parsed)
            concepts.extend(parsed)
        return build_lexicon(concepts)

    return io.cached_pickle(_cache_folder(), "lexicon", key.hexdigest()[:24], build)


def _cache_folder() -> Path:
    from .segment import cache_folder

    return cache_folder()


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


# Characters a Chinese match may step over inside a term (never at its start or
# end): spaces that PDF extraction leaves between CJK characters and digits
# (中國製造 2025), and quotation marks put around a numeral (「五」大工程).
SKIPPABLE = frozenset(" \u3000「」『』“”‘’\"'")
# An English token: a word, a number (4.0), or one punctuation character.
# Hyphens and dashes are no tokens, so "aero-engines" = "aero engines".
# A run of Han characters is one token: no English alias holds one, so the run
# only separates words, and a Chinese text need not be cut into characters.
EN_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"
                      r"|[A-Za-z]+|[0-9]+(?:\.[0-9]+)*|[^\sA-Za-z0-9\-\u2010-\u2014]")
_END = ""  # trie key of a terminal node: (concept id, whether jieba can keep the alias as one token)


def _trie(zh: dict) -> dict:
    """A character trie (the matching automaton) over all analysis-script aliases."""
    root: dict = {}
    for form, cid in zh.items():
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[_END] = (cid, bool(segment.JIEBA_WORD_CHARS.fullmatch(form)))
    return root


def _english_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, lemma) of the English tokens of ``text``: lower-case lemmas
    of words (lemminflect, as the segment stage), numbers and punctuation as they are.

    >>> [t[2] for t in _english_tokens("Robots, robotics & aero-engines")]
    ['robot', ',', 'robotics', '&', 'aero', 'engine']
    """
    return [(m.start(), m.end(), segment.lemma(m.group()) if m.group().isalpha() else m.group().lower())
            for m in EN_TOKEN.finditer(text)]


def _english_key(alias: str) -> str:
    """The lemma key of an English alias: case, hyphens, spacing and inflection folded.

    >>> _english_key("Aero-Engines"), _english_key("robotics")
    ('aero engine', 'robotics')
    """
    return " ".join(t[2] for t in _english_tokens(alias))


def _english_lookup(lexicon: Lexicon, surface: str) -> str | None:
    """The concept an English wording names, if any (any case or inflection)."""
    return lexicon.en.get(_english_key(surface))


def token_boundaries(text: str, sentences) -> set[int] | None:
    """Offsets where a token of the segmentation starts or ends.

    ``sentences`` is ``[((start, end), [token, ...]), ...]`` (segmented/<doc>.txt
    with the sentence spans); tokens are substrings of ``text`` in order. None
    when the tokens cannot be found (then no candidate is rejected).

    >>> sorted(token_boundaries("推進兩化融合。", [((0, 7), ["推進", "兩化融合", "。"])]))
    [0, 2, 6, 7]
    """
    out: set[int] = set()
    for (start, end), tokens in sentences:
        pos = start
        for token in tokens:
            if not token:
                continue
            k = text.find(token, pos, end)
            if k < 0:
                return None
            out.update((k, k + len(token)))
            pos = k + len(token)
    return out


def candidates(text: str, analysis: str, lexicon: Lexicon) -> list[tuple[int, int, str, bool]]:
    """Every dictionary match in ``text``: (start, end, concept, whole) where
    ``whole`` says the surface is a dictionary word as it stands (segmentation
    keeps it in one token). Chinese on ``analysis`` through the trie, English on
    ``text`` by lemma sequences."""
    assert len(text) == len(analysis)
    out = []
    trie, n = lexicon.trie, len(analysis)
    # Walk the trie only from characters that start an alias: most characters
    # of a document (all of an English one) start none.
    for first in lexicon.starts.finditer(analysis) if lexicon.starts else ():
        i = first.start()
        node = trie[first.group()]
        j, skipped = i + 1, False
        while node is not None:
            if _END in node:
                cid, word = node[_END]
                out.append((i, j, cid, not skipped and word))
            if j >= n:
                break
            ch = analysis[j]
            if ch in node:
                node, j = node[ch], j + 1
            elif ch in SKIPPABLE:
                skipped, j = True, j + 1
                while j < n and analysis[j] in SKIPPABLE:
                    j += 1
                node = node.get(analysis[j]) if j < n else None
                j += 1
            else:
                break
    if lexicon.en:
        tokens = _english_tokens(text)
        en, prefixes = lexicon.en, lexicon.en_prefixes
        for i in range(len(tokens)):
            # Grow the lemma sequence from token i only while it can still
            # begin a key (most stop at once); the longest match goes first.
            key, found = tokens[i][2], []
            for j in range(i, min(i + lexicon.en_max, len(tokens))):
                if j > i:
                    key += " " + tokens[j][2]
                if key not in prefixes:
                    break
                cid = en.get(key)
                if cid:
                    found.append((tokens[i][0], tokens[j][1], cid, True))
            out.extend(reversed(found))
    return out


def match(text: str, analysis: str, lexicon: Lexicon, boundaries: set[int] | None = None):
    """(mentions, rejected): the longest candidates first, never overlapping.

    A candidate that is not a dictionary word as it stands and starts or ends
    inside a token of the segmentation (``boundaries``) is rejected.
    """
    found, rejected = [], []
    for start, end, cid, whole in candidates(text, analysis, lexicon):
        if not whole and boundaries is not None and not (start in boundaries and end in boundaries):
            rejected.append({"concept": cid, "surface": text[start:end], "start": start, "end": end})
        else:
            found.append((start, end, cid))
    taken = bytearray(len(text) + 1)
    mentions = []
    for start, end, cid in sorted(found, key=lambda c: (c[0] - c[1], c[0], c[2])):
        if not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            mentions.append({"concept": cid, "surface": text[start:end], "start": start, "end": end})
    mentions.sort(key=lambda m: m["start"])
    return mentions, rejected


def tag_text(text: str, analysis: str, lexicon: Lexicon, boundaries: set[int] | None = None) -> list[dict]:
    """Mentions in ``text``: longest match first, never overlapping.

    ``analysis`` is ``text`` in the analysis script (same length). Returns
    dicts with concept, surface, start, end (offsets into ``text``).

    >>> from pipeline.config import Config
    >>> lex = load_lexicon(Config())
    >>> [(m["concept"], m["surface"]) for m in tag_text("推進智能製造工程", "推进智能制造工程", lex)]
    [('smart_manufacturing_project', '智能製造工程')]
    >>> [m["surface"] for m in tag_text("Robots and robotics", "Robots and robotics", lex)]
    ['Robots']
    """
    return match(text, analysis, lexicon, boundaries)[0]


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


def _read_sentences(doc_id: str, spans: list, outputs: Path):
    """[((start, end), [token, ...]), ...] from the segment stage's sentence
    ``spans`` and segmented/<doc>.txt; None when they do not line up."""
    lines = (outputs / "segmented" / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n")[:len(spans)]
    if len(lines) != len(spans):
        return None
    return [(tuple(span), line.split(" ")) for span, line in zip(spans, lines)]


def preload(config) -> None:
    """Load what this stage loads on its first document: the dictionary and
    the analysis conversions (see ``runner.preload``)."""
    lexicon = load_lexicon(config)
    for script in ("zh-Hant", "zh-Hans"):
        match(convert.SAMPLE_TEXT, convert.to_analysis(convert.SAMPLE_TEXT, script, config), lexicon, None)


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8").rstrip("\n")
    script = entry["stages"]["convert"]["script"]
    lexicon = load_lexicon(config)
    spans = io.read_json(outputs / ".state" / "segment" / f"{doc_id}.json")["sentences"]
    sentences = _read_sentences(doc_id, spans, outputs)
    boundaries = token_boundaries(text, sentences) if sentences is not None else None
    analysis = convert.to_analysis(text, script, config)
    mentions, rejected = match(text, analysis, lexicon, boundaries)
    extracted = io.read_json(outputs / ".state" / "extract" / f"{doc_id}.json")
    locate(mentions, extracted["paragraphs"], spans, extracted["page_starts"])
    keys = ("concept", "surface", "start", "end", "paragraph", "sentence", "page")
    io.write_text(outputs / "tags" / f"{doc_id}.jsonl",
                  "".join(json.dumps({k: m[k] for k in keys}, ensure_ascii=False) + "\n" for m in mentions))
    concepts: dict[str, int] = {}
    for m in mentions:
        concepts[m["concept"]] = concepts.get(m["concept"], 0) + 1
    io.write_state(outputs / ".state" / "tag" / f"{doc_id}.json", {
        "concepts": concepts, "candidates": doc_candidates(text, analysis, sentences or [], mentions, lexicon)})
    return {"mentions": len(mentions), "concepts": len({m["concept"] for m in mentions}),
            "rejected": len(rejected), "rejected_surfaces": sorted({r["surface"] for r in rejected})[:20],
            "segmentation": boundaries is not None, "seconds": round(time.perf_counter() - started, 3)}


# --- corpus-level reports: outputs/concepts_not_found.csv and outputs/candidates.csv -------------------------------

def not_found(lexicon: Lexicon, counts: dict) -> list[list[str]]:
    """Rows (id, category, parent, zh_hant, zh_hans, en) of concepts with no mention, in dictionary order."""
    return [[c.id, c.category, c.parent, c.zh_hant, c.zh_hans, c.en]
            for c in lexicon.concepts.values() if not counts.get(c.id)]


def _candidate_key(token: str, analysis: str) -> str | None:
    """The analysis form a candidate word is counted under, or None for a non-word,
    a stopword, a number or a single Han character."""
    if convert.HAN.search(token):
        if len(token) < 2 or analysis in segment.stopwords("zh") or token in segment.stopwords("zh"):
            return None
        return analysis
    if not token.isalpha() or len(token) < 3:
        return None
    key = segment.lemma(token)
    return None if key in segment.stopwords("en") or token.lower() in segment.stopwords("en") else key


def doc_candidates(text: str, analysis: str, sentences, mentions: list[dict], lexicon: Lexicon) -> dict:
    """One document's share of the candidate new terms: words and two-word
    phrases of sentences that hold a tagged concept, outside every mention and
    in no dictionary. Counted per document in the tag stage (in parallel, and
    only for new documents) so that the corpus list is a cheap merge.

    ``sentences`` is [((start, end), [token, ...]), ...]. Returns {term
    (analysis script): [sentences with a concept, frequency in them,
    [[surface, count], ...], {concept: sentences}]}. Surfaces are kept in order
    of first appearance (a list: JSON files are written with sorted keys),
    because among equally frequent surfaces the first seen is shown.
    """
    import bisect

    known = set(lexicon.zh) | set(lexicon.en)
    out: dict[str, list] = {}
    covered = bytearray(len(text) + 1)
    for m in mentions:
        covered[m["start"]:m["end"]] = b"\x01" * (m["end"] - m["start"])
    starts = [m["start"] for m in mentions]  # mentions are in text order
    for (start, end), tokens in sentences:
        lo = bisect.bisect_left(starts, start)
        concepts = {m["concept"] for m in mentions[lo:] if m["start"] < end} if lo < len(starts) \
            and starts[lo] < end else set()
        if not concepts:
            continue
        words, pos = [], start
        for token in tokens:
            k = text.find(token, pos, end) if token else -1
            if k < 0:
                words.append(None)
                continue
            pos = k + len(token)
            key = None if any(covered[k:pos]) else _candidate_key(token, analysis[k:pos])
            words.append((key, token) if key else None)
        terms = [w for w in words if w]
        for a, b in zip(words, words[1:]):
            if a and b:
                joiner = "" if convert.HAN.search(a[1]) and convert.HAN.search(b[1]) else " "
                terms.append((a[0] + joiner + b[0], a[1] + joiner + b[1]))
        seen = set()
        for key, surface in terms:
            if key in known or _english_key(key) in lexicon.en:
                continue
            stats = out.setdefault(key, [0, 0, {}, {}])
            stats[1] += 1
            stats[2][surface] = stats[2].get(surface, 0) + 1  # a dict until returned
            if key not in seen:
                seen.add(key)
                stats[0] += 1
                for c in concepts:
                    stats[3][c] = stats[3].get(c, 0) + 1
    for stats in out.values():
        stats[2] = [[surface, n] for surface, n in stats[2].items()]
    return out


def merge_candidates(per_document) -> list[list]:
    """The ranked candidate list from (doc_id, :func:`doc_candidates`) pairs,
    in document order. Rows: rank, term, surface (its most frequent original
    form), sentences (with a concept), frequency (in those sentences),
    documents, concepts (the three it co-occurs with most). Only terms seen in
    two sentences or more."""
    from collections import Counter, defaultdict

    sentences_with, freq, docs_with = Counter(), Counter(), Counter()  # docs_with: how many documents
    surfaces, with_concepts = defaultdict(Counter), defaultdict(Counter)
    for _, terms in per_document:
        for key, (n_sentences, n, doc_surfaces, concepts) in terms.items():
            sentences_with[key] += n_sentences
            freq[key] += n
            docs_with[key] += 1  # a term is a key once per document
            surfaces[key].update(dict(doc_surfaces))
            with_concepts[key].update(concepts)
    ranked = sorted((k for k in sentences_with if sentences_with[k] >= 2),
                    key=lambda k: (-sentences_with[k], -docs_with[k], -freq[k], k))
    return [[rank, key, surfaces[key].most_common(1)[0][0], sentences_with[key], freq[key], docs_with[key],
             " ".join(c for c, _ in sorted(with_concepts[key].items(), key=lambda kv: (-kv[1], kv[0]))[:3])]
            for rank, key in enumerate(ranked, 1)]


CANDIDATE_HEADER = ["rank", "term", "surface", "sentences", "frequency", "documents", "concepts"]


def finish(doc_ids: list[str], config, outputs: Path) -> dict:
    """Corpus-level reports after the tag stage: ``concepts_not_found.csv`` (concepts
    of the dictionary with no mention in any document) and ``candidates.csv``
    (candidate new terms, see :func:`doc_candidates`) under ``outputs/``,
    merged from each document's ``.state/tag/<doc>.json``."""
    from collections import Counter

    lexicon = load_lexicon(config)
    counts: Counter = Counter()

    def per_document():
        for doc_id in doc_ids:
            state = io.read_json(outputs / ".state" / "tag" / f"{doc_id}.json", default=None)
            if state:
                counts.update(state["concepts"])
                yield doc_id, state["candidates"]

    rows = merge_candidates(per_document())
    missing = not_found(lexicon, counts)
    io.write_text(outputs / config.report.candidates, io.csv_text(CANDIDATE_HEADER, rows))
    io.write_text(outputs / "concepts_not_found.csv",
                  io.csv_text(["id", "category", "parent", "zh_hant", "zh_hans", "en"], missing))
    return {"candidates": len(rows), "concepts_not_found": len(missing)}
