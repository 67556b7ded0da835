"""Chinese scripts, below the stages: one interface over the OpenCC bindings
(:func:`converter`, :func:`is_config_name`), conversion with offsets mapped
both ways (:func:`align`), script and language detection, and the text in the
analysis script that segment and tag read (:func:`analysis_view`,
:func:`to_analysis`). Used by the convert, segment and tag stages, the
dictionary (:mod:`pipeline.lexicon`) and config; imports no stage.

All conversion goes through :func:`converter`: the official ``opencc``
package (preferred: it passes all of OpenCC's own test cases) or, when a user
has only that one installed, ``opencc-python-reimplemented``, which installs a
module of the same name with a different constructor.

OpenCC converts phrase by phrase, and some phrases change length (s2twp turns
鼠标 into 滑鼠 but U盘 into 隨身碟). :func:`align` converts a text and returns
an :class:`Aligned` text that maps offsets both ways, block by block, so a token
found in the converted text can be cut from the original characters.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

from .errors import ConfigError
from .language import HAN, LATIN, paragraph_spans

# OpenCC never converts across these (no dictionary phrase holds one), so a
# text can be converted piece by piece between them and offsets stay exact.
SEPARATOR = re.compile(r"[\s。，、；：？！「」『』（）《》〈〉【】,;:?!()\[\]\"']")
# Hong Kong and Taiwan variants that neither hk2s nor t2s folds but tw2s does;
# these two are left out because they are ordinary Simplified characters too
# (什么, 著名), so folding them would damage Simplified text.
AMBIGUOUS_VARIANTS = frozenset("么著")


@functools.lru_cache(maxsize=None)
def converter(config_name: str) -> Callable[[str], str]:
    """A function converting text with the OpenCC configuration ``config_name``
    (t2s, s2t, hk2s, s2hk, tw2s, s2tw, s2twp, tw2sp, t2hk, t2tw, ...).

    >>> converter("hk2s")("衞生綫路")
    '卫生线路'
    """
    import opencc

    name = config_name.removesuffix(".json")
    try:
        if hasattr(opencc, "CONFIGS"):  # official bindings: OpenCC("t2s.json")
            if not is_config_name(name):
                raise ValueError(name)
            return opencc.OpenCC(f"{name}.json").convert
        # opencc-python-reimplemented: OpenCC("t2s"); it knows fewer configs and
        # raises only on the first conversion, so convert once here.
        convert = opencc.OpenCC(name).convert
        convert("中")
        return convert
    except Exception:
        raise ConfigError("opencc", config_name, "not an OpenCC configuration name (t2s, s2t, hk2s, s2hk, tw2s, "
                                                 "s2tw, s2twp, tw2sp, t2hk, t2tw, ...)") from None


def is_config_name(config_name: str) -> bool:
    """Is ``config_name`` an OpenCC configuration (hk2s, t2s.json, ...)? The
    official bindings list their configurations, so nothing is loaded (every
    command checks the config, and making a converter loads its tables); the
    reimplementation has no list, and is asked to convert.

    >>> is_config_name("hk2s"), is_config_name("hk2x")
    (True, False)
    """
    import opencc

    if hasattr(opencc, "CONFIGS"):
        return f"{config_name.removesuffix('.json')}.json" in opencc.CONFIGS
    try:
        converter(config_name)
        return True
    except ConfigError:
        return False


def per_character(text: str, convert: Callable[[str], str]) -> list[str]:
    """Each character of ``text`` converted on its own (no phrase context), in one OpenCC call.

    >>> per_character("乾隆", converter("t2s"))
    ['干', '隆']
    """
    chars = list(text.replace("\n", " "))
    out = convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # a converter that rewrote the newlines: slow path
        out = [convert(c) for c in chars]
    return [o if c != "\n" else c for c, o in zip(text, out)]


@dataclass(frozen=True)
class Aligned:
    """A text and its conversion, with offsets mapped both ways.

    ``orig_bounds[k]`` and ``conv_bounds[k]`` are aligned offsets, increasing
    in both. Between two neighbouring boundaries lies one block: one character
    converted to one, or a phrase whose length changed (an equal-length phrase
    such as 鼠标 -> 滑鼠 is split into characters). An offset inside a block
    maps to the block's start (for a start) or end (for an end), so a span
    always maps to a span that covers it.

    >>> a = align("鼠标和U盘", converter("s2twp"))
    >>> a.converted
    '滑鼠和隨身碟'
    >>> a.to_original(3, 6), a.original[3:5]
    ((3, 5), 'U盘')
    >>> a.to_converted(4, 5), a.to_converted(2, 3)
    ((3, 6), (2, 3))
    """
    original: str
    converted: str
    orig_bounds: np.ndarray | None = None  # None: one character for one everywhere
    conv_bounds: np.ndarray | None = None
    same_length: bool = field(init=False)  # offsets need no map

    def __post_init__(self):
        object.__setattr__(self, "same_length", self.orig_bounds is None or (
            len(self.original) == len(self.converted) == len(self.orig_bounds) - 1))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(orig_bounds, conv_bounds), materialised for a one-for-one text too."""
        import numpy as np

        if self.orig_bounds is None:
            b = np.arange(len(self.original) + 1, dtype=np.int64)
            return b, b
        return self.orig_bounds, self.conv_bounds

    @staticmethod
    def _map(start: int, end: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, int]:
        import numpy as np

        i = int(np.searchsorted(src, start, "right")) - 1
        j = int(np.searchsorted(src, end, "left"))
        return int(dst[max(i, 0)]), int(dst[min(j, len(dst) - 1)])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the converted span ``[start, end)``."""
        if self.same_length:
            return start, end
        return self._map(start, end, self.conv_bounds, self.orig_bounds)

    def to_converted(self, start: int, end: int) -> tuple[int, int]:
        """The converted span of the original span ``[start, end)``."""
        if self.same_length:
            return start, end
        return self._map(start, end, self.orig_bounds, self.conv_bounds)

    def is_boundary(self, pos: int) -> bool:
        """Whether converted offset ``pos`` is a block boundary (a cut there maps exactly)."""
        import numpy as np

        if self.same_length:
            return True
        i = int(np.searchsorted(self.conv_bounds, pos))
        return i < len(self.conv_bounds) and int(self.conv_bounds[i]) == pos

    def same_length_text(self, convert: Callable[[str], str] | None = None) -> str:
        """The conversion with the original's length: character i stands for
        original character i. A block that changed length is converted
        character by character instead (a character that would not stay one
        character is kept as it is)."""
        if self.same_length:
            return self.converted
        out = []
        ob, cb = self.bounds()
        for k in range(len(ob) - 1):
            o0, o1, c0, c1 = int(ob[k]), int(ob[k + 1]), int(cb[k]), int(cb[k + 1])
            if o1 - o0 == c1 - c0:
                out.append(self.converted[c0:c1])
            elif convert is None:
                out.append(self.original[o0:o1])
            else:
                out.extend(c if len(c) == 1 else o for o, c in zip(self.original[o0:o1],
                                                                   per_character(self.original[o0:o1], convert)))
        return "".join(out)


def identity(text: str) -> Aligned:
    """A text aligned with itself."""
    return Aligned(text, text)


def _pieces(text: str) -> list[tuple[int, int]]:
    """Runs between separators, and each separator alone."""
    out, start = [], 0
    for m in SEPARATOR.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        out.append((m.start(), m.end()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def _blocks(piece: str, converted: str, chars: list[str], convert) -> list[tuple[int, int]]:
    """Aligned (original, converted) lengths of the blocks of one piece.

    Where the piece's conversion equals its characters' own conversions, every
    character is a block. Elsewhere the shortest prefix whose conversion can be
    split off (``convert(p[:k]) + convert(p[k:]) == convert(p)``) is a block:
    that is OpenCC's own phrase boundary.
    """
    if "".join(chars) == converted and all(len(c) == 1 for c in chars):
        return [(1, 1)] * len(piece)
    blocks, i, pos, n = [], 0, 0, len(piece)
    while i < n:
        for k in range(i + 1, n + 1):
            head = chars[i] if k == i + 1 else convert(piece[i:k])
            if converted.startswith(head, pos) and (k == n or convert(piece[k:]) == converted[pos + len(head):]):
                break
        if k - i == len(head):  # an equal-length phrase (头发 -> 頭髮): character by character
            blocks.extend([(1, 1)] * (k - i))
        else:
            blocks.append((k - i, len(head)))
        i, pos = k, pos + len(head)
    return blocks


def align(text: str, convert: Callable[[str], str]) -> Aligned:
    """Convert ``text`` and map offsets between the original and the conversion.

    >>> a = align("機牀", converter("hk2s"))
    >>> a.converted, a.same_length
    ('机床', True)
    """
    import numpy as np  # here, not at the top: `extract`, `status` and a no-op run never need it

    whole = convert(text)
    if len(whole) == len(text) and convert("\n".join(text.replace("\n", " "))) == "\n".join(whole.replace("\n", " ")):
        return Aligned(text, whole)  # the common case: every character converted on its own, one for one
    chars = per_character(text, convert)
    pieces = _pieces(text)
    strings = [text[s:e] for s, e in pieces]
    outs = convert("\n".join(s if s != "\n" else " " for s in strings)).split("\n")
    if len(outs) != len(strings) or "".join(o if s != "\n" else "\n" for s, o in zip(strings, outs)) != whole:
        # a phrase crossed a separator (or the converter rewrote newlines): one piece
        pieces, strings, outs = [(0, len(text))], [text], [whole]
    outs = [o if s != "\n" else "\n" for s, o in zip(strings, outs)]
    o_lens, c_lens = [], []
    for (s, e), piece, out in zip(pieces, strings, outs):
        piece_chars = chars[s:e]
        if len(out) == len(piece) and all(len(c) == 1 for c in piece_chars) and "".join(piece_chars) == out:
            o_lens.extend([1] * len(piece))
            c_lens.extend([1] * len(piece))
            continue
        for o_len, c_len in _blocks(piece, out, piece_chars, convert):
            o_lens.append(o_len)
            c_lens.append(c_len)
    ob = np.concatenate(([0], np.cumsum(o_lens, dtype=np.int64)))
    cb = np.concatenate(([0], np.cumsum(c_lens, dtype=np.int64)))
    if ob[-1] != len(text) or cb[-1] != len(whole):  # cannot happen with OpenCC; stay safe with one block
        ob, cb = np.array([0, len(text)], dtype=np.int64), np.array([0, len(whole)], dtype=np.int64)
    return Aligned(text, whole, ob, cb)


def concat(parts: list[Aligned]) -> Aligned:
    """One Aligned text from consecutive parts."""
    import numpy as np

    original, converted = "".join(p.original for p in parts), "".join(p.converted for p in parts)
    if all(p.orig_bounds is None for p in parts):
        return Aligned(original, converted)
    obs, cbs, o0, c0 = [np.zeros(1, dtype=np.int64)], [np.zeros(1, dtype=np.int64)], 0, 0
    for part in parts:
        pob, pcb = part.bounds()
        obs.append(pob[1:] + o0)
        cbs.append(pcb[1:] + c0)
        o0, c0 = o0 + len(part.original), c0 + len(part.converted)
    return Aligned(original, converted, np.concatenate(obs), np.concatenate(cbs))


# --- script, language and region --------------------------------------------------------------------------------

def _cjk() -> list[str]:
    return [chr(c) for r in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)) for c in range(*r)]


@functools.lru_cache(maxsize=None)
def _changed_by(config_name: str) -> dict[str, str]:
    """Characters that ``config_name`` changes on their own, and into what."""
    chars = _cjk()
    return {c: o for c, o in zip(chars, per_character("".join(chars), converter(config_name))) if o != c}


@functools.lru_cache(maxsize=None)
def variant_folds(config_name: str) -> dict[str, str]:
    """Regional variants ``config_name`` leaves unconverted but the other
    regional configuration folds, each mapped to its Simplified form.

    hk2s folds every Hong Kong variant and all Taiwan variants but 簷 痺 睪
    (and the ambiguous 么 著); tw2s misses 敍 枱 衞. Chaining the two whole
    configurations instead breaks phrases (乾安縣 -> 干安县), so only these
    characters are folded, one by one, after the configuration.

    >>> sorted(variant_folds("hk2s").items())
    [('痺', '痹'), ('睪', '睾'), ('簷', '檐')]
    """
    variants = set(_changed_by("t2hk").values()) | set(_changed_by("t2tw").values())
    own = converter(config_name)
    out = {}
    for other in ("hk2s", "tw2s"):
        folded = _changed_by(other)
        for v in sorted(variants):
            if len(v) == 1 and v in folded and own(v) == v and v not in AMBIGUOUS_VARIANTS:
                out.setdefault(v, folded[v])
    return out


def analysis_converter(config_name: str) -> Callable[[str], str]:
    """``config_name`` followed by the character folds of :func:`variant_folds`.

    >>> analysis_converter("hk2s")("衞生綫路屋簷")
    '卫生线路屋檐'
    """
    return _analysis_converter(config_name)


@functools.lru_cache(maxsize=None)
def _analysis_converter(config_name: str):
    convert = converter(config_name)
    folds = variant_folds(config_name)
    if not folds:
        return convert
    table = str.maketrans(folds)
    present = re.compile("[" + "".join(map(re.escape, folds)) + "]")

    def fold(text: str) -> str:
        out = convert(text)
        return out.translate(table) if present.search(out) else out
    return fold


@functools.lru_cache(maxsize=None)
def _script_chars() -> tuple[re.Pattern, re.Pattern]:
    """Patterns of Traditional-only and Simplified-only characters (changed by t2s, by s2t)."""
    return tuple(re.compile("[" + "".join(map(re.escape, sorted(_changed_by(name)))) + "]")
                 for name in ("t2s", "s2t"))


def detect_script(text: str) -> dict:
    """Script and language of a text.

    ``script`` is zh-Hant when it has more Traditional-only characters (changed
    by t2s) than Simplified-only ones (changed by s2t), zh-Hans otherwise (also
    on a tie: ``decided`` is then False), None without Han characters;
    ``language`` is zh, en, mixed or unknown by the share of Han characters
    against Latin letters.

    >>> detect_script("兩化融合")["script"], detect_script("两化融合")["script"]
    ('zh-Hant', 'zh-Hans')
    >>> detect_script("中文")["decided"], detect_script("Made in China 2025")["language"]
    (False, 'en')
    """
    trad, simp = _script_chars()
    han = len(HAN.findall(text))
    latin = len(LATIN.findall(text))
    traditional_only = len(trad.findall(text))
    simplified_only = len(simp.findall(text))
    if han == 0:
        script = None
    elif traditional_only > simplified_only:
        script = "zh-Hant"
    else:
        script = "zh-Hans"
    # Latin letters per word are ~5 characters, Han characters ~1.5 per word
    zh_weight, en_weight = han / 1.5, latin / 5
    if zh_weight == en_weight == 0:
        language = "unknown"
    elif zh_weight > 4 * en_weight:
        language = "zh"
    elif en_weight > 4 * zh_weight:
        language = "en"
    else:
        language = "mixed"
    return {"script": script, "decided": traditional_only != simplified_only, "language": language,
            "han_chars": han, "latin_letters": latin, "traditional_only": traditional_only,
            "simplified_only": simplified_only}


def detect_paragraphs(text: str, default_script: str | None = None) -> tuple[dict, list[dict]]:
    """The document's script and language, and each paragraph's.

    A paragraph's ``label`` is zh-Hant, zh-Hans, en, mixed (Chinese with much
    English) or other (no letters at all). Its ``script`` is the script of its
    Han characters; a paragraph without script-specific characters (中文 is
    both) takes the document's, which is the script of the majority of the
    document's script-specific characters (``default_script`` on a tie). The
    document's ``majority`` is the label with the most words.

    >>> doc, paras = detect_paragraphs("推進兩化融合，發展智慧製造。\\n\\n中文。\\n\\nMade in China.")
    >>> doc["script"], doc["majority"], [p["label"] for p in paras]
    ('zh-Hant', 'zh-Hant', ['zh-Hant', 'zh-Hant', 'en'])
    """
    whole = detect_script(text)
    script = whole["script"]
    if script is not None and not whole["decided"] and default_script in ("zh-Hans", "zh-Hant"):
        script = default_script
    paragraphs = []
    sizes: dict[str, int] = {}
    for start, end in paragraph_spans(text):
        found = detect_script(text[start:end])
        p_script = found["script"] if found["decided"] or found["script"] is None else script
        if found["language"] in ("en", "mixed"):
            label = found["language"]
        elif found["language"] == "zh":
            label = p_script
        else:
            label = "other"
        paragraphs.append({"start": start, "end": end, "script": p_script, "language": found["language"],
                           "label": label})
        # weighed in words, as the language share is (~1.5 Han characters, ~5 letters a word)
        sizes[label] = sizes.get(label, 0) + found["han_chars"] / 1.5 + found["latin_letters"] / 5
    counted = {k: v for k, v in sizes.items() if k != "other"}
    majority = max(sorted(counted), key=counted.get) if counted else "other"
    counts: dict[str, int] = {}
    for p in paragraphs:
        counts[p["label"]] = counts.get(p["label"], 0) + 1
    return ({**whole, "script": script, "majority": majority, "paragraphs": dict(sorted(counts.items()))},
            paragraphs)


def config_for(source_script: str, target_script: str, cfg) -> str:
    """The OpenCC configuration turning one script into the other."""
    if source_script == "zh-Hant" and target_script == "zh-Hans":
        return cfg.traditional_to_simplified
    if source_script == "zh-Hans" and target_script == "zh-Hant":
        return cfg.simplified_to_traditional
    raise ValueError(f"no conversion from {source_script} to {target_script}")


def _analysis_parts(text: str, script: str | None, config) -> list[tuple[Aligned, Callable | None]]:
    target = config.segment.analysis_script
    if not HAN.search(text):
        return [(identity(text), None)]
    _, paragraphs = detect_paragraphs(text, default_script=script)
    parts, pos = [], 0
    for p in paragraphs:
        if p["script"] in (None, target) or not HAN.search(text[p["start"]:p["end"]]):
            continue
        if p["start"] > pos:
            parts.append((identity(text[pos:p["start"]]), None))
        convert = analysis_converter(config_for(p["script"], target, config.convert))
        parts.append((align(text[p["start"]:p["end"]], convert), convert))
        pos = p["end"]
    if pos < len(text) or not parts:
        parts.append((identity(text[pos:]), None))
    return parts


def analysis_view(text: str, script: str | None, config) -> Aligned:
    """``text`` in the analysis script, paragraph by paragraph, with offsets mapped.

    Each paragraph is converted by its own script (a Traditional paragraph in a
    Simplified document too); ``script`` (the document's) decides paragraphs
    without script-specific characters. Traditional paragraphs go through
    ``convert.traditional_to_simplified`` plus :func:`variant_folds`.

    >>> from pipeline.config import Config
    >>> analysis_view("推進兩化融合。\\n\\n推进两化融合。", "zh-Hans", Config()).converted
    '推进两化融合。\\n\\n推进两化融合。'
    """
    parts = _analysis_parts(text, script, config)
    return parts[0][0] if len(parts) == 1 else concat([a for a, _ in parts])


def to_analysis(text: str, script: str | None, config) -> str:
    """The text in the analysis script (zh-Hans), same length as ``text``:
    character i of the result stands for character i of ``text``. Where a
    phrase conversion changed length, that phrase is converted character by
    character instead. :func:`analysis_view` gives the real conversion and
    its offset map.

    >>> from pipeline.config import Config
    >>> to_analysis("香港的機牀", "zh-Hant", Config())
    '香港的机床'
    """
    return "".join(a.same_length_text(convert) for a, convert in _analysis_parts(text, script, config))

