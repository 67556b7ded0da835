"""Error types and exit codes, in one place.

Exit codes are part of the contract (SPEC.md):
0 everything succeeded, 1 some documents failed, 2 usage or configuration
error (nothing run), 3 another run holds the outputs lock.
"""

import functools

EXIT_OK = 0
EXIT_DOCS_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3


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


class DocumentError(Exception):
    """A document that cannot be processed. Not an error of the run: it becomes
    a `failed` record in the manifest with this message as its reason."""
