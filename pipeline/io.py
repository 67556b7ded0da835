"""Files: atomic writes, content hashes, the corpus listing, the outputs lock,
the manifest and the stamps that make reads.

Every file under outputs/ is written to a temporary file in the same folder and
moved into place with ``os.replace``, so a reader (or a run killed halfway)
sees either the old complete file or the new complete one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io as stdio
import json
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import DocumentError, LockHeld, OutputsError, shown

DOCUMENT_SUFFIXES = (".pdf", ".txt", ".html", ".htm", ".docx")
# formats governments publish in that are not read: each such file fails with this reason, never silently skipped
UNREAD_SUFFIXES = {
    ".doc": "Word 97-2003 (.doc) is not read: save it as .docx or PDF",
    ".wps": "WPS Writer (.wps) is not read: save it as .docx or PDF",
    ".ofd": "OFD (.ofd, the fixed-layout format of Chinese e-government) is not read: export it as PDF",
    ".ceb": "Apabi CEB (.ceb) is not read: export it as PDF",
    ".rtf": "Rich Text Format (.rtf) is not read: save it as .docx or PDF",
    ".xls": "Excel 97-2003 (.xls) is not read: save the text as .docx, PDF or .txt",
    ".xlsx": "Excel (.xlsx) is not read: save the text as .docx, PDF or .txt",
    ".et": "WPS Spreadsheets (.et) is not read: save the text as .docx, PDF or .txt",
}
# Per-document output folders, with the file name pattern of each (``{}`` is the doc id).
DOC_OUTPUTS = {
    "text": "{}.txt",
    "converted": "{}.*.txt",
    "segmented": "{}.txt",
    "tags": "{}.jsonl",
    "graph/docs": "{}.graphml",
    ".state/extract": "{}.json",
    ".state/segment": "{}.json",
    ".state/tag": "{}.json",
    ".state/graph": "{}.json",
}


def write_bytes(path: Path, data: bytes, *, sync: bool = False) -> None:
    """Write atomically: temporary file in the same folder, os.replace. The
    data reaches the disk at the next :func:`flush_to_disk`, which runs
    before the manifest that records it is saved; ``sync=True`` flushes this
    file before returning. A folder that cannot be written (read-only, full,
    a file too large) raises :class:`OutputsError`."""
    path = Path(path)
    try:
        _write_bytes(path, data, sync)
    except OSError as exc:
        raise outputs_error(exc, path) from None


def outputs_error(exc: OSError, path: Path):
    """The error to raise for ``exc``, met while writing or removing ``path``
    under the outputs: a name too long is the document's (a DocumentError),
    anything else is the outputs folder's (:class:`OutputsError`)."""
    if exc.errno == errno.ENAMETOOLONG:
        return DocumentError(f"an output file name is too long for the file system ({len(os.fsencode(path.name))} "
                             f"bytes)")
    return OutputsError.from_os_error(exc, path)


def _write_bytes(path: Path, data: bytes, sync: bool) -> None:
    for attempt in range(3):  # another process may remove an empty folder between mkdir and mkstemp
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def sweep_temp_files(outputs: Path) -> int:
    """Delete temporary files left by a run that was killed mid-write.

    Only called while holding the outputs lock, so no other writer is active.
    """
    count = 0
    for path in Path(outputs).rglob(".*.tmp"):
        try:
            path.unlink()
            count += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputsError.from_os_error(exc, path) from None
    return count


def cached_pickle(folder: Path, kind: str, key: str, build, keep: int = 4):
    """The value pickled in ``folder/<kind>-<key>.pickle``, or ``build()``
    pickled there for the next process. ``key`` must cover everything the
    value depends on; a damaged file is rebuilt, and a read-only folder only
    makes it slower. Only the ``keep`` newest files of a kind stay: each
    change of the dictionary makes a new one."""
    import pickle

    path = Path(folder) / f"{kind}-{key}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    value = build()
    try:
        write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        prune_cache(Path(folder), f"{kind}-*.pickle", keep)
    except (OSError, OutputsError, DocumentError):
        pass
    return value


def prune_cache(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` newest files matching ``pattern``."""
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for path in files[keep:]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def flush_to_disk() -> None:
    """Flush every file written so far to disk: one call before each save of
    the manifest instead of an fsync per file (a run writes several files per
    document)."""
    if hasattr(os, "sync"):
        os.sync()


def write_text(path: Path, text: str, *, sync: bool = False) -> None:
    write_bytes(path, text.encode("utf-8"), sync=sync)


def write_json(path: Path, data, *, sync: bool = False, line_per_entry: str | tuple[str, ...] | None = None) -> None:
    """Indented JSON, keys sorted. With ``line_per_entry``, each entry of that
    key's dict (or those keys' dicts) is one line: the manifest's documents
    (see :func:`json_text`)."""
    write_text(path, json_text(data, line_per_entry) + "\n", sync=sync)


def json_text(data: dict, line_per_entry: str | tuple[str, ...] | None = None) -> str:
    """``data`` as indented JSON, keys sorted; with ``line_per_entry``, the
    entries of ``data[line_per_entry]`` (or of each key named) one to a line.
    Indented, the json module writes with its pure-Python encoder, at every
    save of the manifest; a line per entry is the C encoder's work.

    >>> print(json_text({"b": 1, "docs": {"x": {"n": [1, 2]}, "y": {}}}, "docs"))
    {
     "b": 1,
     "docs": {
      "x": {"n": [1, 2]},
      "y": {}
     }
    }
    """
    keys = (line_per_entry,) if isinstance(line_per_entry, str) else tuple(line_per_entry or ())
    keys = tuple(k for k in keys if data.get(k))
    if not keys:
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    placeholders = {k: "\0" + k for k in keys}  # a NUL is in no key or path; json writes it as \u0000
    text = json.dumps({**data, **placeholders}, ensure_ascii=False, indent=1, sort_keys=True)
    for key in keys:
        entries = ",\n".join(f"  {json.dumps(name, ensure_ascii=False)}: "
                             f"{json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(', ', ': '))}"
                             for name, value in sorted(data[key].items()))
        text = text.replace(json.dumps(placeholders[key]), "{\n" + entries + "\n }", 1)
    return text


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSON-lines file (tags/<doc>.jsonl); a missing file, or
    a line that is not a JSON object, gives nothing (views read what is there)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    out = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def write_state(path: Path, data) -> None:
    """JSON for a .state file, which only this program reads: without indent,
    so the json module's C encoder writes it (indent makes it use the pure
    Python one)."""
    write_text(path, json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")


def csv_text(header, rows) -> str:
    """CSV with a header row, "\n" line ends (pandas, R and Excel read it)."""
    import csv

    buf = stdio.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs, so make sees an unchanged mtime."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_text(path, text)
    return True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def code_hash(module_file: str) -> str:
    """Hash of a stage's own source file: part of its cache key."""
    return hashlib.sha256(Path(module_file).read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    id: str  # path relative to the corpus, extension removed: "2015/mic2025"
    path: Path
    suffix: str  # ".pdf" or ".txt"


# errors of the outputs folder rather than of a document: the run stops with exit 4
OUTPUTS_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
MAX_NAME_BYTES = 240  # a document's outputs add up to 15 bytes to its name (".zh-Hans.txt"); file systems allow 255


def scan_corpus(corpus: Path, exclude: Path | None = None) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents under ``corpus`` sorted by id, and (path, reason) of entries skipped.

    Symbolic links that lead outside the corpus are not followed; two files that
    would share an id (``a.pdf`` and ``a.txt``) are both reported, and so are
    names that are not UTF-8 (kept with their bytes escaped, ``\\xd6``) or
    longer than :data:`MAX_NAME_BYTES`, folders that cannot be listed, and
    each file in a format that is not read (``UNREAD_SUFFIXES``: ``.doc``,
    ``.ofd``, ...). The folder ``exclude`` (an outputs folder inside the
    corpus) is not entered.
    """
    corpus = Path(corpus)
    root = corpus.resolve()
    excluded = Path(exclude).resolve() if exclude is not None else None
    found: dict[str, list[Document]] = {}
    skipped = []

    def unlisted(exc: OSError) -> None:
        rel = Path(exc.filename).relative_to(corpus).as_posix() if exc.filename else "."
        skipped.append((shown(rel) + "/", f"folder cannot be read ({exc.strerror}); its documents are left as they were"))

    for folder, dirs, files in os.walk(corpus, onerror=unlisted):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (excluded is None or (Path(folder) / d).resolve() != excluded))
        for name in sorted(files):
            path = Path(folder) / name
            suffix = path.suffix.lower()
            if name.startswith(".") or suffix not in DOCUMENT_SUFFIXES and suffix not in UNREAD_SUFFIXES:
                continue
            rel = path.relative_to(corpus)
            if suffix in UNREAD_SUFFIXES:
                skipped.append((shown(rel.as_posix()), UNREAD_SUFFIXES[suffix]))
                continue
            if not _is_utf8(rel.as_posix()):
                skipped.append((shown(rel.as_posix()), "file name is not valid UTF-8 (from an archive in another encoding? "
                                           "rename it, e.g. convmv -f gbk -t utf-8)"))
                continue
            if len(os.fsencode(name)) > MAX_NAME_BYTES:
                skipped.append((rel.as_posix(), f"file name too long ({len(os.fsencode(name))} bytes; the outputs need "
                                           f"names of at most {MAX_NAME_BYTES})"))
                continue
            try:
                if path.is_symlink() and not path.resolve().is_relative_to(root):
                    skipped.append((str(rel), "symbolic link to outside the corpus, not followed"))
                    continue
            except (OSError, RuntimeError):  # a loop of links
                skipped.append((str(rel), "symbolic link that leads nowhere (a loop)"))
                continue
            if not path.is_file():
                skipped.append((str(rel), "not a regular file"))
                continue
            doc_id = rel.with_suffix("").as_posix()
            found.setdefault(doc_id, []).append(Document(doc_id, path, suffix))
    docs = []
    for doc_id, candidates in sorted(found.items()):
        if len(candidates) > 1:
            names = ", ".join(str(c.path.relative_to(corpus)) for c in candidates)
            skipped.extend((str(c.path.relative_to(corpus)), f"several files share the id {doc_id!r}: {names}")
                           for c in candidates)
        else:
            docs.append(candidates[0])
    return docs, skipped


def _is_utf8(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (decoded by the file
    system's surrogateescape as lone surrogates)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def corpus_fingerprint(corpus: Path, exclude: Path | None = None) -> str:
    """Cheap listing of the corpus (names, sizes, mtimes) for make's stamp,
    without the folder ``exclude`` (an outputs folder inside the corpus).

    Content hashes are taken inside the extract stage; this only tells make
    that something may have changed.
    """
    lines = []
    excluded = Path(exclude).resolve() if exclude is not None else None
    for folder, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if excluded is None or (Path(folder) / d).resolve() != excluded)
        for name in sorted(files):
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                st = path.stat()
                lines.append(f"{shown(path.relative_to(corpus).as_posix())}\t{st.st_size}\t{st.st_mtime_ns}")
    return "\n".join(lines) + "\n"


def doc_output_paths(outputs: Path, doc_id: str) -> list[Path]:
    """Every file the pipeline may have written for one document."""
    paths = []
    for folder, pattern in DOC_OUTPUTS.items():
        name = pattern.format(doc_id)
        if "*" in name:
            paths.extend(sorted((outputs / folder).glob(glob_escape(name))))
        else:
            paths.append(outputs / folder / name)
    return paths


def glob_escape(pattern: str) -> str:
    """Escape glob metacharacters of a doc id but keep the final ``*``."""
    head, star, tail = pattern.rpartition("*")
    import glob

    return glob.escape(head) + star + glob.escape(tail)


def remove_doc_outputs(outputs: Path, doc_id: str, folders=None) -> None:
    """Delete a document's outputs (in ``folders`` only, if given), and the
    subfolders this leaves empty."""
    for path in doc_output_paths(outputs, doc_id):
        if folders is None or any(path.is_relative_to(outputs / f) for f in folders):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno != errno.ENAMETOOLONG:  # a name too long for any file: nothing to remove
                    raise OutputsError.from_os_error(exc, path) from None
            parent = path.parent
            while folders is None and parent != outputs and parent.is_relative_to(outputs):
                try:
                    parent.rmdir()  # only succeeds when empty
                except OSError:
                    break
                parent = parent.parent


def die_with_parent() -> None:
    """Linux: ask for SIGKILL when the parent dies (best effort elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


HELD_LOCKS: set[int] = set()  # descriptors of the locks this process holds


def close_inherited_locks() -> None:
    """In a forked worker: close the copies of the parent's lock descriptors.
    flock belongs to the open file, so a worker that kept a copy would hold
    the lock after a killed parent, and the next run would be refused."""
    for fd in list(HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    HELD_LOCKS.clear()


class OutputsLock:
    """An exclusive lock on the outputs folder, held for a whole command.

    ``flock`` is released by the kernel when the holder dies, so a lock left by
    a killed run is never stale: the next run simply takes it. The file names
    the holder for the message a second run prints.
    """

    def __init__(self, outputs: Path):
        self.path = Path(outputs) / ".lock"
        self.handle = None

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise OutputsError.from_os_error(exc, self.path) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LockHeld(f"{self.path.parent}: another run holds the outputs lock ({holder}); "
                           "try again when it has finished") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self.handle = handle
        HELD_LOCKS.add(handle.fileno())
        return self

    def __exit__(self, *exc):
        HELD_LOCKS.discard(self.handle.fileno())
        self.handle.seek(0)
        self.handle.truncate()
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
