"""Error types and exit codes, in one place.

Exit codes are part of the contract (SPEC.md):
0 everything succeeded, 1 some documents failed, 2 usage or configuration
error (nothing run), 3 another run holds the outputs lock, 4 the outputs
cannot be written (read-only, disk full, file too large): the run stopped,
what it finished is recorded, the rest is redone by the next run.
"""

import functools
import re

EXIT_OK = 0
EXIT_DOCS_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_OUTPUTS = 4
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT); SIGTERM gives 143, as a shell reports a process ended by it
EXIT_TERMINATED = 143


class PipelineError(Exception):
    """An error of the whole run, shown to the user as one line."""

    exit_code = EXIT_USAGE


class ConfigError(PipelineError):
    """A bad config file, dictionary file or command-line value.

    The message names the file, the line when known, the key and what was
    expected, e.g. ``config.toml:31: [graph] window: expected one of
    'sentence', 'paragraph', 'document', got 'sentense'``.
    """

    def __init__(self, path, key, expected, *, line=None):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key}: {expected}")
        self.path, self.key, self.expected, self.line = path, key, expected, line

    def __reduce__(self):
        # pickled with its own arguments (an exception is rebuilt from its
        # message by default, which this __init__ does not take), so that it
        # comes back whole from a worker or the report's side process
        return functools.partial(ConfigError, line=self.line), (self.path, self.key, self.expected)


class UsageError(PipelineError):
    """A bad command line (missing file, unknown term...)."""


class LockHeld(PipelineError):
    """Another run holds the outputs lock."""

    exit_code = EXIT_LOCKED


class OutputsError(PipelineError):
    """The outputs folder cannot be written: read-only, full, a file too
    large, a file where a folder is expected. Not a document's failure: the
    run stops (exit 4) and the next run redoes what this one could not write.
    """

    exit_code = EXIT_OUTPUTS

    @classmethod
    def from_os_error(cls, exc: OSError, path=None):
        where = path or exc.filename or "outputs"
        what = exc.strerror or exc.__class__.__name__
        return cls(f"{shown(str(where))}: cannot write the outputs ({what}); the run stopped, "
                   f"what it finished is recorded and the next run redoes the rest")


class Terminated(BaseException):
    """SIGTERM: raised in the main process by its handler, so that the run
    records what it finished and ends its children before exiting (143)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]")


def shown(name: str) -> str:
    """A document id or path as printed in a message: control characters
    (a newline in a file name would forge a second message line) and bytes
    that are not UTF-8 (surrogate escapes) are written as escapes.

    >>> shown("a\\nfailed: b"), shown("中國.txt"), shown("\\udcd6\\udcd0.txt")
    ('a\\\\nfailed: b', '中國.txt', '\\\\xd6\\\\xd0.txt')
    """
    if not _CONTROL.search(name):
        return name
    return _CONTROL.sub(lambda m: _escape(m.group()), name)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by the file system's surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


class DocumentError(Exception):
    """A document that cannot be processed. Not an error of the run: it becomes
    a `failed` record in the manifest with this message as its reason."""
