"""The public API's docstrings are numpydoc, and their ``Examples`` run here as doctests.

Each docstring with examples in :data:`MODULES` is one test: it fails with doctest's report of every
example whose output differs. :data:`PUBLIC` names what must have an ``Examples`` section at all, so that
a public name documented without one fails too. The examples run offline, on no real data and without
pyiqa, each in well under a second once numba's kernels are cached (the first run compiles them) and
torch is imported. One module's examples also run alone: ``python -m pytest --doctest-modules
iqabench/stats/correlation.py``.
"""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

#: the modules whose docstrings document the public API: the library API, the statistics, and the
#: contracts a plugin implements (metrics, datasets, hooks).
MODULES = (
    "iqabench",
    "iqabench.api",
    "iqabench.api.running",
    "iqabench.api.scoring",
    "iqabench.api.reading",
    "iqabench.api.leaderboards",
    "iqabench.metric.availability",
    "iqabench.metric.identity",
    "iqabench.metric.base",
    "iqabench.dataset.sample",
    "iqabench.dataset.card",
    "iqabench.dataset.reader",
    "iqabench.dataset.opened",
    "iqabench.dataset.labels",
    "iqabench.dataset.opening",
    "iqabench.hookspecs",
    "iqabench.stats",
    "iqabench.stats.inputs",
    "iqabench.stats.correlation",
    "iqabench.stats.ranks",
    "iqabench.stats.logistic",
    "iqabench.stats.grouped",
    "iqabench.stats.intervals",
    "iqabench.stats.bootstrap_result",
    "iqabench.stats.bootstrap",
    "iqabench.stats.significance",
    "iqabench.stats.evaluation",
    "iqabench.stats.evaluate",
)

#: module -> the public names whose docstrings must hold examples (``iqabench.stats`` re-exports its
#: submodules' names: each is checked where it is defined).
PUBLIC = {
    "iqabench.api": ["RunResult", "resolve", "score", "run", "stats", "export", "leaderboard"],
    "iqabench.stats": [name for name in importlib.import_module("iqabench.stats").__all__ if name != "STATISTICS"],
    "iqabench.stats.evaluate": ["MetricScores", "MetricEvaluation", "Comparison", "Evaluation", "evaluate"],
    "iqabench.metric": ["Availability", "Identity", "Metric", "check_score"],
    "iqabench.dataset": ["Sample", "Refused", "DatasetCard", "ReadResult", "DatasetSpec", "Dataset",
                         "validate_labels", "open_dataset"],
    "iqabench.hookspecs": ["register_metrics", "register_datasets", "register_trainers"],
}


def _docstrings() -> list:
    """One pytest parameter per docstring that holds examples, named after the object it documents."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for name in MODULES:
        for test in finder.find(importlib.import_module(name)):
            if test.examples:
                found.append(pytest.param(test, id=test.name))
    return sorted(found, key=lambda param: param.id)


def _flags(config: pytest.Config) -> int:
    """The ``doctest_optionflags`` of pyproject.toml (``...`` matches anything, runs of white space are
    one), so that ``--doctest-modules`` on one module runs its examples exactly as here."""
    flags = 0
    for name in config.getini("doctest_optionflags"):
        flags |= doctest.OPTIONFLAGS_BY_NAME[name]
    return flags


@pytest.mark.parametrize("test", _docstrings())
def test_docstring_examples(test: doctest.DocTest, pytestconfig: pytest.Config):
    runner = doctest.DocTestRunner(optionflags=_flags(pytestconfig))
    report: list[str] = []
    result = runner.run(test, out=report.append)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed:\n" + "".join(report)


def _public() -> list:
    return [pytest.param(module, name, id=f"{module}.{name}") for module, names in PUBLIC.items() for name in names]


@pytest.mark.parametrize("module, name", _public())
def test_public_names_have_numpydoc_examples(module: str, name: str):
    doc = inspect.getdoc(getattr(importlib.import_module(module), name)) or ""
    assert "\nExamples\n--------\n" in doc and ">>> " in doc.split("\nExamples\n--------\n", 1)[-1], (
        f"{module}.{name}: its docstring needs a numpydoc 'Examples' section with doctests")
