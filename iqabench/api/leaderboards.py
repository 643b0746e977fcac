"""A leaderboard suite from Python, as ``iqabench leaderboard`` does it: score it, then write or check its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..plugins import Registry, load_registry
from ..runner import Executor
from ..store import ScoreStore
from .scoring import score


def leaderboard(suite: str, *, out: Path = Path("leaderboards"), store: Path | None = None, check: bool = False,
                skip_unavailable: bool = False, registry: Registry | None = None, date: str | None = None,
                log: Callable[[str], None] = print, executor: Executor | None = None) -> list[str]:
    """Score what the store lacks for a leaderboard suite, and write its files (or check the committed ones).

    What ``iqabench leaderboard`` does: the suite is ``<out>/suites/<suite>.toml``, naming datasets and
    metrics; its tables, plots and the index are written under ``out``.

    Parameters
    ----------
    suite : str
        The suite's name.
    out : pathlib.Path, default Path("leaderboards")
        The leaderboards' folder, holding ``suites/``.
    store : pathlib.Path, optional
        The score store; by default :func:`iqabench.settings.store_path`.
    check : bool, default False
        Compare with the files under ``out`` instead of writing them.
    skip_unavailable : bool, default False
        Leave out the metrics that cannot run here instead of failing.
    registry : iqabench.plugins.Registry, optional
        What the plugins registered; by default the installed plugins, loaded afresh.
    date : str, optional
        The date written in the files; by default now.
    log : callable, default print
        Called with each progress message.
    executor : iqabench.runner.Executor, optional
        Where the batches run; by default this process. The caller closes it.

    Returns
    -------
    list of str
        The differences found with ``check``; always empty when writing.

    Raises
    ------
    iqabench.errors.UsageError
        When the suite does not exist or is malformed.

    Examples
    --------
    Checking the committed ``ci`` suite needs its datasets and weights (``../shared``), so this one is
    not run here:

    >>> from iqabench import api
    >>> api.leaderboard("ci", check=True)  # doctest: +SKIP
    []
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     api.leaderboard("my-suite", out=Path(folder))
    Traceback (most recent call last):
    ...
    iqabench.errors.UsageError: no suite 'my-suite': ... does not exist...
    """
    from ..leaderboard.build import build_suite
    from ..leaderboard.check import check_suite
    from ..leaderboard.output import write_index, write_suite
    from ..leaderboard.suites import load_suite
    from ..store import now

    loaded = load_suite(out, suite)
    registry = registry or load_registry()
    with ScoreStore(store) as opened:
        log(f"store: {opened.path}")
        result = build_suite(loaded, opened, registry, score, skip_unavailable=skip_unavailable, log=log,
                             executor=executor)
    if check:
        return check_suite(result, out)
    write_suite(result, out, date or now())
    write_index(out)
    return []
