"""The statistics of one metric on one dataset, from :mod:`iqabench.stats`, by column name.

Every value is signed (see :func:`iqabench.stats.signed`): a lower-is-better metric is negated once,
so a good metric scores positive whatever its direction.
"""

from __future__ import annotations

import numpy as np

from ..stats import correlations, grouped

COLUMNS = ("SRCC", "PLCC", "KRCC", "PRA")


def columns(group_by: str | None) -> list[str]:
    """The statistic columns of a table; the grouped ones only for a dataset with groups."""
    return list(COLUMNS) + ([f"SRCC/{group_by}", f"PRA/{group_by}"] if group_by else [])


def point_statistics(pred: np.ndarray, truth: np.ndarray, groups: np.ndarray | None, group_by: str | None) -> dict:
    """Column name -> value for already-signed ``pred`` and ``truth``."""
    c = correlations(pred, truth)
    values = {"SRCC": c.srcc, "PLCC": c.plcc, "KRCC": c.krcc, "PRA": c.pra}
    if group_by:
        g = grouped(pred, truth, groups)
        values[f"SRCC/{group_by}"] = g.srcc
        values[f"PRA/{group_by}"] = g.pra
    return values

