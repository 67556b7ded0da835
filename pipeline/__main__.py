"""The command line of the policy-document pipeline: python -m pipeline COMMAND.

Parses arguments, loads the config once, takes the outputs lock and calls the stages.

Exit codes: 0 ok, 1 some documents failed, 2 usage or config error,
3 another run holds the outputs lock, 4 the outputs cannot be written
(read-only, disk full, file too large), 130 Ctrl-C, 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

# Parallelism comes from worker processes; OpenBLAS threads (numpy, scipy: the
# report's layout) would only busy-wait on the same cores. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import errors, io, metadata  # noqa: E402
from .config import SECTIONS, load_config  # noqa: E402
from .lexicon import CATEGORIES  # noqa: E402
from .stages import STAGES  # noqa: E402

# the stage commands and their help come from the stage graph (pipeline/stages.py)
DOC_STAGES = {s.command: s.name for s in STAGES if s.per_document}  # command -> per-document stage
HELP = {
    "run": "all stages, incrementally: only new or changed documents and stages whose code or config changed",
    **{s.command: s.help for s in STAGES},
    "segment": "text tool: print each input line's tokens separated by one space, in the input's own script",
    "convert": "text tool: convert each input line with an OpenCC configuration",
    "tag": "text tool: print one JSON strategy-term mention per line for the input text",
    "inspect": "a concept's neighbours, weights and evidence sentences from the last graph",
    "diff": "concepts and edges gained, lost and re-weighted between two graph files",
    "keyness": "concepts or words typical of one group of documents (a year, an issuer) against another: "
               "signed log-likelihood G² and log ratio",
    "kwic": "a word or concept in context: every mention or occurrence, with document, group, page and sentence",
    "matrix": "document × concept (or word) counts as CSV or Matrix Market, for R (quanteda, Matrix), pandas, scipy",
    "status": "summarise outputs/manifest.json; exit 1 if any document failed",
    "stamps": "for make: refresh outputs/.stamps/ (corpus listing, config section hashes) when they change",
    "lexicon": "the dictionary: `lexicon add TERM` appends a concept to a user dictionary, `lexicon check [FILE]` "
               "validates",
}


class Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one line, as the contract says
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(errors.EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (default: config.toml if present)")
    common.add_argument("--corpus", metavar="DIR", help="folder of input documents (default: [run] corpus)")
    common.add_argument("--outputs", metavar="DIR", help="folder of outputs (default: [run] outputs)")
    common.add_argument("--set", metavar="SECTION.KEY=VALUE", action="append", default=[], dest="overrides",
                        help="override a config value for this run (repeatable), e.g. --set graph.window=paragraph")
    common.add_argument("--jobs", type=int, metavar="N", help="worker processes, 0 for one per CPU core "
                        "(default: [run] jobs)")
    common.add_argument("--quiet", action="store_true", help="no progress output, only failures")
    common.add_argument("--executor", choices=("local", "dask"), help="where per-document work runs: local "
                        "processes (--jobs) or a Dask cluster (default: [run] executor)")
    common.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                        "(default: [run] scheduler)")
    parser = Parser(prog="python -m pipeline", description=__doc__.split("\n\n")[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="Exit codes: 0 ok, 1 some documents failed, 2 usage or config error, "
                           "3 another run holds the outputs lock, 4 the outputs cannot be written, "
                           "130 Ctrl-C, 143 SIGTERM.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in ("run", *DOC_STAGES, "report", "status", "stamps"):
        sub.add_parser(name, parents=[common], help=HELP[name], description=HELP[name])
    for name in ("segment", "tag"):
        p = sub.add_parser(name, parents=[common], help=HELP[name], description=HELP[name])
        p.add_argument("file", nargs="?", default="-", help="input file, or - for standard input (default)")
    p = sub.add_parser("convert", parents=[common], help=HELP["convert"], description=HELP["convert"])
    p.add_argument("-c", "--opencc", required=True, metavar="CONFIG",
                   help="OpenCC configuration: t2s, s2t, s2hk, hk2s, s2tw, tw2s, s2twp, tw2sp, t2hk, t2tw, ...")
    p.add_argument("file", nargs="?", default="-", help="input file, or - for standard input (default)")
    p = sub.add_parser("inspect", parents=[common], help=HELP["inspect"], description=HELP["inspect"])
    p.add_argument("term", help="a concept id, or a label or alias in any script (兩化融合, 两化融合, four basics...)")
    measures = ("weight", "npmi", "pmi", "dice", "jaccard", "association_strength")
    p.add_argument("--graph", metavar="FILE", help="graph file to read (.graphml, .gexf or .json; default: "
                   "OUTPUTS/graph/cooccurrence.json), e.g. a group's or one document's graph")
    p.add_argument("--sort", choices=measures, default="weight", help="order of the neighbours (default: weight)")
    p.add_argument("--top", type=int, default=0, metavar="N", help="show the first N neighbours (default 0: all)")
    p.add_argument("--evidence", type=int, default=None, metavar="N",
                   help="evidence items per neighbour in text output (default: all kept in the graph)")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="text (default), json (the concept and its neighbours with evidence) "
                        "or csv (one row per neighbour)")
    p = sub.add_parser("diff", parents=[common], help=HELP["diff"], description=HELP["diff"])
    p.add_argument("graph_a", help="a graph file (.graphml, .gexf or .json)")
    p.add_argument("graph_b", help="another graph file")
    p.add_argument("--measure", choices=measures, default="weight",
                   help="edge attribute compared (default: weight; npmi or association_strength compare corpora "
                        "of different sizes fairly)")
    p.add_argument("--top", type=int, default=0, metavar="N",
                   help="show the N largest changes of each kind (default 0: all)")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="text (default; nothing when the graphs agree), json, or csv (one row per change)")
    _research_views(sub, common)
    p = sub.add_parser("lexicon", parents=[common], help=HELP["lexicon"], description=HELP["lexicon"])
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)
    add = actions.add_parser("add", parents=[common], help="append a validated concept to a user dictionary",
                             description="Append a concept to a user dictionary (created if missing): labels in "
                             "both scripts from TERM with OpenCC; refuses a duplicate id or alias, an unknown parent "
                             "or a cycle.")
    add.add_argument("term", help="the Chinese term in any script (or an English one)")
    add.add_argument("--id", dest="cid", metavar="ID", help="ASCII snake_case id (default: made from --en)")
    add.add_argument("--en", metavar="LABEL", help="English label (needed unless TERM is English)")
    add.add_argument("--category", default="companion", choices=CATEGORIES, help="category (default: companion)")
    add.add_argument("--parent", default="", metavar="ID", help="id of the parent concept (default: none)")
    add.add_argument("--file", metavar="FILE", help="the user dictionary (default: the first of [tag] dictionaries, "
                     "else user-terms.toml beside the config file)")
    check = actions.add_parser("check", parents=[common], help="validate the dictionaries (and FILE)",
                               description="Validate the built-in and configured dictionaries, and FILE with them.")
    check.add_argument("file", nargs="?", help="a dictionary file to check with the configured ones")
    return parser


def _research_views(sub, common) -> None:
    """The keyness, kwic and matrix commands: read-only views of the outputs."""
    groups = argparse.ArgumentParser(add_help=False)
    groups.add_argument("--group-by", metavar="KEY", help="metadata key giving each document's group for this "
                        "command, e.g. date (default: [graph] group_by)")
    groups.add_argument("--group-pattern", metavar="REGEX", help="regex cutting the value down, its first group "
                        "kept, e.g. '(\\d{4})' for the year; '' keeps the whole value (default: [graph] group_pattern)")
    p = sub.add_parser("keyness", parents=[common, groups], help=HELP["keyness"], description=HELP["keyness"])
    p.add_argument("--target", required=True, metavar="GROUP[,GROUP...]",
                   help="the group(s) studied, e.g. 2021 or 2020,2021")
    p.add_argument("--reference", metavar="GROUP[,GROUP...]",
                   help="the group(s) compared with (default: every other group)")
    p.add_argument("--of", choices=("concepts", "words"), default="concepts",
                   help="concepts (mentions in tags/, the default) or words (tokens in segmented/, both scripts "
                        "counted together)")
    p.add_argument("--keep-stopwords", action="store_true", help="with --of words: list stopwords too "
                   "(they always count in the totals)")
    p.add_argument("--min-count", type=int, default=1, metavar="N",
                   help="leave out items seen fewer than N times in the two sides together (default 1)")
    p.add_argument("--top", type=int, default=0, metavar="N",
                   help="show the N items most typical of each side (default 0: all, sorted by signed G²)")
    p.add_argument("--format", choices=("text", "csv"), default="text", help="text (default, aligned) or csv")
    p = sub.add_parser("kwic", parents=[common, groups], help=HELP["kwic"], description=HELP["kwic"])
    p.add_argument("term", help="a concept (id, label or alias in any script: 工業互聯網, 工业互联网, industrial "
                   "internet) or any other word (found in both scripts)")
    p.add_argument("--word", action="store_true", help="look TERM up as a word in text/ even when it names a concept")
    p.add_argument("--anywhere", action="store_true", help="match a word inside tokens too (default: a match "
                   "starts and ends on token boundaries of segmented/)")
    p.add_argument("--group", metavar="GROUP[,GROUP...]", help="only the documents of these groups")
    p.add_argument("--chars", type=int, default=None, metavar="N",
                   help="characters of context either side (default: [report] kwic_chars)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="show the first N lines (default 0: all)")
    p.add_argument("--format", choices=("text", "csv"), default="text",
                   help="text (default, matches aligned in one column) or csv")
    p = sub.add_parser("matrix", parents=[common], help=HELP["matrix"], description=HELP["matrix"])
    p.add_argument("--of", choices=("concepts", "words"), default="concepts",
                   help="columns: concepts (mentions in tags/, the default) or words (tokens in segmented/)")
    p.add_argument("--keep-stopwords", action="store_true", help="with --of words: keep stopword columns")
    p.add_argument("--format", choices=("csv", "mtx"), default="csv",
                   help="csv (dense: doc and one column per item) or mtx (sparse Matrix Market, with "
                        ".rows.txt and .cols.txt beside it)")
    p.add_argument("--output", metavar="STEM", help="where to write: STEM.csv, or STEM.mtx, STEM.rows.txt and "
                   "STEM.cols.txt; - prints the CSV (default: OUTPUTS/matrix/doc_concept or doc_word)")


def _context(args):
    from .runner import Context

    path = args.config or ("config.toml" if Path("config.toml").exists() else None)
    config = load_config(path, args.overrides)
    jobs = args.jobs if args.jobs is not None else config.run.jobs
    if jobs < 0:
        raise errors.UsageError(f"--jobs: expected an integer >= 0 (0: one per CPU core), got {jobs}")
    if jobs == 0:  # the cores this process may use (a container or taskset can allow fewer than cpu_count)
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    corpus = Path(args.corpus or config.run.corpus)
    outputs = Path(args.outputs or config.run.outputs)
    executor = args.executor or config.run.executor
    scheduler = args.scheduler or config.run.scheduler
    if executor == "dask" and not scheduler:
        raise errors.UsageError("--executor dask needs --scheduler ADDRESS (or [run] scheduler)")
    return Context(config, corpus, outputs, jobs, args.quiet, executor, scheduler)


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.UsageError(f"{name}: cannot read as UTF-8 text ({exc.__class__.__name__})") from None


def _run_stages(ctx, stages: list[str], finish_graph: bool, report: bool) -> int:
    from . import isolation, report as report_stage
    from .lexicon import load_lexicon
    from .runner import Manifest, corpus_key, open_executor, run_documents, run_stage

    if not ctx.corpus.is_dir() and "extract" in stages:
        raise errors.UsageError(f"{ctx.corpus}: corpus folder not found")
    corpus, outputs = ctx.corpus.resolve(), ctx.outputs.resolve()
    if "extract" in stages and (corpus == outputs or corpus.is_relative_to(outputs)):
        raise errors.UsageError(f"{errors.shown(str(ctx.corpus))}: the corpus folder is the outputs folder or inside "
                                f"it; choose folders apart")
    if "extract" in stages and not ctx.quiet and outputs.is_relative_to(corpus):
        print(f"warning: {errors.shown(str(ctx.outputs))}: the outputs folder is inside the corpus; it is not read "
              f"as documents", file=sys.stderr)
    load_lexicon(ctx.config)  # a bad dictionary fails before any work starts
    # and so does a bad corpus/metadata.csv; it is applied before the graph's merge
    table = metadata.read_table(ctx.corpus) if finish_graph else None
    new_failures = []
    # started once there is work for workers: imports the report's libraries
    # while they run (on the core they leave), then draws the report
    report_side = isolation.SideProcess(report_stage.load_libraries, ctx.config.report.figure_fonts)
    with io.OutputsLock(ctx.outputs), contextlib.closing(report_side):
        io.sweep_temp_files(ctx.outputs)  # left by a run killed mid-write
        manifest = Manifest(ctx.outputs)
        if manifest.damaged:
            _warn_damaged(ctx, manifest)
            manifest.save(ctx.config)  # the corpus steps read it from the disk
        with _checkpoint(ctx, manifest), open_executor(ctx) if stages else contextlib.nullcontext() as executor:
            # `run` takes each document through every stage in one task; a
            # single stage (as make runs them) goes over all documents
            by_stage = (run_documents(ctx, stages, manifest, executor, save=lambda: manifest.save(ctx.config),
                                      meanwhile=report_side.start if report else None)
                        if len(stages) > 1
                        else {stages[0]: run_stage(ctx, stages[0], manifest, executor)} if stages else {})
            if stages:
                manifest.save(ctx.config)
            for doc_id, what in manifest.damaged_outputs:
                if not ctx.quiet:
                    print(f"warning: {errors.shown(doc_id)}: {errors.shown(what)}", file=sys.stderr)
            for stage, counts in by_stage.items():
                new_failures += counts["failed_ids"]
                for doc_id, warning in counts["warnings"]:
                    if not ctx.quiet:
                        print(f"warning: {errors.shown(doc_id)}: {errors.shown(warning)}", file=sys.stderr)
                ctx.say(f"{stage}: {counts['documents']} documents, {counts['redone']} redone, "
                        f"{counts['failed']} failed ({counts['seconds']} s)")
            notes = _record_metadata(ctx, manifest, table) if finish_graph else []
            steps = _merge_corpus(ctx, stages, finish_graph, manifest, executor, notes)
        if report:
            if not (ctx.outputs / "graph" / "cooccurrence.json").exists():
                raise errors.UsageError(f"{ctx.outputs}/graph/cooccurrence.json not found: run the graph stage first")
            report_key = corpus_key("report", ctx.config, manifest, steps.get("graph", ""))
            if steps.get("report") != report_key or not (ctx.outputs / "report" / "index.html").exists():
                report_side.call(report_stage.run, ctx.config, ctx.outputs)
                steps["report"] = report_key
                manifest.save(ctx.config)
                ctx.say(f"report: {ctx.outputs / 'report' / 'index.html'}")
        _record_stamps(ctx, stages + (["report"] if report else []))
        failed = manifest.failed()
    # `run` lists every failed document; a single stage lists those that failed in it
    # (make's final `status` lists them all once)
    for doc_id, reason in failed:
        if len(stages) > 1 or doc_id in new_failures:
            print(f"failed: {errors.shown(doc_id)}: {errors.shown(reason)}", file=sys.stderr)
    return errors.EXIT_DOCS_FAILED if failed else errors.EXIT_OK


def _record_metadata(ctx, manifest, table) -> list[str]:
    """Record each document's metadata from metadata.csv, its file name and
    extraction in the manifest (saved when that changed); returns the
    warning about metadata.csv rows that name no document."""
    unknown, changed = metadata.record(manifest.documents, table, ctx.config.graph.metadata_from_names)
    if changed:
        manifest.save(ctx.config)
    if not unknown:
        return []
    return [f"{ctx.corpus / metadata.TABLE}: {len(unknown)} row(s) name no document of the corpus (the document "
            f"column is a file's path relative to the corpus, e.g. 2015/mic2025.pdf): {metadata.listing(unknown)}"]


def _warn_damaged(ctx, manifest) -> None:
    if not ctx.quiet:
        print(f"warning: {manifest.path}: damaged ({errors.shown(manifest.damaged)}); rebuilt, every document "
              f"is redone", file=sys.stderr)


@contextlib.contextmanager
def _checkpoint(ctx, manifest):
    """On Ctrl-C, SIGTERM or an outputs error, after the workers have been
    stopped: save the manifest with the documents finished so far, so that
    the next run does not redo them. A save that fails (the disk is full)
    leaves the last saved manifest, which records no output that was lost."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            manifest.save(ctx.config)
        raise


def _merge_corpus(ctx, stages: list[str], finish_graph: bool, manifest, executor, notes=()) -> dict:
    """The corpus-level merges of the tag stage (candidates.csv,
    concepts_not_found.csv) and of the graph stage (graph/), each skipped when
    nothing it reads has changed; returns the manifest's corpus_steps. The two
    read and write different files: with a local pool, a worker merges the
    tags while this process merges the graph. ``notes`` and the graph's own
    warnings are printed when the graph is merged."""
    from concurrent.futures.process import BrokenProcessPool

    from . import graph, isolation, tag
    from .runner import corpus_key

    steps = manifest.data.setdefault("corpus_steps", {})
    tag_key, graph_key = corpus_key("tag", ctx.config, manifest), corpus_key("graph", ctx.config, manifest)
    merge_tags = "tag" in stages and (steps.get("tag") != tag_key
                                      or not (ctx.outputs / "concepts_not_found.csv").exists()
                                      or not (ctx.outputs / ctx.config.report.candidates).exists())
    merge_graph = finish_graph and (steps.get("graph") != graph_key
                                    or not (ctx.outputs / "graph" / "cooccurrence.json").exists())
    tag_job = None
    if merge_tags and merge_graph and isinstance(executor, isolation.Pool):
        tag_job = executor.submit(tag.finish, manifest.active("tag"), ctx.config, ctx.outputs)
    graph_result = graph.finish(manifest.active("graph"), ctx.config, ctx.outputs) if merge_graph else None
    results = {}
    if merge_tags:
        try:
            results["tag"] = tag_job.result() if tag_job else None
        except BrokenProcessPool:  # its worker was lost (out of memory): done here instead
            executor.renew()
        if results.get("tag") is None:
            results["tag"] = tag.finish(manifest.active("tag"), ctx.config, ctx.outputs)
        steps["tag"] = tag_key
    if merge_graph:
        results["graph"] = graph_result
        steps["graph"] = graph_key
    if results:  # one save for both merges: a save rewrites the whole manifest
        manifest.save(ctx.config, **results)
    if merge_tags:
        ctx.say(f"tag: {results['tag']['concepts_not_found']} concepts never found, "
                f"{results['tag']['candidates']} candidate terms")
    if merge_graph and not ctx.quiet:
        for warning in [*notes, *(f"graph: {w}" for w in graph_result.get("warnings", []))]:
            print(f"warning: {warning}", file=sys.stderr)
    if merge_graph:
        ctx.say(f"graph: {graph_result['nodes']} concepts, {graph_result['edges']} edges "
                f"from {graph_result['documents']} documents")
    return steps


def _record_stamps(ctx, sections) -> None:
    """Record the config sections (and corpus) this run used, so that a later
    `make all` reruns a stage that a direct run made with other settings."""
    stamps = ctx.outputs / ".stamps"
    for section in sections:
        io.write_if_changed(stamps / f"config-{section}", ctx.config.section_hash(section) + "\n")
    if "extract" in sections:
        io.write_if_changed(stamps / "corpus", io.corpus_fingerprint(ctx.corpus, exclude=ctx.outputs))


def cmd_stamps(ctx) -> int:
    """Write the stamps make compares: only when their content changes, so an
    unchanged section keeps its old mtime and its stage is not rerun."""
    stamps = ctx.outputs / ".stamps"
    if not ctx.corpus.is_dir():
        raise errors.UsageError(f"{ctx.corpus}: corpus folder not found")
    io.write_if_changed(stamps / "corpus", io.corpus_fingerprint(ctx.corpus, exclude=ctx.outputs))
    for section in SECTIONS:
        if section != "run":
            io.write_if_changed(stamps / f"config-{section}", ctx.config.section_hash(section) + "\n")
    return errors.EXIT_OK


def cmd_status(ctx) -> int:
    from .runner import Manifest

    manifest = Manifest(ctx.outputs)
    if manifest.damaged:
        _warn_damaged(ctx, manifest)
    counts = {}
    for d in manifest.documents.values():
        counts[d.get("status", "?")] = counts.get(d.get("status", "?"), 0) + 1
    if not ctx.quiet:
        print(f"{len(manifest.documents)} documents: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for doc_id, reason in manifest.failed():
        print(f"failed: {errors.shown(doc_id)}: {errors.shown(reason)}", file=sys.stderr)
    return errors.EXIT_DOCS_FAILED if manifest.failed() else errors.EXIT_OK


def cmd_segment(ctx, args) -> int:
    from . import segment
    from .chinese import detect_script
    from .lexicon import jieba_words

    words = jieba_words(ctx.config)
    for line in _read_input(args.file).splitlines():
        script = detect_script(line)["script"]
        tokens = [t for sentence in segment.segment_text(line, script, ctx.config, words) for t in sentence]
        print(" ".join(tokens))
    return errors.EXIT_OK


def cmd_convert(ctx, args) -> int:
    from .chinese import converter

    convert_line = converter(args.opencc)
    for line in _read_input(args.file).splitlines():
        print(convert_line(line))
    return errors.EXIT_OK


def cmd_tag(ctx, args) -> int:
    from . import segment, tag
    from .chinese import detect_script, to_analysis
    from .language import paragraph_spans, token_boundaries
    from .lexicon import load_lexicon

    text = _read_input(args.file)
    script = detect_script(text)["script"]
    lexicon = load_lexicon(ctx.config)
    segmented = segment.sentences_with_tokens(text, script, ctx.config, lexicon.words)
    mentions = tag.tag_text(text, to_analysis(text, script, ctx.config), lexicon,
                            token_boundaries(text, segmented))
    paragraphs = paragraph_spans(text)
    sentences = [span for span, _ in segmented]
    for m in tag.locate(mentions, paragraphs, sentences, [0]):
        print(json.dumps(m, ensure_ascii=False))
    return errors.EXIT_OK


def _find_node(G, term: str, config):
    """A node by id, by label in any script, or by any dictionary alias."""
    from .lexicon import english_lookup, fold, load_lexicon

    if term in G:
        return term
    lexicon = load_lexicon(config)
    for form in fold(term.strip()):
        if lexicon.zh.get(form) in G:
            return lexicon.zh[form]
    cid = english_lookup(lexicon, term)
    if cid in G:
        return cid
    for n, d in sorted(G.nodes(data=True)):  # concepts of a graph made with another dictionary
        if term in (d.get("label_zh_hant"), d.get("label_zh_hans")) or term.lower() == str(d.get("label_en")).lower():
            return n
    return None


def _read_graph(name) -> object:
    from . import graph

    path = Path(name)
    if not path.exists():
        raise errors.UsageError(f"{path} not found: run the pipeline first, or name a graph file")
    try:
        return graph.load_graph(path)
    except Exception as exc:
        raise errors.UsageError(f"{path}: cannot read as a graph ({exc.__class__.__name__}: {exc})") from None


def _print_csv(header, rows) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def cmd_inspect(ctx, args) -> int:
    from . import graph

    path = Path(args.graph) if args.graph else ctx.outputs / "graph" / "cooccurrence.json"
    G = _read_graph(path)
    node = _find_node(G, args.term, ctx.config)
    if node is None:
        raise errors.UsageError(f"{args.term!r}: no such concept in {path} (try an id or a label in any script)")
    d = G.nodes[node]
    rows = graph.neighbours(G, node, sort=args.sort)
    rows = rows[:args.top] if args.top > 0 else rows
    measures = ("weight", "doc_frequency", *graph.MEASURES, "evidence_count")
    if args.format == "json":
        print(json.dumps({"id": node, **d, "neighbours": rows}, ensure_ascii=False, indent=1))
        return errors.EXIT_OK
    if args.format == "csv":
        _print_csv(["id", "label_zh_hant", "label_zh_hans", "label_en", *measures],
                   ([r["id"], r["label_zh_hant"], r["label_zh_hans"], r["label_en"], *(r.get(m, "") for m in measures)]
                    for r in rows))
        return errors.EXIT_OK
    print(f"{node}  {d.get('label_zh_hant')} / {d.get('label_zh_hans')} / {d.get('label_en')}  "
          f"[{d.get('category')}] mentions {d.get('frequency')}, documents {d.get('doc_frequency')}")
    parent = d.get("parent")
    facts = [f"{G.degree(node)} neighbours", f"weighted degree {d.get('weighted_degree')}",
             f"community {d.get('community')}"]
    if parent:
        facts.append(f"parent {parent}" + (f" {G.nodes[parent].get('label_zh_hant')}" if parent in G else ""))
    print("  " + ", ".join(facts))
    for r in rows:
        print(f"  {r['id']}  {r['label_zh_hant']} / {r['label_en']}  weight {r['weight']}  "
              f"documents {r.get('doc_frequency')}  npmi {r.get('npmi')}  dice {r.get('dice')}  "
              f"strength {r.get('association_strength')}")
        shown = r["evidence"] if args.evidence is None else r["evidence"][:max(args.evidence, 0)]
        for ev in shown:
            print(f"      {ev['doc']} p.{ev['page']} s.{ev['sentence']}: {ev['snippet']}")
        more = int(r.get("evidence_count") or len(r["evidence"])) - len(shown)
        if more > 0:
            print(f"      ({more} more)")
    return errors.EXIT_OK


def cmd_diff(ctx, args) -> int:
    from . import graph

    a, b = _read_graph(args.graph_a), _read_graph(args.graph_b)
    changes = graph.compare(a, b, measure=args.measure)
    top = (lambda items: items[:args.top]) if args.top > 0 else (lambda items: items)
    counts = {kind: {name: len(items) for name, items in group.items()} for kind, group in changes.items()}
    if args.format == "json":
        out = {"a": str(args.graph_a), "b": str(args.graph_b), "measure": args.measure,
               "concepts_a": a.number_of_nodes(), "concepts_b": b.number_of_nodes(),
               "edges_a": a.number_of_edges(), "edges_b": b.number_of_edges(), "counts": counts,
               **{kind: {name: top(items) for name, items in group.items()} for kind, group in changes.items()}}
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return errors.EXIT_OK
    sign = {"gained": "+", "lost": "-", "changed": "~"}
    if args.format == "csv":
        def rows():
            for kind, group in changes.items():
                for name, items in group.items():
                    for r in top(items):
                        if kind == "concepts":
                            yield [sign[name], "concept", r["id"], "", r["label_zh_hant"], r["a"], r["b"], r["delta"]]
                        else:
                            yield [sign[name], "edge", r["source"], r["target"],
                                   f"{r['source_label']} — {r['target_label']}", r["a"], r["b"], r["delta"]]
        _print_csv(["change", "kind", "source", "target", "label", "a", "b", "delta"],
                   ([("" if v is None else v) for v in row] for row in rows()))
        return errors.EXIT_OK
    if not any(n for group in counts.values() for n in group.values()):
        return errors.EXIT_OK  # like diff(1): nothing printed when the graphs agree
    c, e = counts["concepts"], counts["edges"]
    print(f"# concepts {a.number_of_nodes()} -> {b.number_of_nodes()} (+{c['gained']} -{c['lost']}, "
          f"{c['changed']} changed frequency); edges {a.number_of_edges()} -> {b.number_of_edges()} "
          f"(+{e['gained']} -{e['lost']}, {e['changed']} changed {args.measure})")
    for name, items in changes["concepts"].items():
        for r in top(items):
            value = f"frequency {r['a']} -> {r['b']} ({r['delta']:+})" if name == "changed" else \
                f"frequency {r['b'] if r['b'] is not None else r['a']}"
            print(f"{sign[name]} concept {r['id']}  {r['label_zh_hant']} / {r['label_en']}  {value}")
        if 0 < args.top < len(items):
            print(f"# ... {len(items) - args.top} more {name} concepts")
    for name, items in changes["edges"].items():
        for r in top(items):
            value = f"{r['a']} -> {r['b']} ({r['delta']:+})" if name == "changed" else \
                f"{r['b'] if r['b'] is not None else r['a']}"
            print(f"{sign[name]} edge {r['source']} -- {r['target']}  {r['source_label']} — {r['target_label']}  "
                  f"{args.measure} {value}")
        if 0 < args.top < len(items):
            print(f"# ... {len(items) - args.top} more {name} edges")
    return errors.EXIT_OK


# ---------------------------------------------------------------- research views: keyness, kwic, matrix

OK_STATUSES = ("ok", "unchanged")


def _view_documents(ctx) -> dict:
    """The manifest's documents that were processed (not failed), by id."""
    manifest = io.read_json(ctx.outputs / "manifest.json", default=None)
    if not isinstance(manifest, dict):
        raise errors.UsageError(f"{ctx.outputs / 'manifest.json'} not found: run the pipeline first")
    documents = manifest.get("documents") or {}
    return {d: e for d, e in sorted(documents.items()) if isinstance(e, dict) and e.get("status") in OK_STATUSES}


def _groups(ctx, args, documents: dict) -> tuple[str, dict]:
    """(group key, {doc: group or None}) from --group-by/--group-pattern or [graph]."""
    import re

    from .metadata import document_groups

    key = args.group_by if args.group_by is not None else ctx.config.graph.group_by
    pattern = args.group_pattern if args.group_pattern is not None else ctx.config.graph.group_pattern
    if not key:
        return "", {d: None for d in documents}
    try:
        return key, document_groups(documents, list(documents), key, pattern)
    except re.error as exc:
        raise errors.UsageError(f"group pattern {pattern!r}: not a regular expression ({exc})") from None


def _pick_groups(key: str, groups: dict, spec: str, option: str) -> set[str]:
    """The group values named by ``spec`` (comma-separated); a usage error
    naming the groups there are when one does not exist."""
    values = [v.strip() for v in spec.split(",") if v.strip()]
    sizes: dict[str, int] = {}
    for value in groups.values():
        if value is not None:
            sizes[value] = sizes.get(value, 0) + 1
    if not key:
        raise errors.UsageError(f"{option}: the documents have no groups: set graph.group_by, or give --group-by "
                                "KEY (and --group-pattern), e.g. --group-by date --group-pattern '(\\d{4})'")
    available = ", ".join(f"{v} ({n} document{'s' * (n != 1)})" for v, n in sorted(sizes.items())) or \
        f"none: no document has a value for {key!r}"
    missing = [v for v in values if v not in sizes]
    if missing or not values:
        raise errors.UsageError(f"{option} {spec!r}: no such group ({key!r}); groups: {available}")
    return set(values)


def _read_mentions(path: Path) -> list[dict]:
    return [m for m in io.read_jsonl(path) if isinstance(m.get("concept"), str)]


def _concept_counts(ctx, doc_ids) -> dict[str, tuple[dict, int]]:
    """{doc: ({concept: mentions}, all mentions)} from tags/ (documents without the file left out)."""
    out = {}
    for d in doc_ids:
        path = ctx.outputs / "tags" / f"{d}.jsonl"
        if path.is_file():
            counts: dict[str, int] = {}
            for m in _read_mentions(path):
                counts[m["concept"]] = counts.get(m["concept"], 0) + 1
            out[d] = (counts, sum(counts.values()))
    return out


def _word_counts(ctx, documents: dict, doc_ids, *, keep_stopwords: bool, surfaces: dict) -> dict:
    """{doc: ({word: count}, all word tokens)} from segmented/: Traditional and
    Simplified counted together (folded into zh-Hans, line by line, as the
    tagger reads text), English in lower case."""
    from . import keyness
    from .chinese import to_analysis
    from .language import HAN, stopwords

    stop = frozenset() if keep_stopwords else stopwords("zh") | stopwords("en")
    out = {}
    for d in doc_ids:
        path = ctx.outputs / "segmented" / f"{d}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            continue
        script = ((documents[d].get("stages") or {}).get("convert") or {}).get("script")
        pairs = []
        for line in text.splitlines():
            tokens = line.split(" ")
            folded = (to_analysis(line, script, ctx.config) if HAN.search(line) else line).lower().split(" ")
            if len(folded) != len(tokens):  # a conversion that moved a space: fold token by token
                folded = [to_analysis(t, script, ctx.config).lower() for t in tokens]
            pairs.extend(zip(tokens, folded))
        out[d] = keyness.word_counts(pairs, stopwords=stop, surfaces=surfaces)
    return out


def _labels(ctx, of: str, items, surfaces: dict) -> dict[str, str]:
    """A label per item: a concept's 繁 / 简 / EN labels; a word's spellings, most frequent first."""
    if of == "concepts":
        from .lexicon import load_lexicon

        concepts = load_lexicon(ctx.config).concepts
        return {i: " / ".join(dict.fromkeys((concepts[i].zh_hant, concepts[i].zh_hans, concepts[i].en)))
                if i in concepts else "" for i in items}
    return {i: " / ".join(s for s, _ in sorted(surfaces.get(i, {}).items(), key=lambda x: (-x[1], x[0]))[:3])
            for i in items}


def _table(header: list[str], rows: list[list], numeric: set[int]) -> list[str]:
    """Rows as aligned text columns (CJK characters two columns wide); the last column is not padded."""
    from .concordance import width

    cells = [[str(v) for v in row] for row in [header, *rows]]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header) - 1)]
    out = []
    for r in cells:
        parts = [(" " * (widths[i] - width(v)) + v) if i in numeric else (v + " " * (widths[i] - width(v)))
                 for i, v in enumerate(r[:-1])]
        out.append("  ".join([*parts, r[-1]]).rstrip())
    return out


def cmd_keyness(ctx, args) -> int:
    from . import keyness

    documents = _view_documents(ctx)
    key, groups = _groups(ctx, args, documents)
    target = _pick_groups(key, groups, args.target, "--target")
    if args.reference:
        reference = _pick_groups(key, groups, args.reference, "--reference")
    else:
        reference = {v for v in groups.values() if v is not None} - target
        if not reference:
            raise errors.UsageError(f"--target {args.target!r}: no other group to compare with ({key!r})")
    if target & reference:
        raise errors.UsageError(f"--target and --reference share {', '.join(sorted(target & reference))}: "
                                "a group can be on one side only")
    if args.min_count < 0 or args.top < 0:
        raise errors.UsageError("--min-count and --top: expected integers >= 0")
    values = {"target": target, "reference": reference}
    sides = {name: [d for d, g in groups.items() if g in chosen] for name, chosen in values.items()}
    surfaces: dict = {}
    if args.of == "concepts":
        per_doc = _concept_counts(ctx, [*sides["target"], *sides["reference"]])
    else:
        per_doc = _word_counts(ctx, documents, [*sides["target"], *sides["reference"]],
                               keep_stopwords=args.keep_stopwords, surfaces=surfaces)
    counts, totals = {}, {}
    for name, ids in sides.items():
        counts[name] = {}
        totals[name] = 0
        for d in ids:
            if d in per_doc:
                keyness.add_counts(counts[name], per_doc[d][0])
                totals[name] += per_doc[d][1]
    unit = "mentions" if args.of == "concepts" else "words"
    for name in sides:
        if not totals[name]:
            raise errors.UsageError(f"--{name}: the documents of {','.join(sorted(values[name]))} have no {unit} "
                                    "to count")
    rows = keyness.keyness(counts["target"], counts["reference"], min_count=args.min_count,
                           totals=(totals["target"], totals["reference"]))
    up, rows_shown, hidden = rows, rows, 0
    if args.top:  # the N most typical of each side, in the same order
        up = [r for r in rows if r["g2"] > 0][:args.top]
        down = [r for r in rows if r["g2"] < 0][::-1][:args.top][::-1]
        rows_shown, hidden = up + down, len(rows) - len(up) - len(down)
    labels = _labels(ctx, args.of, [r["item"] for r in rows_shown], surfaces)
    columns = ("item", "target_count", "reference_count", "target_total", "reference_total", "g2", "log_ratio", "p")
    if args.format == "csv":
        _print_csv([*columns, "label"], ([*(r[c] for c in columns), labels[r["item"]]] for r in rows_shown))
        return errors.EXIT_OK
    def describe(name):
        n = len(sides[name])
        return f"{','.join(sorted(values[name]))} ({n} document{'s' * (n != 1)}, {totals[name]} {unit})"

    print(f"# {args.of} of {describe('target')} against {describe('reference')}, grouped by {key}; "
          "g2 > 0: more frequent in the target")
    table = [[r["item"], r["target_count"], r["reference_count"], f"{r['g2']:.2f}", f"{r['log_ratio']:.2f}",
              f"{r['p']:.4f}", labels[r["item"]]] for r in rows_shown]
    lines = _table(["item", "target", "reference", "g2", "log_ratio", "p", "label"], table, {1, 2, 3, 4, 5})
    print(lines[0])
    for k, line in enumerate(lines[1:]):
        if hidden and k == len(up):
            print(f"# ... {hidden} more")
        print(line)
    return errors.EXIT_OK


def cmd_kwic(ctx, args) -> int:
    from . import concordance
    from .chinese import to_analysis
    from .language import HAN, token_boundaries
    from .lexicon import load_lexicon

    if args.limit < 0 or (args.chars is not None and args.chars < 0):
        raise errors.UsageError("--limit and --chars: expected integers >= 0")
    chars = ctx.config.report.kwic_chars if args.chars is None else args.chars
    documents = _view_documents(ctx)
    key, groups = _groups(ctx, args, documents)
    if args.group:
        chosen = _pick_groups(key, groups, args.group, "--group")
        documents = {d: e for d, e in documents.items() if groups[d] in chosen}
    lexicon = load_lexicon(ctx.config)
    concept = None if args.word else concordance.find_concept(lexicon, args.term)
    lines = []
    for d, entry in documents.items():
        try:
            text = (ctx.outputs / "text" / f"{d}.txt").read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            continue
        if concept:
            spans = [(int(m["start"]), int(m["end"]), m.get("page", ""), m.get("sentence", ""))
                     for m in _read_mentions(ctx.outputs / "tags" / f"{d}.jsonl") if m["concept"] == concept]
        else:
            sentences = (io.read_json(ctx.outputs / ".state" / "segment" / f"{d}.json", default=None)
                         or {}).get("sentences") or []
            page_starts = (io.read_json(ctx.outputs / ".state" / "extract" / f"{d}.json", default=None)
                           or {}).get("page_starts") or []
            boundaries = None
            if not args.anywhere and sentences:
                try:
                    segmented = (ctx.outputs / "segmented" / f"{d}.txt").read_text(encoding="utf-8").splitlines()
                except (FileNotFoundError, UnicodeDecodeError):
                    segmented = []
                if len(segmented) == len(sentences):
                    boundaries = token_boundaries(
                        text, [(tuple(s), line.split(" ")) for s, line in zip(sentences, segmented)])
            script = ((entry.get("stages") or {}).get("convert") or {}).get("script")
            folded = to_analysis(text, script, ctx.config)
            spans = [(s, e, *concordance.position(s, sentences, page_starts))
                     for s, e in concordance.find_word(text, folded, args.term, boundaries=boundaries)]
        for start, end, page, sentence in spans:
            if 0 <= start <= end <= len(text):
                left, match, right = concordance.context(text, start, end, chars=chars)
                lines.append({"doc": d, "group": groups.get(d) or "", "page": page, "sentence": sentence,
                              "left": left, "match": match, "right": right})
    shown = lines[:args.limit] if args.limit else lines
    if args.format == "csv":
        columns = ("doc", "group", "page", "sentence", "left", "match", "right")
        _print_csv(columns, ([r[c] for c in columns] for r in shown))
        return errors.EXIT_OK
    docs = len({r["doc"] for r in lines})
    if concept:
        c = lexicon.concepts[concept]
        what = (f"concept {concept} ({' / '.join(dict.fromkeys((c.zh_hant, c.zh_hans, c.en)))}): {len(lines)} "
                f"mention{'s' * (len(lines) != 1)}")
    else:
        how = ["both scripts" if HAN.search(args.term) else "any case"] + (["inside tokens too"] if args.anywhere else [])
        what = f"word {args.term.strip()} ({', '.join(how)}): {len(lines)} occurrence{'s' * (len(lines) != 1)}"
    print(f"# {what} in {docs} document{'s' * (docs != 1)}" + (f", groups {args.group}" if args.group else ""))
    for line in concordance.aligned(shown):
        print(line)
    if len(shown) < len(lines):
        print(f"# ... {len(lines) - len(shown)} more")
    return errors.EXIT_OK


def cmd_matrix(ctx, args) -> int:
    from . import concordance

    documents = _view_documents(ctx)
    if args.of == "concepts":
        per_doc = _concept_counts(ctx, documents)
    else:
        per_doc = _word_counts(ctx, documents, documents, keep_stopwords=args.keep_stopwords, surfaces={})
    rows = sorted(per_doc)
    cols = sorted({item for counts, _ in per_doc.values() for item in counts})
    index = {item: k for k, item in enumerate(cols)}
    stem = args.output or str(ctx.outputs / "matrix" / f"doc_{args.of[:-1]}")
    if args.format == "csv":
        text = io.csv_text(["doc", *cols], ([d, *(per_doc[d][0].get(c, 0) for c in cols)] for d in rows))
        if stem == "-":
            sys.stdout.write(text)
            return errors.EXIT_OK
        written = {f"{stem}.csv": text}
    else:
        if stem == "-":
            raise errors.UsageError("--output -: only the CSV format can go to standard output")
        name = Path(stem).name
        cells = {(r, index[c]): n for r, d in enumerate(rows) for c, n in per_doc[d][0].items()}
        comment = (f"documents x {args.of} counts; row names: {name}.rows.txt, column names: {name}.cols.txt\n"
                   f"R: m <- Matrix::readMM('{name}.mtx'); rownames(m) <- readLines('{name}.rows.txt'); "
                   f"colnames(m) <- readLines('{name}.cols.txt'); quanteda::as.dfm(m)")
        written = {f"{stem}.mtx": concordance.matrix_market(cells, len(rows), len(cols), comment=comment),
                   f"{stem}.rows.txt": "".join(f"{d}\n" for d in rows),
                   f"{stem}.cols.txt": "".join(f"{c}\n" for c in cols)}
    for path, text in written.items():
        io.write_text(Path(path), text)
        print(path)


def cmd_lexicon(ctx, args) -> int:
    """`lexicon check [FILE]` and `lexicon add TERM ...`: validation through the
    tag stage's own loader, so what passes here loads in a run."""
    from .lexicon import USER_HEADER, check_files, concept_entry, lexicon_files, snake_id

    config = ctx.config
    configured = lexicon_files(config)
    base = Path(config.path).parent if config.path != "<defaults>" else Path(".")
    if args.action == "check":
        extra = [Path(args.file)] if args.file else []
        for path in extra:
            if not path.is_file():
                raise errors.UsageError(f"{path}: no such dictionary file")
        paths = configured + [p for p in extra if p.resolve() not in {c.resolve() for c in configured}]
        lexicon = check_files(paths)
        if not ctx.quiet:
            print(f"{len(lexicon.concepts)} concepts in {len(paths)} file(s): ok")
        return errors.EXIT_OK
    target = Path(args.file) if args.file else base / (config.tag.dictionaries[0] if config.tag.dictionaries
                                                          else "user-terms.toml")
    term = args.term.strip()
    if not term:
        raise errors.UsageError("lexicon add: TERM is empty")
    en = (args.en or (term if term.isascii() else "")).strip()
    if not en:
        raise errors.UsageError(f"lexicon add: {term}: give its English label with --en LABEL")
    cid = args.cid or snake_id(en)
    lexicon = check_files(configured)  # the dictionaries as they are must load first
    if cid in lexicon.concepts:
        where = lexicon.concepts[cid].source
        raise errors.UsageError(f"lexicon add: id {cid!r} is already a concept ({where}); choose another --id, "
                                f"or edit that entry (an entry with the same id in a later file overrides it)")
    if args.parent and args.parent not in lexicon.concepts:
        raise errors.UsageError(f"lexicon add: --parent {args.parent!r}: no concept with that id")
    old = target.read_text(encoding="utf-8") if target.exists() else USER_HEADER
    new = old.rstrip("\n") + "\n\n" + concept_entry(term, cid=cid, en=en, category=args.category,
                                                       parent=args.parent)
    # validated as it will be loaded: every configured file, with the new text in place of the target
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / target.name
        trial.write_text(new, encoding="utf-8")
        resolved = target.resolve()
        paths = [trial if p.resolve() == resolved else p for p in configured]
        try:
            check_files(paths if trial in paths else paths + [trial])
        except errors.ConfigError as exc:
            if str(exc.path) != str(trial):
                raise
            raise errors.ConfigError(target, exc.key, exc.expected, line=exc.line) from None
    io.write_text(target, new)
    if not ctx.quiet:
        print(f"added {cid} ({term}) to {target}")
        if target.resolve() not in {p.resolve() for p in configured}:
            print(f"note: {target} is not in the config's [tag] dictionaries; add it to use it, e.g. in "
                  f"{config.path if config.path != '<defaults>' else 'config.toml'}:\n  [tag]\n"
                  f"  dictionaries = [\"{target.name}\"]", file=sys.stderr)
    return errors.EXIT_OK


def _terminate(signum, frame):
    raise errors.Terminated()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM (kill, cron's timeout, systemd): like Ctrl-C, the run records what
    # it finished, ends its workers and their children, and exits
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        ctx = _context(args)
        command = args.command
        if command == "run":
            return _run_stages(ctx, list(DOC_STAGES.values()), True, True)
        if command in DOC_STAGES:
            return _run_stages(ctx, [DOC_STAGES[command]], command == "graph", False)
        if command == "report":
            return _run_stages(ctx, [], False, True)
        handlers = {"stamps": cmd_stamps, "status": cmd_status}
        if command in handlers:
            return handlers[command](ctx)
        tools = {"segment": cmd_segment, "convert": cmd_convert, "tag": cmd_tag, "inspect": cmd_inspect,
                 "diff": cmd_diff, "keyness": cmd_keyness, "kwic": cmd_kwic, "matrix": cmd_matrix,
                 "lexicon": cmd_lexicon}
        return tools[command](ctx, args)
    except errors.PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; the documents finished so far are recorded", file=sys.stderr)
        return errors.EXIT_INTERRUPTED
    except errors.Terminated:
        print("terminated; the documents finished so far are recorded", file=sys.stderr)
        return errors.EXIT_TERMINATED
    except BrokenPipeError:
        return errors.EXIT_OK
    except OSError as exc:
        if exc.errno not in io.OUTPUTS_ERRNOS:
            raise
        print(f"error: {errors.OutputsError.from_os_error(exc)}", file=sys.stderr)
        return errors.EXIT_OUTPUTS
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
