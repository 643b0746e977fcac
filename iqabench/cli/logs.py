"""The log of the command line: what is not iqabench's own message goes to the ``iqabench`` logger at
DEBUG, shown on stderr only with ``--verbose``.

That is Python warnings raised by libraries, what libraries print to stdout while metrics load and score
(:func:`prints_to_log`: pyiqa's ``Loading pretrained model ...``; stdout holds the results alone), and
what a plugin captures of what native runtimes write to the process's stderr (effres's face models forward LiteRT's ``INFO: Created TensorFlow Lite XNNPACK
delegate for CPU.`` to the logger ``iqabench.effres``).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout

from .console import say

LOGGER = "iqabench"


class _Messages(logging.Handler):
    """A record as one message on stderr (whichever stream ``sys.stderr`` is when it is written)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(self.format(record), error=True)
        except Exception:  # noqa: BLE001 - logging never raises
            self.handleError(record)


def configure(verbose: bool) -> None:
    """Warnings go to the log; the log goes to stderr with ``verbose`` (DEBUG and up), else only its
    warnings and errors. Calling it again replaces what it set before."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _Messages)]:
        logger.removeHandler(handler)
    handler = _Messages(logging.DEBUG if verbose else logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose else
                                           "%(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A Python warning (a library's deprecation, a tensor's dtype, ...) as a DEBUG record."""
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
    logging.getLogger(f"{LOGGER}.warnings").debug("%s", text)


class _Lines(io.TextIOBase):
    """A text stream whose every line becomes a DEBUG record of ``logger``."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.logger = logger
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self._log(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self._log(self.pending)
            self.pending = ""

    def _log(self, line: str) -> None:
        if line.strip():
            self.logger.debug("%s", line.rstrip())


@contextmanager
def prints_to_log() -> Iterator[None]:
    """What Python code prints to ``sys.stdout`` inside the block goes to the logger ``iqabench.stdout``
    at DEBUG, a record a line: run it around loading and scoring, where nothing of ours goes to stdout."""
    lines = _Lines(logging.getLogger(f"{LOGGER}.stdout"))
    try:
        with redirect_stdout(lines):
            yield
    finally:
        lines.flush()
