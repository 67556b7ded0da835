"""The strategy-term dictionary, below the stages: the built-in
``mic2025.toml`` beside this file plus the user's files, parsed and validated
(a :class:`ConfigError` names file and line), indexed by alias in the analysis
script and by English lemma key, and cached. Used by the segment stage (every
alias is a jieba word), the tag stage (the matching) and graph and report (the
concepts' labels and parents); imports no stage.

A dictionary is a list of concepts with stable ASCII ids, labels in zh-Hant,
zh-Hans and en, and aliases in any script. Chinese aliases are folded into the
analysis script with every Traditional configuration (hk2s, tw2s, t2s), so a
term is found whatever script or regional variant a document uses.

A concept may carry a coding rule: ``near`` (one of these words must be within
``within`` characters before or after a mention) and ``not_near`` (none of them
may be), its words folded like aliases; and ``ambiguous = true`` for a slogan
that is also ordinary policy language (绿色发展), which the graph then leaves
out of the roll-up to parents. A chain of parents must not loop, across all
files.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import chinese, io, language
from ..errors import ConfigError

LEXICON_DIR = Path(__file__).resolve().parent
CATEGORIES = ("programme", "strategy", "foundation", "sector", "subfield", "project", "task",
              "guiding_principle", "basic_principle", "companion")
FIELDS = {"id": str, "category": str, "parent": str, "zh_hant": str, "zh_hans": str, "en": str,
          "aliases": list, "aliases_en": list, "near": list, "not_near": list, "within": int, "ambiguous": bool}
LISTS = ("aliases", "aliases_en", "near", "not_near")
WITHIN_DEFAULT, WITHIN_MAX = 10, 100  # characters either side of a mention that a rule looks at
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
    near: tuple[str, ...] = ()  # a mention counts only with one of these words within `within` characters
    not_near: tuple[str, ...] = ()  # ... and with none of these
    within: int = WITHIN_DEFAULT
    ambiguous: bool = False  # a slogan as much as a term: no roll-up to its parents


@dataclass(frozen=True)
class Lexicon:
    concepts: dict  # id -> Concept, in file order
    zh: dict  # analysis-script alias -> concept id
    en: dict  # English lemma key (see english_key) -> concept id
    max_len: int
    trie: dict = None  # the matching automaton over ``zh``
    en_max: int = 0  # tokens in the longest English alias
    rules: dict = None  # concept id -> Rule, for the concepts that have one
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


@dataclass(frozen=True)
class Rule:
    """A concept's coding rule with its words folded: Chinese words into every
    analysis-script form (as aliases), others into lower case."""
    near: frozenset
    not_near: frozenset
    within: int

    def admits(self, before: str, after: str) -> bool:
        """Whether a mention with ``before`` and ``after`` (the analysis text
        up to ``within`` characters either side) passes the rule.

        >>> rule = Rule(frozenset(), frozenset({"政务服务"}), 4)
        >>> rule.admits("推进", "制造"), rule.admits("推进", "政务服务")
        (True, False)
        """
        context = (before.lower(), after.lower())
        if self.near and not any(w in side for w in self.near for side in context):
            return False
        return not any(w in side for w in self.not_near for side in context)


def rule_forms(word: str) -> set[str]:
    """The forms a rule word is looked for in: folded like an alias when
    Chinese, in lower case otherwise.

    >>> sorted(rule_forms("政務服務")), sorted(rule_forms("Vacuum"))
    (['政务服务'], ['vacuum'])
    """
    return fold(word) if language.HAN.search(word) else {word.lower()}


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
    lines = text.splitlines()
    header_lines = _concept_lines(text)
    for number, raw in enumerate(data.get("concept", []), 1):
        cid = raw.get("id")
        line = header_lines[number - 1] if number <= len(header_lines) else None
        end = header_lines[number] if number < len(header_lines) else len(lines) + 1
        where = f"concept #{number}" + (f" ({cid})" if cid else "")

        def key_line(key: str, line=line, end=end) -> int | None:
            """The line of ``key = ...`` inside this concept's table (else its header)."""
            if line is None:
                return None
            found = (n for n in range(line + 1, end) if re.match(rf"\s*{key}\s*=", lines[n - 1]))
            return next(found, line)

        for key, value in raw.items():
            if key not in FIELDS:
                raise ConfigError(source, f"{where} {key}", "unknown key; expected one of " + ", ".join(FIELDS),
                                  line=key_line(key))
            kind = FIELDS[key]
            if kind is int:  # a TOML boolean is a Python int, and no count of characters
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, kind) and (key not in LISTS
                                                  or all(isinstance(a, str) and a.strip() for a in value))
            if not ok:
                expected = {list: "a list of non-empty strings", int: "an integer", bool: "true or false"}.get(
                    kind, "a string")
                raise ConfigError(source, f"{where} {key}", f"expected {expected}, got {value!r}",
                                  line=key_line(key))
        if "within" in raw:
            if not 1 <= raw["within"] <= WITHIN_MAX:
                raise ConfigError(source, f"{where} within", f"expected characters either side of a mention, "
                                  f"from 1 to {WITHIN_MAX}, got {raw['within']}", line=key_line("within"))
            if not raw.get("near") and not raw.get("not_near"):
                raise ConfigError(source, f"{where} within", "has no effect without near or not_near words",
                                  line=key_line("within"))
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
                                f"{source}:{line}", tuple(w.strip() for w in raw.get("near", ())),
                                tuple(w.strip() for w in raw.get("not_near", ())),
                                raw.get("within", WITHIN_DEFAULT), raw.get("ambiguous", False)))
    return concepts


def fold(alias: str) -> set[str]:
    """Analysis-script forms of a Chinese alias, under every folding.

    >>> sorted(fold("智慧製造"))
    ['智慧制造']
    """
    return {chinese.converter(name)(alias) for name in FOLDINGS} | {chinese.converter("t2s")(alias)}


def _where(concept: Concept) -> tuple[str, str | None]:
    path, _, line = concept.source.rpartition(":")
    return path, (line if line != "None" else None)


def check_parents(by_id: dict[str, Concept], order: list[str]) -> None:
    """Every parent exists and no chain of parents loops. Parent links are
    added in ``order`` (the order the concepts' definitions were read); the
    concept whose link closes a loop is the one named.

    >>> a = Concept("a", "companion", "b", "甲", "甲", "a", (), (), "x.toml:1")
    >>> b = Concept("b", "companion", "a", "乙", "乙", "b", (), (), "x.toml:8")
    >>> check_parents({"a": a, "b": b}, ["a", "b"])
    Traceback (most recent call last):
    ...
    pipeline.errors.ConfigError: x.toml:8: b parent: 'a' closes a cycle of parents: b -> a -> b
    """
    linked: dict[str, str] = {}
    for cid in order:
        concept = by_id[cid]
        if not concept.parent:
            continue
        if concept.parent not in by_id:
            path, line = _where(concept)
            raise ConfigError(path, f"{concept.id} parent", f"no concept with id {concept.parent!r}", line=line)
        chain, cur = [cid], concept.parent
        while cur and cur not in chain:
            chain.append(cur)
            cur = linked.get(cur)
        if cur:
            path, line = _where(concept)
            raise ConfigError(path, f"{concept.id} parent", f"{concept.parent!r} closes a cycle of parents: "
                              + " -> ".join(chain + [cur]), line=line)
        linked[cid] = concept.parent


def build_lexicon(concepts: list[Concept]) -> Lexicon:
    """Index concepts by alias; a later concept with the same id overrides an earlier one."""
    by_id: dict[str, Concept] = {}
    read_at: dict[str, int] = {}
    for number, concept in enumerate(concepts):
        by_id[concept.id] = concept
        read_at[concept.id] = number
    check_parents(by_id, sorted(by_id, key=read_at.get))
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    rules: dict[str, Rule] = {}
    for concept in by_id.values():
        if concept.near or concept.not_near:
            rules[concept.id] = Rule(frozenset(f for w in concept.near for f in rule_forms(w)),
                                     frozenset(f for w in concept.not_near for f in rule_forms(w)), concept.within)
        for alias in (concept.zh_hant, concept.zh_hans, *concept.aliases):
            for form in fold(alias):
                _claim(zh, form, concept, alias)
        for alias in (concept.en, *concept.aliases_en):
            _claim(en, english_key(alias), concept, alias)
    return Lexicon(by_id, zh, en, max((len(a) for a in zh), default=0), _trie(zh),
                   max((len(k.split(" ")) for k in en), default=0), rules)


def _claim(owners: dict, key: str, concept: Concept, alias: str) -> None:
    """Give ``key`` (a folded alias) to ``concept``; an alias belongs to one concept."""
    owner = owners.setdefault(key, concept.id)
    if owner != concept.id:
        path, _, line = concept.source.rpartition(":")
        raise ConfigError(path, f"{concept.id} alias {alias!r}",
                          f"already an alias of {owner!r}; an alias belongs to one concept",
                          line=line if line != "None" else None)


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
    under a key of the files' contents, the code of this module and of the
    two it folds and lemmatises with, and the library versions, so a run
    with an unchanged dictionary loads it at once.
    """
    from importlib import metadata

    texts = [Path(name).read_text(encoding="utf-8") for name in files]
    code = [Path(f).read_text(encoding="utf-8") for f in (__file__, chinese.__file__, language.__file__)]
    key = hashlib.sha256("\x00".join([*files, *texts, *code,
                                       *(metadata.version(p) for p in ("opencc", "lemminflect"))]).encode())

    def build() -> Lexicon:
        concepts = []
        for name, text in zip(files, texts):
            parsed = parse_lexicon(text, name)
            _check_unique_ids(parsed)
            concepts.extend(parsed)
        return build_lexicon(concepts)

    return io.cached_pickle(language.cache_folder(), "lexicon", key.hexdigest()[:24], build)


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


END = ""  # trie key of a terminal node: (concept id, whether jieba can keep the alias as one token)


def _trie(zh: dict) -> dict:
    """A character trie (the matching automaton) over all analysis-script aliases."""
    root: dict = {}
    for form, cid in zh.items():
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[END] = (cid, bool(language.JIEBA_WORD_CHARS.fullmatch(form)))
    return root


def english_key(alias: str) -> str:
    """The lemma key of an English alias: case, hyphens, spacing and inflection folded.

    >>> english_key("Aero-Engines"), english_key("robotics")
    ('aero engine', 'robotics')
    """
    return " ".join(t[2] for t in language.english_tokens(alias))


def english_lookup(lexicon: Lexicon, surface: str) -> str | None:
    """The concept an English wording names, if any (any case or inflection)."""
    return lexicon.en.get(english_key(surface))


# --- adding a concept to a user dictionary (python -m pipeline lexicon add) ----------------------------------------

USER_HEADER = """# User dictionary of the policy pipeline: [[concept]] tables as in pipeline/lexicon/mic2025.toml
# (see docs/dictionary.md). Written by `python -m pipeline lexicon add`; edit freely.
"""


def snake_id(label: str) -> str:
    """An id made from an English label (never from a Chinese surface, which a converter may change).

    >>> snake_id("Industrial APP"), snake_id("6G"), snake_id("新基建")
    ('industrial_app', 'c_6g', '')
    """
    words = re.findall(r"[a-z0-9]+", label.lower())
    cid = "_".join(words)
    return ("c_" + cid if cid[:1].isdigit() else cid) if cid else ""


def concept_entry(term: str, *, cid: str, en: str, category: str = "companion", parent: str = "") -> str:
    """The TOML table of a new concept: ``term`` (any script) gives both labels
    through OpenCC (zh_hans with t2s, zh_hant with s2hk, the built-in
    dictionary's convention); a Taiwan or Hong Kong wording that differs from
    the mainland one is kept as an alias.

    >>> print(concept_entry("工業APP", cid="industrial_app", en="industrial app"), end="")
    [[concept]]
    id = "industrial_app"
    category = "companion"
    parent = ""
    zh_hant = "工業APP"
    zh_hans = "工业APP"
    en = "industrial app"
    aliases = []
    aliases_en = []
    """
    import json

    hans = chinese.converter("t2s")(term)
    hant = chinese.converter("s2hk")(hans)
    aliases = [term] if term not in (hans, hant) else []

    def q(value):  # a TOML basic string (JSON's escapes are TOML's)
        return json.dumps(value, ensure_ascii=False)

    return (f"[[concept]]\nid = {q(cid)}\ncategory = {q(category)}\nparent = {q(parent)}\nzh_hant = {q(hant)}\n"
            f"zh_hans = {q(hans)}\nen = {q(en)}\naliases = [{', '.join(map(q, aliases))}]\naliases_en = []\n")


def check_files(paths) -> Lexicon:
    """Parse, validate and index dictionary files in order, as the tag stage
    would (uncached): the ConfigError of the first problem, or the lexicon."""
    concepts = []
    for path in paths:
        path = Path(path)
        parsed = parse_lexicon(path.read_text(encoding="utf-8"), str(path))
        _check_unique_ids(parsed)
        concepts.extend(parsed)
    return build_lexicon(concepts)
