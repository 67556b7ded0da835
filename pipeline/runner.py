"""The incremental machinery shared by the stages.

A document passes through the per-document stages in order (extract, convert,
segment, tag, graph). Each stage's cache key for a document is the hash of the
previous stage's key (for extract: the file's content hash), the stage's own
source files, its config section and the data it reads (the dictionary, library
versions). A document is redone by a stage only when that key changed or an
output is missing; everything else is reported ``unchanged``. The corpus-level
steps (the merged graph, the report) have keys of their own over every
document's keys (:func:`corpus_key`) and are skipped when those are unchanged.

The manifest (outputs/manifest.json) records, per document, the input hash,
status, failure reason and what each stage recorded.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import gc
import importlib
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import __version__, io, isolation
from .stages import DOCUMENT_STAGES, STAGE, STAGES, code_files, data_files
from .errors import DocumentError, OutputsError, UsageError

STAGE_ORDER = DOCUMENT_STAGES  # the per-document stages, in order
DEPENDENCIES = ("jieba", "pdfplumber", "pdfminer.six", "pypdfium2", "spacy", "lemminflect", "networkx", "scipy",
                "numpy", "opencc", "matplotlib", "jinja2", "tqdm", "distributed")


@dataclass(frozen=True)
class Context:
    config: object
    corpus: Path
    outputs: Path
    jobs: int = 1
    quiet: bool = False
    executor: str = "local"  # "local" (processes on this machine) or "dask"
    scheduler: str = ""  # address of the Dask scheduler, for executor "dask"

    @property
    def interactive(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    def say(self, message: str) -> None:
        """A progress message: on a terminal only, never in cron."""
        if self.interactive:
            print(message, file=sys.stderr)


@functools.lru_cache(maxsize=None)
def _version(package: str) -> str | None:
    version = _installed_versions().get(_normalized(package))
    if version is not None:
        return version
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=None)
def _installed_versions() -> dict[str, str]:
    """Versions of the installed wheels, read from their ``NAME-VERSION.dist-info``
    folder names (the wheel format puts the version there). Every command
    needs the versions of its libraries, and ``metadata.version`` reads and
    parses each one's METADATA file, a large part of a no-op run. Others (an
    egg, an editable install) are left to ``metadata``."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            stem = name.removesuffix(".dist-info")
            if stem != name and stem.count("-") == 1:
                package, version = stem.split("-")
                found.setdefault(_normalized(package), version)  # the first on sys.path, as import finds it
    return found


class Manifest:
    """outputs/manifest.json: the run record."""

    def __init__(self, outputs: Path):
        self.path = Path(outputs) / "manifest.json"
        self.damaged = None  # why the manifest on disk could not be used, if it could not
        try:
            self.data = io.read_json(self.path, default=None) or {}
            _check_shape(self.data)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:  # truncated, garbage, or not a manifest
            self.damaged = f"{exc.__class__.__name__}: {str(exc)[:100]}"
            self.data = {}
        self.documents: dict[str, dict] = self.data.setdefault("documents", {})
        # bytes of each output of each document when it was written: a no-op
        # run compares them with a stat, so a truncated file is noticed
        self.sizes: dict[str, dict[str, int]] = self.data.setdefault("sizes", {})
        self.damaged_outputs: list[tuple[str, str]] = []  # (doc_id, what) found by this run

    def save(self, config, **run) -> None:
        self.data.update({
            "tool": {"name": "policy-pipeline", "version": __version__},
            "dependencies": {name: _version(name) for name in DEPENDENCIES},
            "python": sys.version.split()[0],
            "config": {"path": config.path, "hash": config.hash(),
                       "sections": {s.name: config.section_hash(s.name) for s in STAGES}},
            "documents": {k: self.documents[k] for k in sorted(self.documents)},
            "sizes": {k: self.sizes[k] for k in sorted(self.sizes) if k in self.documents},
        })
        self.data.setdefault("run", {}).update(run)
        # the outputs it records reach the disk before it does: after a power
        # cut it never records a file that was lost
        io.flush_to_disk()
        io.write_json(self.path, self.data, sync=True, line_per_entry=("documents", "sizes"))  # a line per document

    def failed(self) -> list[tuple[str, str]]:
        return [(doc_id, d.get("reason") or "failed") for doc_id, d in sorted(self.documents.items())
                if d.get("status") == "failed"]

    def active(self, stage: str) -> list[str]:
        """Documents that reached ``stage`` without failing."""
        return [doc_id for doc_id, d in sorted(self.documents.items())
                if d.get("status") != "failed" and "failed" not in d.get("stages", {}).get(stage, {})
                and stage in d.get("stages", {})]


def _check_shape(data) -> None:
    """Raise TypeError unless ``data`` has the manifest's shape (JSON that
    parses can still be garbage, or another file)."""
    if not isinstance(data, dict) or not isinstance(data.get("documents", {}), dict) \
            or not isinstance(data.get("sizes", {}), dict) or not isinstance(data.get("corpus_steps", {}), dict):
        raise TypeError("not a manifest")
    for entry in data.get("documents", {}).values():
        if not isinstance(entry, dict) or not isinstance(entry.get("stages", {}), dict) \
                or not all(isinstance(r, dict) for r in entry.get("stages", {}).values()):
            raise TypeError("a document entry is not a manifest record")
    for sizes in data.get("sizes", {}).values():
        if not isinstance(sizes, dict):
            raise TypeError("sizes are not a manifest record")


def code_hashes(stage: str) -> list[str]:
    """Hashes of the code and data files whose change redoes a stage (pipeline/stages.py)."""
    return [io.code_hash(path) for path in (*code_files(stage), *data_files(stage))]


def stage_fingerprint(stage: str, config) -> str:
    """What a stage's results depend on besides its input: its code, config and data."""
    parts = [stage, *code_hashes(stage), config.section_hash(stage)]
    parts += [f"{lib}={_version(lib)}" for lib in STAGE[stage].libraries]
    if stage == "extract":  # installing tesseract later must redo the pages that needed OCR
        parts.append(f"tesseract={shutil.which('tesseract')}")
    if stage in ("segment", "tag"):  # both read the dictionary (segment adds its aliases to jieba)
        from .lexicon import lexicon_hash

        parts.append(lexicon_hash(config))
    return io.sha256_text(*parts)


def _call(stage: str, doc_id: str, entry: dict, config, outputs: Path):
    """Run one stage on one document; never raises (a worker must not take the pool down)."""
    module = importlib.import_module(f"pipeline.{stage}")
    try:
        with isolation.library_warnings() as notes:
            record = module.process(doc_id, entry, config, outputs)
        if notes:  # recorded with the document's warnings, not printed by the library
            record = {**record, "warnings": [*record.get("warnings", []), isolation.summary(notes)]}
        return doc_id, record, None
    except DocumentError as exc:
        return doc_id, None, str(exc)
    except OutputsError:  # the outputs folder's trouble, not the document's: the run stops
        raise
    except OSError as exc:
        if exc.errno in io.OUTPUTS_ERRNOS:  # disk full, read-only, file too large, met outside io's writes
            raise OutputsError.from_os_error(exc) from None
        return doc_id, None, f"internal error in {stage}: {exc.__class__.__name__}: {exc}"[:500]
    except Exception as exc:  # a bug or a library failing on a strange file: fail the document, not the batch
        message = str(exc).splitlines()[0] if str(exc) else ""
        return doc_id, None, f"internal error in {stage}: {exc.__class__.__name__}: {message}"[:500]
    finally:
        if stage not in _WARM_STAGES:
            # What a stage loads on its first document (the dictionary, spaCy,
            # networkx) lives as long as the process: moved out of the garbage
            # collector's sight, it is no longer walked by every full
            # collection.
            _WARM_STAGES.add(stage)
            gc.freeze()


_WARM_STAGES: set[str] = set()  # stages that have run on a document in this process


def _progress(ctx: Context, total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="doc", disable=not ctx.interactive or total == 0, leave=False)


def sync_corpus(ctx: Context, manifest: Manifest) -> None:
    """Bring the manifest in line with corpus/: add new documents, hash them,
    and drop documents that are gone (with every output they had)."""
    docs, skipped = io.scan_corpus(ctx.corpus, exclude=ctx.outputs)
    present = {d.id for d in docs} | {rel for rel, _ in skipped}
    unlisted = tuple(rel for rel, _ in skipped if rel.endswith("/"))  # folders that could not be read
    for doc_id in list(manifest.documents):
        if doc_id not in present and not doc_id.startswith(unlisted):
            io.remove_doc_outputs(ctx.outputs, doc_id)
            del manifest.documents[doc_id]
            manifest.sizes.pop(doc_id, None)
    for rel, reason in skipped:
        manifest.documents[rel] = {"source": rel, "status": "failed", "reason": reason, "stages": {}}
        if not rel.endswith("/"):
            io.remove_doc_outputs(ctx.outputs, rel)
    for doc in docs:
        entry = manifest.documents.setdefault(doc.id, {"stages": {}})
        source = doc.path.relative_to(ctx.corpus).as_posix()
        try:
            st = doc.path.stat()
            # reuse the content hash while size and mtime are unchanged; a touched
            # file is re-hashed and, if its content is the same, stays unchanged
            if entry.get("bytes") != st.st_size or entry.get("mtime_ns") != st.st_mtime_ns or "sha256" not in entry:
                entry["sha256"] = io.sha256_file(doc.path)
        except OSError as exc:  # unreadable (permissions, a disk error), or gone since the scan: tried again next run
            manifest.documents[doc.id] = {"source": source, "suffix": doc.suffix, "status": "failed",
                                          "reason": f"cannot read the file ({exc.strerror or exc})", "stages": {}}
            io.remove_doc_outputs(ctx.outputs, doc.id)
            continue
        entry.update(source=source, suffix=doc.suffix, bytes=st.st_size, mtime_ns=st.st_mtime_ns)


@contextlib.contextmanager
def open_executor(ctx: Context):
    """Where per-document work runs: None (in this process, for --jobs 1), a
    local process pool shared by all stages of a run (each worker loads jieba,
    OpenCC and spaCy once), or a Dask distributed cluster.

    On a cluster every worker must import this package and see the same
    corpus and outputs folders (a shared file system).
    """
    if ctx.executor == "dask":
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--executor dask needs the 'distributed' package: pip install -e '.[dask]'") from None
        try:
            client = Client(ctx.scheduler, timeout="10s")
        except OSError as exc:
            raise UsageError(f"--scheduler {ctx.scheduler}: cannot reach the Dask scheduler ({exc})") from None
        with client:
            yield client.get_executor()
    elif ctx.jobs > 1:
        with isolation.open_pool(ctx.jobs) as pool:  # forked: they inherit what preload() loaded here
            yield pool
    else:
        yield None


def preload(stages, config) -> None:
    """Load, in this process, what the stages load on their first document
    (spaCy, jieba's dictionary, OpenCC, networkx, the PDF libraries), just
    before a local pool forks its workers: they inherit it instead of each
    loading it again."""
    for stage in stages:
        module = importlib.import_module(f"pipeline.{stage}")
        # a failure here is met again by the workers, on each document, and reported there
        with contextlib.suppress(Exception):
            if hasattr(module, "preload"):
                module.preload(config)
    gc.freeze()  # long-lived: kept out of the collector's walks, in this process and in every worker


def _work_entry(ctx: Context, manifest: Manifest, doc_id: str) -> dict:
    """What a worker gets of a document: its manifest entry and its file's path."""
    return {**manifest.documents[doc_id], "path": str(ctx.corpus / manifest.documents[doc_id]["source"])}


def _biggest_first(manifest: Manifest, doc_ids) -> list[str]:
    """The order tasks go to workers: biggest files first, so that the last
    tasks are short ones and no worker sits idle at the end while another
    reads a long PDF."""
    return sorted(doc_ids, key=lambda d: (-manifest.documents[d].get("bytes", 0), d))


def _record(ctx: Context, manifest: Manifest, entry: dict, doc_id: str, stage: str, key: str, record, reason,
            counts: dict) -> None:
    """Write one stage's result for a document into its manifest entry: the
    record, or the failure (which drops the later stages and every output)."""
    if reason is None:
        entry["stages"][stage] = {"key": key, **record}
        entry.update(status="ok", reason=None)
        counts["warnings"] += [(doc_id, w) for w in record.get("warnings", [])]
        sizes = manifest.sizes.setdefault(doc_id, {})
        for path in _expected_outputs(stage, doc_id, record):
            try:
                sizes[path] = os.stat(ctx.outputs / path).st_size
            except OSError:
                sizes.pop(path, None)
    else:
        manifest.sizes.pop(doc_id, None)
        entry["stages"][stage] = {"key": key, "failed": reason}
        entry.update(status="failed", reason=f"{stage}: {reason}")
        for later in STAGE_ORDER[STAGE_ORDER.index(stage) + 1:]:
            entry["stages"].pop(later, None)
        io.remove_doc_outputs(ctx.outputs, doc_id)
        counts["failed"] += 1
        counts["failed_ids"].append(doc_id)


def run_stage(ctx: Context, stage: str, manifest: Manifest, executor=None) -> dict:
    """Run one per-document stage over every document that needs it, in
    ``executor`` (see :func:`open_executor`) or in this process."""
    config = ctx.config
    first = stage == STAGE_ORDER[0]
    if first:
        sync_corpus(ctx, manifest)
        candidates = [d for d in sorted(manifest.documents) if "sha256" in manifest.documents[d]]
    else:
        previous = STAGE_ORDER[STAGE_ORDER.index(stage) - 1]
        candidates = manifest.active(previous)
        # a document that failed before this stage has no outputs from it
        for doc_id, entry in manifest.documents.items():
            if doc_id not in candidates:
                entry.get("stages", {}).pop(stage, None)
    todo = []
    fingerprint = stage_fingerprint(stage, config)
    for doc_id in candidates:
        entry = manifest.documents[doc_id]
        upstream = entry["sha256"] + entry["suffix"] if first else entry["stages"][previous]["key"]
        key = io.sha256_text(upstream, fingerprint)
        record = entry["stages"].get(stage, {})
        if record.get("key") == key and _outputs_exist(ctx.outputs, stage, doc_id, record, manifest):
            if "failed" in record:
                entry.update(status="failed", reason=f"{stage}: {record['failed']}")
            elif first:
                entry.update(status="unchanged", reason=None)
            continue
        todo.append((doc_id, key))
    counts = {"stage": stage, "documents": len(candidates), "redone": len(todo), "failed": 0, "failed_ids": [],
              "warnings": []}
    started = time.perf_counter()
    with _progress(ctx, len(todo), stage) as bar:
        def done(doc_id, key, record, reason):
            _record(ctx, manifest, manifest.documents[doc_id], doc_id, stage, key, record, reason, counts)
            bar.update(1)

        if executor is None or len(todo) <= 1:
            for doc_id, key in todo:
                _, record, reason = _call(stage, doc_id, _work_entry(ctx, manifest, doc_id), config, ctx.outputs)
                done(doc_id, key, record, reason)
        else:
            keys = dict(todo)
            if isinstance(executor, isolation.Pool):
                preload([stage], config)

            def lost(doc_id, reason):
                _lost(ctx, manifest.documents[doc_id], doc_id, [stage], reason, counts)
                bar.update(1)

            _in_pool(executor, [(d, (_call, stage, d, _work_entry(ctx, manifest, d), config, ctx.outputs))
                                for d in _biggest_first(manifest, keys)],
                     lambda result: done(result[0], keys[result[0]], *result[1:]), lost)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts


def _lost(ctx: Context, entry: dict, doc_id: str, stages: list[str], reason: str, counts: dict) -> None:
    """A document whose worker was lost: failed in this run, but not in any
    stage record, so that the next run tries it again (what ended the worker,
    most likely the kernel's out-of-memory killer, may have been another
    document or another program)."""
    for stage in stages:
        entry["stages"].pop(stage, None)
    entry.update(status="failed", reason=reason)
    io.remove_doc_outputs(ctx.outputs, doc_id)
    counts["failed"] += 1
    counts["failed_ids"].append(doc_id)


def _in_pool(executor, tasks, finished, lost) -> None:
    """Run ``tasks`` ([(doc_id, (function, *args))]) in ``executor``, in that
    order, calling ``finished(result)`` for each as it ends. In a local pool
    only as many tasks as there are workers are given out at a time, so
    that when a worker is lost (killed by the kernel: BrokenProcessPool) the
    documents in flight are known: ``lost(doc_id, reason)`` is called for
    each, and a new pool takes the rest. An exception of a task (an
    OutputsError) or of this process (Ctrl-C) stops the run; the executor's
    owner cancels what is pending (:meth:`isolation.Pool.stop`)."""
    window = executor.jobs if isinstance(executor, isolation.Pool) else len(tasks)
    pending = list(reversed(tasks))  # popped from the end: the first task first
    running: dict = {}  # future -> doc_id
    while pending or running:
        while pending and len(running) < window:
            doc_id, (function, *args) = pending.pop()
            running[executor.submit(function, *args)] = doc_id
        ended, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
        broken = False
        for future in ended:
            try:
                result = future.result()
            except BrokenProcessPool:
                broken = True
                continue
            del running[future]
            finished(result)
        if broken:
            for future in list(running):  # a result that came in before the break still counts
                if future.done() and not future.cancelled() and future.exception() is None:
                    finished(future.result())
                    del running[future]
            for doc_id in running.values():
                lost(doc_id, "the worker process died while this document was in flight (killed, most likely "
                             "by the kernel when memory ran out); it is tried again on the next run")
            running.clear()
            executor.renew()


def _plan(ctx: Context, stages: list[str], manifest: Manifest) -> dict[str, list[tuple[str, str]]]:
    """For each document, the (stage, key) pairs it needs, in order: from the
    first stage whose key changed or whose outputs are missing, every stage
    after it too. Documents that need nothing get their status from the
    records they already have."""
    fingerprints = {stage: stage_fingerprint(stage, ctx.config) for stage in stages}
    plans = {}
    for doc_id in sorted(manifest.documents):
        entry = manifest.documents[doc_id]
        if "sha256" not in entry:  # skipped by the corpus scan (status failed already)
            continue
        upstream, plan, failed = entry["sha256"] + entry["suffix"], [], None
        for stage in stages:
            key = io.sha256_text(upstream, fingerprints[stage])
            record = entry["stages"].get(stage, {})
            if plan or record.get("key") != key or not _outputs_exist(ctx.outputs, stage, doc_id, record, manifest):
                plan.append((stage, key))
            elif "failed" in record:
                failed = f"{stage}: {record['failed']}"
                break
            upstream = key
        if plan:
            plans[doc_id] = plan
        elif failed:
            entry.update(status="failed", reason=failed)
        else:
            entry.update(status="unchanged", reason=None)
    return plans


def _call_chain(doc_id: str, entry: dict, plan: list[tuple[str, str]], config, outputs: Path):
    """Run the planned stages on one document in turn, stopping at the first
    failure; never raises. Returns (doc_id, [(stage, key, record, reason)])."""
    entry = {**entry, "stages": dict(entry.get("stages", {}))}
    results = []
    for stage, key in plan:
        _, record, reason = _call(stage, doc_id, entry, config, outputs)
        results.append((stage, key, record, reason))
        if reason is not None:
            break
        entry["stages"][stage] = {"key": key, **record}
    return doc_id, results


def run_documents(ctx: Context, stages: list[str], manifest: Manifest, executor=None, save=None,
                  every: float = 60.0, meanwhile=None) -> dict[str, dict]:
    """Run every per-document stage, document by document: a document goes
    through all of its stages in one task as soon as a worker is free, so
    parsing one PDF overlaps with segmenting, tagging and graphing others and
    no worker waits at the end of a stage for the slowest document.

    Gives the same outputs and manifest as :func:`run_stage` over ``stages`` in
    turn. ``save()`` is called every ``every`` seconds, so that a long run
    killed midway keeps what it finished. With an executor, ``meanwhile()``
    is called when there is work, before the workers start; it must return
    at once (:meth:`isolation.SideProcess.start` does). Returns each stage's
    counts."""
    sync_corpus(ctx, manifest)
    plans = _plan(ctx, stages, manifest)
    counts = {stage: {"stage": stage, "redone": 0, "failed": 0, "failed_ids": [], "warnings": []}
              for stage in stages}
    started = saved = time.perf_counter()

    def done(doc_id, results):
        nonlocal saved
        for stage, key, record, reason in results:
            counts[stage]["redone"] += 1
            _record(ctx, manifest, manifest.documents[doc_id], doc_id, stage, key, record, reason, counts[stage])
        if save and time.perf_counter() - saved > every:
            save()
            saved = time.perf_counter()

    from . import extract

    # each PDF's child forked by a small process, not by the workers that hold
    # jieba and spaCy; a Dask worker elsewhere forks its own children
    local = executor is None or isinstance(executor, isolation.Pool)
    reads_pdfs = any(plan[0][0] == "extract" and manifest.documents[d].get("suffix") == ".pdf"
                     for d, plan in plans.items())
    with _progress(ctx, len(plans), "documents") as bar, \
            isolation.forker(extract.preload, ctx.config) if local and reads_pdfs else contextlib.nullcontext():
        if meanwhile and executor is not None and plans:  # also beside a lone document, done here
            meanwhile()
        if executor is None or len(plans) <= 1:
            for doc_id, plan in plans.items():
                done(*_call_chain(doc_id, _work_entry(ctx, manifest, doc_id), plan, ctx.config, ctx.outputs))
                bar.update(1)
        else:
            if isinstance(executor, isolation.Pool):
                preload(stages, ctx.config)

            def finished(result):
                done(*result)
                bar.update(1)

            def lost(doc_id, reason):
                _lost(ctx, manifest.documents[doc_id], doc_id, [s for s, _ in plans[doc_id]], reason,
                      counts[plans[doc_id][0][0]])
                bar.update(1)

            _in_pool(executor, [(d, (_call_chain, d, _work_entry(ctx, manifest, d), plans[d], ctx.config,
                                     ctx.outputs)) for d in _biggest_first(manifest, plans)], finished, lost)
    seconds = round(time.perf_counter() - started, 3)
    for i, stage in enumerate(stages):  # as in run_stage: the documents that reached the stage before
        before = stages[i - 1] if i else None
        counts[stage]["documents"] = sum(
            1 for e in manifest.documents.values() if "sha256" in e
            and (before is None or "failed" not in e["stages"].get(before, {"failed": 1})))
        counts[stage]["seconds"] = seconds
    return counts


def _outputs_exist(outputs: Path, stage: str, doc_id: str, record: dict, manifest: Manifest) -> bool:
    """Whether a stage's outputs for a document are there, each of the size
    it had when it was written (one stat per file, as for existence alone).
    A file of another size (truncated, overwritten) is noted in
    ``manifest.damaged_outputs`` and the stage is redone."""
    if "failed" in record:
        return True
    sizes = manifest.sizes.setdefault(doc_id, {})
    for path in _expected_outputs(stage, doc_id, record):
        try:
            size = os.stat(outputs / path).st_size
        except OSError:
            return False
        expected = sizes.setdefault(path, size)  # a manifest from before sizes were kept: taken as they are
        if size != expected:
            manifest.damaged_outputs.append((doc_id, f"{path} has {size} bytes, {expected} when written "
                                                      f"(truncated or changed); redone"))
            return False
    return True


def _expected_outputs(stage: str, doc_id: str, record: dict) -> list[str]:
    return {"extract": [f"text/{doc_id}.txt", f".state/extract/{doc_id}.json"],
                "convert": [f"converted/{doc_id}.{o['script']}.txt" for o in record.get("outputs", [])],
                "segment": [f"segmented/{doc_id}.txt", f".state/segment/{doc_id}.json"],
                "tag": [f"tags/{doc_id}.jsonl", f".state/tag/{doc_id}.json"],
                "graph": [f"graph/docs/{doc_id}.graphml", f".state/graph/{doc_id}.json"]}[stage]


def corpus_key(step: str, config, manifest: Manifest, upstream: str = "") -> str:
    """Cache key of a corpus-level step (the merged graph, the report): its own
    code and config, the dictionary, and every document's stage keys and status.
    When it is unchanged the step's outputs are already up to date."""
    from .lexicon import lexicon_hash
    from .metadata import document_metadata

    parts = [step, upstream, *code_hashes(step), config.section_hash(step), lexicon_hash(config)]
    parts += [f"{lib}={_version(lib)}" for lib in STAGE[step].libraries]
    if step == "report":  # the page also shows the candidate terms
        candidates = Path(manifest.path).parent / config.report.candidates
        parts.append(io.code_hash(candidates) if candidates.is_file() else "no candidates")
    # the stages the step reads: tag's corpus files do not change with [graph]
    read = STAGE_ORDER[:STAGE_ORDER.index(step) + 1] if step in STAGE_ORDER else STAGE_ORDER
    # with groups, a document's metadata (metadata.csv, its file name) regroups it without redoing a stage;
    # the tag step's candidates per group follow [graph] group_by too
    grouped = step in ("tag", "graph", "report") and config.graph.group_by
    if step == "tag":
        parts.append(f"groups={config.graph.group_by}|{config.graph.group_pattern}")
    for doc_id, entry in sorted(manifest.documents.items()):
        failed = entry.get("status") == "failed"
        keys = ",".join(f"{s}={r.get('key')}" for s, r in sorted(entry.get("stages", {}).items()) if s in read)
        parts.append(f"{doc_id}|{failed}|{entry.get('reason') if failed else ''}|{keys}")
        if grouped:
            parts.append(json.dumps(document_metadata(entry), sort_keys=True, ensure_ascii=False))
    return io.sha256_text(*parts)
