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
Each public function's docstring (numpydoc) has examples, run as doctests in the test suite.

Examples
--------
>>> from iqabench import stats
>>> dmos = [80.0, 20.0, 55.0, 35.0]  # lower is better
>>> scores = [0.9, 0.2, 0.4, 0.5]  # higher is better, yet they rise with the DMOS: a sign error
>>> pred, truth = stats.signed(scores, dmos, lower_better=False, labels_lower_better=True)
>>> stats.srcc(pred, truth), round(stats.pra(pred, truth), 4)
(-0.8, 0.1667)
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
