"""Errors the harness raises on purpose. Each message says what went wrong and what to do."""


class IqabenchError(Exception):
    """Base class: an error meant for the user, printed without a traceback."""


class UsageError(IqabenchError):
    """The command line or a name asked for something that does not exist."""


class PluginError(IqabenchError):
    """A plugin is broken or two plugins claim one name."""


class DatasetError(IqabenchError):
    """A dataset is missing, incomplete, or its labels are invalid."""


class WeightsError(IqabenchError):
    """A weight file is missing or cannot be fetched."""


class ImageError(IqabenchError):
    """An image cannot be used: unreadable, truncated, too large, too small. Recorded per image."""


class StatisticsInputError(IqabenchError, ValueError):
    """Scores or labels that no statistic can use: NaN or infinite values, unpaired lengths."""


class Problems(IqabenchError):
    """Several problems found before a run could start, reported together."""

    def __init__(self, problems: list[IqabenchError]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @property
    def usage(self) -> bool:
        """True when one of them is a usage error (exit 2); otherwise the run could not start (exit 3)."""
        return any(isinstance(p, UsageError) for p in self.problems)
