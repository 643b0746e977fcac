"""Registers one DatasetSpec per card in the ``iqabench_cards`` package."""

from iqabench import hookimpl


@hookimpl
def register_datasets(register):
    pass
