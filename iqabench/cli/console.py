"""The terminal: two consoles (results on stdout, messages on stderr), user data printed literally,
the documented exit codes, and tables of :mod:`iqabench.tables` drawn with rich."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from functools import wraps

from rich.console import Console
from rich.table import Table as RichTable

from ..errors import IqabenchError, Problems, UsageError

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)
for _console in (out, err):
    if not _console.is_terminal:  # a log or a pipe: print tables whole rather than at 80 columns
        _console.width = 200


def say(text: str, *, error: bool = False) -> None:
    """Print ``text`` literally (no markup, no emoji codes: it may hold file names and error texts)."""
    (err if error else out).print(text, markup=False)


def fail(text: str) -> None:
    err.print("[bold red]error:[/] ", end="")
    err.print(text, markup=False)


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


def draw(table, show_provenance: bool = False) -> None:
    """A :class:`iqabench.tables.Table` on stdout: statistics (each interval under its value), the pairwise
    comparisons, then the notes (and, when asked, the provenance)."""
    statistics = RichTable(title=f"{table.dataset}: {table.title}", show_lines=True)
    for i, column in enumerate(table.header):
        statistics.add_column(column, justify="left" if i == 0 else "right")
    for row in table.rows:
        statistics.add_row(*(_stacked(cell) for cell in row))
    out.print(statistics, markup=False)
    if table.pairs:
        pairs = RichTable(title="Pairwise comparisons (A ranked above B; A − B on the images both scored)",
                          show_lines=True)
        for i, column in enumerate(table.pairs_header):
            pairs.add_column(column, justify="left" if i < 2 else "right")
        for row in table.pairs:
            pairs.add_row(*(_stacked(cell) for cell in row))
        out.print(pairs, markup=False)
    for note in table.notes:
        say(f"note: {note}")
    if show_provenance:
        for key, value in table.provenance:
            say(f"{key}: {value}")


def _stacked(cell: str) -> str:
    return cell.replace(" [", "\n[", 1)


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
