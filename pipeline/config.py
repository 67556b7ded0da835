"""config.toml -> frozen dataclasses, with one-line errors and section hashes.

The config is loaded once by the CLI and passed down; no module reads it on
import. Each stage reads only its own section, and the hash of that section is
part of the stage's cache key, so editing ``[graph]`` redoes only the graph.

>>> cfg = load_config(None, overrides=["graph.window=paragraph"])
>>> cfg.graph.window
'paragraph'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from .errors import ConfigError

SCRIPTS = ("zh-Hans", "zh-Hant")


@dataclass(frozen=True)
class RunConfig:
    corpus: str = "corpus"  # folder of input documents, searched recursively
    outputs: str = "outputs"  # folder of generated outputs
    jobs: int = 0  # worker processes for per-document work; 0: one per CPU core
    executor: Literal["local", "dask"] = "local"  # where per-document work runs
    scheduler: str = ""  # Dask scheduler address (executor "dask")


@dataclass(frozen=True)
class ExtractConfig:
    engine: Literal["pdfplumber", "pdfium"] = "pdfplumber"  # pdfium (pypdfium2): faster, same cleanup
    header_band: float = 0.1  # top fraction of a page where running headers live
    footer_band: float = 0.1  # bottom fraction where footers and page numbers live
    fullwidth_to_ascii: bool = True  # Ｏｐｔｉｍｉｚａｔｉｏｎ -> Optimization; CJK punctuation kept
    fallback: bool = True  # a garbled or empty page is retried with the other engine, then OCR
    ocr: bool = True  # OCR (tesseract) as the last fallback, when tesseract is installed
    ocr_languages: str = "auto"  # "auto" (from the document's script) or tesseract languages, e.g. "chi_tra+eng"
    ocr_dpi: int = 300  # resolution pages are rendered at for OCR
    timeout_seconds: float = 120.0  # wall-clock budget of one PDF (plus ocr_page_seconds per OCR page)
    ocr_page_seconds: float = 60.0  # extra budget per page sent to OCR
    ocr_max_seconds: float = 600.0  # the most OCR may add to one PDF's budget, whatever its pages
    memory_mb: int = 2048  # address space (MB) one PDF may take on top of what the worker already holds
    max_text_mb: float = 10.0  # a .txt file, or the text read from a PDF, over this size (MB of UTF-8) fails


@dataclass(frozen=True)
class ConvertConfig:
    outputs: tuple[str, ...] = SCRIPTS  # scripts written to converted/
    traditional_to_simplified: str = "hk2s"  # OpenCC config for zh-Hant documents
    simplified_to_traditional: str = "s2hk"  # OpenCC config for zh-Hans documents


@dataclass(frozen=True)
class SegmentConfig:
    analysis_script: Literal["zh-Hans"] = "zh-Hans"  # jieba's dictionary is Simplified
    hmm: bool = True  # jieba's HMM for words not in its dictionary


@dataclass(frozen=True)
class TagConfig:
    builtin: bool = True  # use pipeline/lexicon/*.toml
    dictionaries: tuple[str, ...] = ()  # extra TOML dictionaries, relative to the config file


@dataclass(frozen=True)
class GraphConfig:
    window: Literal["sentence", "paragraph", "document", "words"] = "sentence"
    window_size: int = 10  # words per sliding window when window = "words" (punctuation does not count)
    roll_up: Literal["none", "parent", "ancestors"] = "none"  # a mention also counts for its parent (or all ancestors)
    min_weight: int = 1  # pairs co-occurring in fewer windows are not exported
    max_evidence: int = 5  # evidence items kept per edge (the total count is kept too)
    snippet_chars: int = 80  # characters of context in a snippet, besides the two mentions and the … marks
    seed: int = 42  # seed of community detection and layout
    group_by: str = ""  # metadata key (stages.extract.metadata) for one graph per value; "" for none
    group_pattern: str = ""  # regex applied to that value, first group kept, e.g. "(\\d{4})" for the year
    metadata_from_names: str = ""  # regex with named groups searched in a document's path: metadata from file names


@dataclass(frozen=True)
class ReportConfig:
    title: str = "《中國製造2025》 concept graph"
    top_n: int = 30  # rows in the top-concepts, top-edges and candidate-terms tables
    labels: Literal["zh-Hant", "zh-Hans", "en"] = "zh-Hant"  # label script shown first (page) and in the figure
    kwic_per_concept: int = 20  # mentions in context embedded per concept (taken in turn from each document)
    kwic_chars: int = 30  # characters of context either side of a mention
    figure_fonts: tuple[str, ...] = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK TC")  # CJK fonts tried
    candidates: str = "candidates.csv"  # candidate new terms, relative to outputs/ (shown when the file exists)


@dataclass(frozen=True)
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    convert: ConvertConfig = field(default_factory=ConvertConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    tag: TagConfig = field(default_factory=TagConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    path: str = "<defaults>"  # the file it was read from

    def section_hash(self, name: str) -> str:
        """Hash of one section's values (plus the content of files it names)."""
        data = dataclasses.asdict(getattr(self, name))
        if name == "tag":
            base = Path(self.path).parent
            data["dictionary_files"] = [
                hashlib.sha256((base / p).read_bytes()).hexdigest() for p in self.tag.dictionaries
            ]
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def hash(self) -> str:
        return hashlib.sha256("".join(self.section_hash(s) for s in SECTIONS).encode()).hexdigest()[:16]


SECTIONS = tuple(f.name for f in dataclasses.fields(Config) if f.name != "path")


def _line_of(text: str, section: str, key: str | None) -> int | None:
    """Line number of ``key`` inside ``[section]`` (or of the header), for messages."""
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = re.match(r"\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            if key is None and current == section:
                return number
        elif current == section and key and re.match(rf"{re.escape(key)}\s*=", line):
            return number
    return None


def _describe(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"a list of {typing.get_args(tp)[0].__name__}"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}[tp]


def _check(value, tp):
    """Return value coerced to tp, or raise ValueError."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
    elif origin is tuple:
        item = typing.get_args(tp)[0]
        if isinstance(value, list) and all(isinstance(v, item) for v in value):
            return tuple(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, tp):
        return value
    raise ValueError


def _parse_override(item: str):
    """``graph.window=paragraph`` -> ("graph", "window", "paragraph").

    The value is read as a TOML value when it is one (``3``, ``true``,
    ``["zh-Hans"]``) and as a plain string otherwise.
    """
    name, sep, raw = item.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot or not key:
        raise ConfigError("--set", item, "expected section.key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return section, key, value


def load_config(path: str | Path | None, overrides: list[str] = ()) -> Config:
    """Read a config file (None: defaults only) and apply ``--set`` overrides."""
    text, data = "", {}
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(path, "config file", "not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(path, "config file", f"cannot be read as UTF-8 ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise ConfigError(path, "TOML syntax", str(exc), line=line and int(line.group(1))) from None
    origin = {}  # (section, key) -> where the value came from
    for item in overrides:
        section, key, value = _parse_override(item)
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError("--set", section, "expected a section name")
        data[section][key] = value
        origin[(section, key)] = "--set"

    where = str(path) if path is not None else "<defaults>"
    sections = {}
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigError(where, f"[{section}]", "unknown section; expected one of " + ", ".join(SECTIONS),
                              line=_line_of(text, section, None))
        cls = {f.name: f.type for f in dataclasses.fields(Config)}[section]
        cls = globals()[cls] if isinstance(cls, str) else cls
        hints = typing.get_type_hints(cls)
        if not isinstance(values, dict):
            raise ConfigError(where, section, "expected a [section] table")
        kwargs = {}
        for key, value in values.items():
            src = origin.get((section, key), where)
            line = None if src == "--set" else _line_of(text, section, key)
            if key not in hints:
                raise ConfigError(src, f"[{section}] {key}", "unknown key; expected one of " + ", ".join(hints),
                                  line=line)
            try:
                kwargs[key] = _check(value, hints[key])
            except ValueError:
                raise ConfigError(src, f"[{section}] {key}", f"expected {_describe(hints[key])}, got {value!r}",
                                  line=line) from None
        sections[section] = cls(**kwargs)
    config = Config(**sections, path=where)
    _validate(config, text, origin)
    return config


def _validate(config: Config, text: str, origin: dict) -> None:
    """Checks that need more than a type: value ranges, files that must exist."""
    where = config.path

    def fail(section, key, expected):
        if (section, key) in origin:
            raise ConfigError("--set", f"[{section}] {key}", expected)
        raise ConfigError(where, f"[{section}] {key}", expected, line=_line_of(text, section, key))

    if config.run.jobs < 0:
        fail("run", "jobs", f"expected an integer >= 0 (0: one per CPU core), got {config.run.jobs}")
    for key in ("header_band", "footer_band"):
        if not 0 <= getattr(config.extract, key) < 0.5:
            fail("extract", key, "expected a number between 0 and 0.5")
    if not re.fullmatch(r"auto|[a-z_]+(\+[a-z_]+)*", config.extract.ocr_languages):
        fail("extract", "ocr_languages", f'expected "auto" or tesseract languages joined by "+" (chi_sim+eng), '
                                         f"got {config.extract.ocr_languages!r}")
    # budgets: finite and within reason (inf or 1e14 would be no budget at all)
    for key, low, high in (("ocr_dpi", 72, 1200), ("timeout_seconds", 1, 86400), ("ocr_page_seconds", 1, 86400),
                           ("ocr_max_seconds", 0, 86400), ("memory_mb", 256, 1 << 20), ("max_text_mb", 0.001, 1000)):
        value = getattr(config.extract, key)
        if not math.isfinite(value) or not low <= value <= high:
            fail("extract", key, f"expected a number from {low:g} to {high:g}, got {value!r}")
    candidates = PurePosixPath(config.report.candidates.replace("\\", "/"))
    if (not config.report.candidates or candidates.is_absolute() or ".." in candidates.parts
            or candidates.parts[:1] in ((".state",), (".stamps",), ("manifest.json",))):
        fail("report", "candidates", f"expected a file name inside the outputs folder (no '..', not absolute), "
                                     f"got {config.report.candidates!r}")
    for script in config.convert.outputs:
        if script not in SCRIPTS:
            fail("convert", "outputs", f"expected scripts from {', '.join(SCRIPTS)}, got {script!r}")
    for key in ("min_weight", "max_evidence", "snippet_chars"):
        if getattr(config.graph, key) < 1:
            fail("graph", key, "expected an integer >= 1")
    for key in ("top_n", "kwic_chars"):
        if getattr(config.report, key) < 1:
            fail("report", key, "expected an integer >= 1")
    if config.report.kwic_per_concept < 0:
        fail("report", "kwic_per_concept", "expected an integer >= 0")
    if config.graph.window_size < 2:
        fail("graph", "window_size", "expected an integer >= 2")
    try:
        re.compile(config.graph.group_pattern)
    except re.error as exc:
        fail("graph", "group_pattern", f"expected a regular expression ({exc})")
    if config.graph.metadata_from_names:
        from .metadata import check_name_pattern

        problem = check_name_pattern(config.graph.metadata_from_names)
        if problem:
            fail("graph", "metadata_from_names", problem)
    from .chinese import is_config_name  # OpenCC names are checked by OpenCC itself

    for key in ("traditional_to_simplified", "simplified_to_traditional"):
        if not is_config_name(getattr(config.convert, key)):
            fail("convert", key, f"expected an OpenCC configuration name (hk2s, tw2s, t2s, s2hk, s2tw, s2t, ...), "
                                 f"got {getattr(config.convert, key)!r}")
    base = Path(where).parent if where != "<defaults>" else Path(".")
    for name in config.tag.dictionaries:
        if not (base / name).is_file():
            fail("tag", "dictionaries", f"dictionary file {base / name} not found")
