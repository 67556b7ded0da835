"""Stage 2, convert: text/<doc>.txt -> converted/<doc>.<script>.txt, and the
script and language of every paragraph and of the document.

The conversion itself, through OpenCC, and the script detection are in
:mod:`pipeline.chinese`, which the segment and tag stages use too.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import io
from .chinese import config_for, converter, detect_paragraphs
from .language import SAMPLE_TEXT

NAME = "convert"


def preload(config) -> None:
    """Load what this stage loads on its first document, the OpenCC
    configurations (see ``runner.preload``)."""
    _, paragraphs = detect_paragraphs(SAMPLE_TEXT)
    for target in config.convert.outputs:
        convert_document(SAMPLE_TEXT, paragraphs, target, config.convert)


def convert_document(text: str, paragraphs: list[dict], target: str, cfg) -> tuple[str, list[str]] | None:
    """``text`` with every Chinese paragraph converted into ``target``; None
    when no paragraph needs it. Returns the text and the configurations used."""
    out, pos, used = [], 0, []
    for p in paragraphs:
        if p["script"] in (None, target):
            continue
        name = config_for(p["script"], target, cfg)
        out.append(text[pos:p["start"]])
        out.append(converter(name)(text[p["start"]:p["end"]]))
        pos = p["end"]
        if name not in used:
            used.append(name)
    if not used:
        return None
    out.append(text[pos:])
    return "".join(out), used


def process(doc_id: str, entry: dict, config, outputs: Path) -> dict:
    started = time.perf_counter()
    text = (outputs / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")
    detected, paragraphs = detect_paragraphs(text)
    written = []
    io.remove_doc_outputs(outputs, doc_id, folders=["converted"])
    if detected["script"] is not None:
        for target in config.convert.outputs:
            if target == detected["script"]:
                continue  # a document already in a script is not duplicated
            converted = convert_document(text, paragraphs, target, config.convert)
            if converted is None:
                continue
            io.write_text(outputs / "converted" / f"{doc_id}.{target}.txt", converted[0])
            written.append({"script": target, "opencc": "+".join(converted[1])})
    return {**detected, "outputs": written, "seconds": round(time.perf_counter() - started, 3)}
