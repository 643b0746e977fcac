"""``iqabench train <name>``: the training recipes that plugins register (:class:`iqabench.Trainer`).

The group lists the trainers without importing them; ``iqabench train <name> --help`` builds that
recipe's own command, whose options are the recipe's.
"""

from __future__ import annotations

import click


class TrainerGroup(click.Group):
    """Subcommands found in the plugin registry at call time."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from ..plugins import load_registry

        return sorted(load_registry().trainers)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from ..plugins import load_registry

        trainer = load_registry().trainers.get(name)
        return None if trainer is None else trainer.command()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ..plugins import load_registry

        trainers = load_registry().trainers
        if trainers:
            with formatter.section("Trainers"):
                formatter.write_dl([(name, trainers[name].description) for name in sorted(trainers)])


@click.group(cls=TrainerGroup, short_help="Train a metric with its paper's recipe.")
def train() -> None:
    """Train a metric with the recipe its plugin registers: iqabench train <name> --help."""
