"""Stage 2, convert: text/<doc>.txt -> converted/<doc>.<script>.txt, and the
script and language of the document.

All conversion goes through :func:`converter`, one small interface over the
OpenCC bindings: the official ``opencc`` package (preferred: it passes all of
OpenCC's own test cases) or, when a user has only that one installed,
``opencc-python-reimplemented``, which installs a module of the same name with
a different constructor.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from typing import Callable

from . import io
from .errors import ConfigError

NAME = "convert"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
LATIN = re.compile(r"[A-Za-z]")


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
        if hasattr(opencc, "CONFIGS"):  # official bindings
            if f"{name}.json" not in opencc.CONFIGS:
                raise ValueError(name)
            return opencc.OpenCC(f"{name}.json").convert
        return opencc.OpenCC(name).convert  # opencc-python-reimplemented
    except Exception:
        raise ConfigError("opencc", config_name, "not an OpenCC configuration name (t2s, s2t, hk2s, s2hk, tw2s, "
                                                 "s2tw, s2twp, tw2sp, t2hk, t2tw, ...)") from None


def convert_same_length(text: str, convert: Callable[[str], str]) -> str:
    """Convert ``text`` so that character i of the result stands for character
    i of the input, which keeps offsets valid in both scripts.

    Phrase conversions can change lengths; where a line's length changes, that
    line is converted character by character instead (a character whose
    conversion is not one character is kept as it is).

    >>> convert_same_length("機牀", converter("hk2s"))
    '机床'
    """
    whole = convert(text)
    if len(whole) == len(text):
        return whole
    out = []
    for line in text.split("\n"):
        converted = convert(line)
        if len(converted) != len(line):
            chars = []
            for ch in line:
                c = convert(ch)
                chars.append(c if len(c) == 1 else ch)
            converted = "".join(chars)
        out.append(converted)
    return "\n".join(out)


def detect_script(text: str) -> dict:
    """Script and language of a text.

    ``script`` is zh-Hant when more characters change under t2s than under
    s2t, zh-Hans in the other case; ``language`` is zh, en or mixed by the
    share of Han characters against Latin letters.

    >>> detect_script("兩化融合")["script"], detect_script("两化融合")["script"]
    ('zh-Hant', 'zh-Hans')
    """
    han = len(HAN.findall(text))
    latin = len(LATIN.findall(text))
    to_simplified = convert_same_length(text, converter("t2s"))
    to_traditional = convert_same_length(text, converter("s2t"))
    traditional_only = sum(1 for a, b in zip(text, to_simplified) if a != b)
    simplified_only = sum(1 for a, b in zip(text, to_traditional) if a != b)
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
    return {"script": script, "language": language, "han_chars": han, "latin_letters": latin,
            "traditional_only": traditional_only, "simplified_only": simplified_only}


def config_for(source_script: str, target_script: str, cfg) -> str:
    """The OpenCC configuration turning one script into the other."""
    if source_script == "zh-Hant" and target_script == "zh-Hans":
        return cfg.traditional_to_simplified
    if source_script == "zh-Hans" and target_script == "zh-Hant":
        return cfg.simplified_to_traditional
    raise ValueError(f"no conversion from {source_script} to {target_script}")


def to_analysis(text: str, script: str | None, config) -> str:
    """The text in the analysis script (zh-Hans), same length as ``text``."""
    target = config.segment.analysis_script
    if script is None or script == target:
        return text
    return convert_same_length(text, converter(config_for(script, target, config.convert)))


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")
    detected = detect_script(text)
    written = []
    io.remove_doc_outputs(outputs, doc_id, folders=["converted"])
    if detected["script"] is not None:
        for target in config.convert.outputs:
            if target == detected["script"]:
                continue  # a document already in a script is not duplicated
            name = config_for(detected["script"], target, config.convert)
            io.write_text(outputs / "converted" / f"{doc_id}.{target}.txt", converter(name)(text))
            written.append({"script": target, "opencc": name})
    return {**detected, "outputs": written, "seconds": round(time.perf_counter() - started, 3)}
