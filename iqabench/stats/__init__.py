"""The statistics core: signed correlations between metric scores and subjective scores, grouped
results, paired bootstrap intervals and significance tests, compiled with numba (``cache=True``).

Conventions (docs/architecture.md, "Statistics conventions"), each cited in its module:

- every statistic is signed: orient the inputs once with :func:`signed` (a lower-is-better metric and
  lower-is-better labels are negated), and a good metric scores positive; nothing takes ``abs()``;
- NaN or infinite inputs raise :class:`~iqabench.errors.StatisticsInputError` naming the first bad index;
- an undefined statistic (fewer than two samples, constant scores or labels, no pair of distinct labels,
  a logistic fit that did not converge) is NaN, and :func:`undefined_reason` or the fit's message says why.

Modules: :mod:`.correlation` (SRCC, PLCC, KRCC, PRA), :mod:`.logistic` (mapping, PLCC and RMSE after it),
:mod:`.grouped`, :mod:`.bootstrap`, :mod:`.significance`, :mod:`.evaluate` (all of it for one dataset).
"""

from .bootstrap import STATISTICS, Bootstrap, Difference, Interval, bootstrap
from .correlation import krcc, plcc, pra, srcc
from .grouped import Grouped, grouped
from .inputs import signed, undefined_reason
from .logistic import (
    LogisticFit,
    Mapped,
    fit_logistic,
    mapped_statistics,
    plcc_logistic,
    rmse,
)
from .significance import TestResult, rmse_f_test, steiger_test, williams_test

__all__ = [
    "STATISTICS",
    "Bootstrap",
    "Difference",
    "Grouped",
    "Interval",
    "LogisticFit",
    "Mapped",
    "TestResult",
    "bootstrap",
    "fit_logistic",
    "grouped",
    "krcc",
    "mapped_statistics",
    "plcc",
    "plcc_logistic",
    "pra",
    "rmse",
    "rmse_f_test",
    "signed",
    "srcc",
    "steiger_test",
    "undefined_reason",
    "williams_test",
]
