"""The terminal: two consoles (results on stdout, messages on stderr), messages printed literally (no
markup) and wrapped between words to the terminal's width, never inside a word (a path or URL stays whole
on one line, to copy), a closed pipe, and the documented exit codes.

The width is known on a terminal or from ``$COLUMNS``; a log or a pipe without ``COLUMNS`` keeps each
message on one line, and gets room for wide tables.
"""

from __future__ import annotations

import errno
import os
import shlex
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from rich.console import Console

from ..errors import IqabenchError, Problems, UsageError

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Console(Console):
    """A console whose closed pipe is a :class:`BrokenPipeError` for :func:`closed_pipe_ends_quietly`
    (rich's own answer is to exit with status 1, the status of failed images)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


out = _Console(highlight=False, emoji=False)
err = _Console(stderr=True, highlight=False, emoji=False)
for _console in (out, err):
    if not _console.is_terminal and "COLUMNS" not in os.environ:  # a log or a pipe: room for wide tables
        _console.width = 200


def width_known(console: Console) -> bool:
    """Whether lines should fit ``console.width``: a terminal, or ``$COLUMNS`` set."""
    return console.is_terminal or "COLUMNS" in os.environ


def wrap(text: str, console: Console = out, indent: str = "  ") -> str:
    """``text`` wrapped between words to the console's width when it is known (:func:`width_known`),
    each line's continuation indented by its own indentation plus ``indent``; a word longer than a line
    stays whole. Without a known width, ``text`` as it is."""
    if not width_known(console):
        return text
    lines = []
    for line in text.split("\n"):
        lead = line[:len(line) - len(line.lstrip(" "))]
        lines += textwrap.wrap(line, max(console.width, 20), subsequent_indent=lead + indent,
                               break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join(lines)


def say(text: str, *, error: bool = False, indent: str = "  ") -> None:
    """Print ``text`` literally (no markup, no emoji codes: it may hold file names and error texts),
    wrapped between words to a terminal's width (:func:`wrap`), on one line in a log."""
    console = err if error else out
    console.print(wrap(text, console, indent), markup=False, soft_wrap=True)


def fail(text: str) -> None:
    """``error: text`` on stderr, ``error:`` in bold red."""
    wrapped = wrap(f"error: {text}", err)
    err.print("[bold red]error:[/]", end="", soft_wrap=True)
    err.print(wrapped[len("error:"):], markup=False, soft_wrap=True)


def handles_errors(command: Callable) -> Callable:
    """Turn iqabench's errors into one message and the documented exit code, without a traceback."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Problems as exc:
            for problem in exc.problems:
                fail(str(problem))
            sys.exit(EXIT_USAGE if exc.usage else EXIT_CANNOT_RUN)
        except UsageError as exc:
            fail(str(exc))
            sys.exit(EXIT_USAGE)
        except IqabenchError as exc:
            fail(str(exc))
            sys.exit(EXIT_CANNOT_RUN)

    return wrapper


@contextmanager
def closed_pipe_ends_quietly() -> Iterator[None]:
    """A reader that stopped reading (``iqabench export | head -1``) ends the command quietly, with status 0:
    stdout and stderr go to the null device, so that nothing more is written, not even at exit (see
    https://docs.python.org/3/library/signal.html#note-on-sigpipe), and nothing is reported."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _to_null()
        raise SystemExit(EXIT_OK) from None


def flush() -> None:
    """Write out what stdout and stderr hold, so that a closed pipe shows while it can be handled."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _to_null() -> None:
    out.quiet = err.quiet = True
    for stream in (sys.stdout, sys.stderr):
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
            continue
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, descriptor)
        os.close(null)


def print_failures(metric: str, dataset: str, failures: list[tuple[str, str]], store, first: int = 5) -> None:
    """The failure count, each distinct reason with its count and an example (the ``first`` most common),
    and how to list them all."""
    if not failures:
        return
    reasons = Counter(reason or "no reason recorded" for _, reason in failures)
    examples: dict[str, str] = {}
    for sample_id, reason in failures:
        examples.setdefault(reason or "no reason recorded", sample_id)
    kinds = f"{len(reasons)} reason" + ("s" if len(reasons) > 1 else "")
    say(f"{metric}: {len(failures)} image(s) failed, for {kinds}:", error=True)
    for reason, count in reasons.most_common(first):
        say(f"  {count} × {reason} (e.g. {examples[reason]})", error=True)
    command = (f"iqabench export --store {shlex.quote(str(store))} --metric {shlex.quote(metric)} "
               f"--dataset {shlex.quote(dataset)}")
    if len(reasons) > first:
        rest = sum(count for _, count in reasons.most_common()[first:])
        say(f"  … and {len(reasons) - first} more reason(s), for {rest} image(s); every failure with its reason: "
            f"{command}", error=True)
    else:
        say(f"  every failure with its reason: {command}", error=True)
