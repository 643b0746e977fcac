"""The error handling of every ``iqabench train <model>`` command: what goes wrong becomes one message and
the exit code the command line documents (``iqabench.cli``), without a traceback.

A bad value (``ValueError``) or a missing file (``FileNotFoundError``) is a usage error (click's, exit 2);
iqabench's errors exit 2 when they are usage errors and 3 otherwise (missing weights or data); an interrupt
(Ctrl-C) exits 130, after the training loop saved every finished step (:mod:`.loop`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps

import click

from iqabench.errors import IqabenchError, Problems, UsageError

EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 2, 3, 130


def exit_code(error: IqabenchError) -> int:
    """The exit code of one of iqabench's errors.

    Parameters
    ----------
    error : IqabenchError
        What stopped the command.

    Returns
    -------
    int
        2 for a usage error (or problems that hold one), 3 otherwise.

    Examples
    --------
    >>> from iqabench.errors import UsageError, WeightsError
    >>> exit_code(UsageError("no such metric")), exit_code(WeightsError("missing"))
    (2, 3)
    """
    usage = error.usage if isinstance(error, Problems) else isinstance(error, UsageError)
    return EXIT_USAGE if usage else EXIT_CANNOT_RUN


def training_command(command: Callable) -> Callable:
    """Give a training command the errors and exit codes of the module docstring.

    Parameters
    ----------
    command : callable
        The click command's function (decorate it below ``@click.command`` and its options).

    Returns
    -------
    callable
        The function, its errors handled.
    """
    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            _error("interrupted: the checkpoint holds every step finished; run the same command to resume.")
            sys.exit(EXIT_INTERRUPTED)
        except IqabenchError as exc:
            for problem in exc.problems if isinstance(exc, Problems) else [exc]:
                _error(str(problem))
            sys.exit(exit_code(exc))
        except (ValueError, FileNotFoundError) as exc:
            raise click.UsageError(str(exc)) from None

    return wrapper


def _error(message: str) -> None:
    click.echo(click.style("error:", fg="red", bold=True) + f" {message}", err=True)


__all__ = ["EXIT_CANNOT_RUN", "EXIT_INTERRUPTED", "EXIT_USAGE", "exit_code", "training_command"]
