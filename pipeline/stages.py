"""The stage graph, declared once.

Each stage names its command, its one line of help, what it reads and
writes, the config sections and code whose change redoes it, and the library
versions in its cache key. Everything else is derived from this table: the
CLI's commands and help (``__main__``), the cache keys (``runner``), the
Makefile's stage rules (``stages.mk``, written by ``python -m
pipeline.stages --make``) and the README's stage table (``--readme``);
tests/test_stages.py checks that the two files are current.

>>> [s.name for s in STAGES]
['extract', 'convert', 'segment', 'tag', 'graph', 'report']
>>> STAGE["segment"].command, STAGE["segment"].sections
('segment-docs', ('segment', 'tag'))
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Stage:
    name: str  # its module or package under pipeline/, and its config section
    command: str  # `python -m pipeline COMMAND` runs it alone
    help: str
    reads: str  # for the README's table
    writes: str
    sections: tuple[str, ...]  # config sections whose change redoes it
    shared: tuple[str, ...] = ()  # modules below the stages that it runs: their code is part of its cache key
    data: tuple[str, ...] = ()  # data files it reads (globs under pipeline/), for make
    libraries: tuple[str, ...] = ()  # versions in its cache key: an upgrade that can change results redoes it
    per_document: bool = True  # False: one step over the whole corpus (the report)


STAGES = (
    Stage("extract", "extract", "stage 1: corpus/ -> text/<doc>.txt (clean text, headers, footers and page numbers "
          "removed)", reads="`corpus/**/*.pdf`, `*.txt`, `*.html`, `*.htm`, `*.docx`",
          writes="`text/<doc>.txt`; `.state/extract/` (page starts, paragraphs, engine per page, metadata)",
          sections=("extract",), shared=("isolation",), libraries=("pdfplumber", "pdfminer.six", "pypdfium2", "readability-lxml", "lxml", "python-docx")),
    Stage("convert", "convert-docs", "stage 2: detect script and language; text/ -> converted/<doc>.<script>.txt "
          "with OpenCC", reads="`text/`", writes="`converted/<doc>.<script>.txt`; script and language in the manifest",
          sections=("convert",), shared=("chinese", "language"), libraries=("opencc",)),
    Stage("segment", "segment-docs", "stage 3: text/ -> segmented/<doc>.txt (jieba for Chinese, spaCy for English)",
          reads="`text/`, the dictionary (its terms kept whole)",
          writes="`segmented/<doc>.txt`; `.state/segment/` (sentence offsets)",
          sections=("segment", "tag"), shared=("chinese", "language", "lexicon"),
          data=("lexicon/*.toml", "lexicon/stopwords-*.txt"), libraries=("jieba", "spacy", "opencc", "lemminflect")),
    Stage("tag", "tag-docs", "stage 4: text/ -> tags/<doc>.jsonl (strategy-term mentions with offsets)",
          reads="`text/`, `.state/`, the dictionary",
          writes="`tags/<doc>.jsonl`; `candidates.csv`, `candidates_kwic.csv`, `candidates_by_group.csv`, "
          "`concepts_not_found.csv`",
          sections=("tag", "graph"), shared=("chinese", "language", "lexicon", "metadata"),
          data=("lexicon/*.toml", "lexicon/stopwords-*.txt"), libraries=("opencc", "lemminflect")),
    Stage("graph", "graph", "stage 5: tags/ -> graph/ (GraphML, GEXF, JSON, CSV; one GraphML per document)",
          reads="`text/`, `tags/`, `.state/`, the manifest's metadata",
          writes="`graph/cooccurrence.*`, `nodes.csv`, `edges.csv`, `graph/docs/<doc>.graphml`; with `group_by`: "
          "`graph/groups/`, `periods.csv`, `trends.csv`",
          sections=("graph",), shared=("chinese", "language", "lexicon", "metadata", "sampling"), data=("lexicon/*.toml",),
          libraries=("networkx",)),
    Stage("report", "report", "stage 6: graph/ + manifest -> report/index.html (self-contained, offline)",
          reads="`graph/`, `manifest.json`, `text/`, `tags/`, `candidates.csv`",
          writes="`report/index.html`, `report/graph.png`, `report/graph.svg`",
          sections=("report",),
          shared=("chinese", "concordance", "keyness", "language", "lexicon", "metadata", "sampling"),
          data=("lexicon/*.toml", "report_assets/*.j2", "report_assets/*.js", "report_assets/*.css"),
          libraries=("matplotlib", "jinja2"), per_document=False),
)
STAGE = {s.name: s for s in STAGES}
DOCUMENT_STAGES = tuple(s.name for s in STAGES if s.per_document)


def code_files(name: str) -> list[Path]:
    """The source files whose change redoes a stage: its module, or every
    module of its package, then the shared modules it runs.

    >>> [p.name for p in code_files("convert")]
    ['convert.py', 'chinese.py', 'language.py']
    """
    own = PACKAGE / name
    files = sorted(own.glob("*.py")) if own.is_dir() else [own.with_suffix(".py")]
    for module in STAGE[name].shared:
        folder = PACKAGE / module
        files.append(folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py"))
    return files


def data_files(name: str) -> list[Path]:
    return sorted(p for pattern in STAGE[name].data for p in PACKAGE.glob(pattern) if p.is_file())


def makefile() -> str:
    """The Makefile's stage rules (stages.mk): each stage's stamp depends on
    the previous stage, its config sections, its code and its data; `run`
    on all of them."""
    def prerequisites(first: str, paths) -> list[str]:
        words = [first, *(p.relative_to(PACKAGE.parent).as_posix() for p in paths)]
        lines, line = [], ""
        for word in words:
            if line and len(line) + len(word) > 100:
                lines.append(line + " \\")
                line = "\t\t"
            line += ("" if line in ("", "\t\t") else " ") + word
        return lines + [line]

    names = " ".join(s.name for s in STAGES)
    lines = ["# Generated from pipeline/stages.py by `python -m pipeline.stages --make > stages.mk`;",
             "# tests/test_stages.py checks that it is current. Do not edit by hand.", "",
             f"STAGES := {names}"]
    previous = "$(ST)/corpus"
    everything = []
    for s in STAGES:
        files = code_files(s.name) + data_files(s.name)
        everything += [f for f in files if f not in everything]
        config = " ".join(f"$(ST)/config-{section}" for section in s.sections)
        lines += ["", *prerequisites(f"$(ST)/{s.name}: {previous} {config}", files), f"\t$(call stage,{s.command})"]
        previous = f"$(ST)/{s.name}"
    lines += ["", f"{names}: %: $(ST)/% ## (each) run the pipeline up to that stage", "",
              "# every prerequisite of the stage stamps above; `run` redoes what they would",
              *prerequisites("$(ST)/run: $(ST)/corpus $(addprefix $(ST)/config-,$(STAGES))", everything),
              "\t$(call stage,run)", "\t@touch $(addprefix $(ST)/,$(STAGES))"]
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    rows = ["| stage | command | make target | reads | writes |", "|---|---|---|---|---|"]
    rows += [f"| {s.name} | `{s.command}` | `make {s.name}` | {s.reads} | {s.writes} |" for s in STAGES]
    rows.append("| all | `run` | `make all` | everything above | everything above |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.stages", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--make", action="store_true", help="print the Makefile's stage rules (stages.mk)")
    which.add_argument("--readme", action="store_true", help="print the README's stage table")
    args = parser.parse_args(argv)
    sys.stdout.write(makefile() if args.make else readme_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
