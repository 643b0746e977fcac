"""The training contract: a plugin registers a :class:`Trainer`, and ``iqabench train <name>`` runs it.

A trainer only names itself and builds its click command on demand, so that listing the trainers
imports neither torch nor the recipe's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import click


@dataclass(frozen=True)
class Trainer:
    """A training recipe: ``command()`` returns the click command that ``iqabench train <name>`` runs."""

    name: str
    description: str
    command: Callable[[], "click.Command"]


__all__ = ["Trainer"]
