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

from . import errors, io, metadata, views  # noqa: E402
from .config import SECTIONS, load_config  # noqa: E402
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
    views.add_parsers(sub, common, Parser, HELP)
    return parser


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
    from .concordance import find_concept
    from .lexicon import load_lexicon

    if term in G:
        return term
    cid = find_concept(load_lexicon(config), term)
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
        views.print_csv(["id", "label_zh_hant", "label_zh_hans", "label_en", *measures],
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
        views.print_csv(["change", "kind", "source", "target", "label", "a", "b", "delta"],
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
                 "diff": cmd_diff, "keyness": views.cmd_keyness, "kwic": views.cmd_kwic, "matrix": views.cmd_matrix,
                 "lexicon": views.cmd_lexicon}
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
