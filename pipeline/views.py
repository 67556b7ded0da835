"""The research views: commands that read a run's outputs and answer a
question, writing to standard output (or to a file the user names).

- ``keyness``: the concepts or words typical of one group of documents (a
  year, an issuer) against another, by signed log-likelihood G²
  (:mod:`pipeline.keyness`);
- ``kwic``: a concept or any word in context, both scripts
  (:mod:`pipeline.concordance`);
- ``matrix``: document × concept (or word) counts for R and pandas;
- ``lexicon add`` / ``lexicon check``: grow and validate the dictionary.

Groups come from :mod:`pipeline.metadata`, as for the graph's groups.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import errors, io
from .lexicon import CATEGORIES


def add_parsers(sub, common, parser_class, HELP) -> None:
    """The commands of this module, on the CLI's subparsers ``sub``."""
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
    p = sub.add_parser("lexicon", parents=[common], help=HELP["lexicon"], description=HELP["lexicon"])
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=parser_class)
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


def print_csv(header, rows) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


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
        print_csv([*columns, "label"], ([*(r[c] for c in columns), labels[r["item"]]] for r in rows_shown))
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
        print_csv(columns, ([r[c] for c in columns] for r in shown))
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
