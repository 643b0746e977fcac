"""The terminal: two consoles (results on stdout, messages on stderr), messages printed literally and
never wrapped by us (a path or URL stays one line to copy), and the documented exit codes."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from functools import wraps

from rich.console import Console

from ..errors import IqabenchError, Problems, UsageError

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)
for _console in (out, err):
    if not _console.is_terminal and "COLUMNS" not in os.environ:  # a log or a pipe: room for wide tables
        _console.width = 200


def say(text: str, *, error: bool = False) -> None:
    """Print ``text`` literally (no markup, no emoji codes: it may hold file names and error texts), on
    one line however long: a terminal folds it for display, a log keeps it whole."""
    (err if error else out).print(text, markup=False, soft_wrap=True)


def fail(text: str) -> None:
    err.print("[bold red]error:[/] ", end="", soft_wrap=True)
    err.print(text, markup=False, soft_wrap=True)


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


def print_failures(metric: str, dataset: str, failures: list[tuple[str, str]], store, first: int = 5) -> None:
    """The failure count, the most common reasons, and how to list them all."""
    if not failures:
        return
    reasons = Counter(reason for _, reason in failures)
    say(f"{metric}: {len(failures)} image(s) failed; reasons:", error=True)
    for reason, count in reasons.most_common(first):
        example = next(sid for sid, r in failures if r == reason)
        say(f"  {count} × {reason} (e.g. {example})", error=True)
    if len(reasons) > first:
        say(f"  … and {len(reasons) - first} other reason(s)", error=True)
    say(f"  all failures: iqabench export --store {store} --metric {metric} --dataset {dataset}", error=True)
