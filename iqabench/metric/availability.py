"""Whether a metric can run here: present, after a download, or unavailable, with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: present: its weight files are here and pass their hash check (or it needs none); download: it downloads
#: them on first use; unavailable: it cannot run here.
State = Literal["present", "download", "unavailable"]


@dataclass(frozen=True)
class Availability:
    """Whether a metric can run here, as :meth:`Metric.availability` reports it.

    Built with ``ok`` alone, the state is ``present`` or ``unavailable``; the constructors
    :meth:`present`, :meth:`download` and :meth:`unavailable` make each of the three states.

    Parameters
    ----------
    ok : bool
        True when the metric can run, now or after a download.
    reason : str, default ""
        The detail: where its files are, what it downloads from where, or why it cannot run and what to
        do about it.
    state : {"present", "download", "unavailable"}, optional
        Its :data:`State`; by default ``present`` when ``ok``, else ``unavailable``.

    Raises
    ------
    ValueError
        When ``state`` is unknown or contradicts ``ok``.

    Examples
    --------
    >>> from iqabench import Availability
    >>> Availability(True)
    Availability(ok=True, reason='', state='present')
    >>> Availability.unavailable("needs the weight file brisque.pth; see `iqabench info brisque`").ok
    False
    >>> Availability(True, state="unavailable")
    Traceback (most recent call last):
    ...
    ValueError: Availability(ok=True, state='unavailable'): state must be present or download when ok, ...
    """

    ok: bool
    reason: str = ""
    state: State | None = None

    def __post_init__(self) -> None:
        state = self.state or ("present" if self.ok else "unavailable")
        if state not in ("present", "download", "unavailable") or (state != "unavailable") != self.ok:
            raise ValueError(f"Availability(ok={self.ok}, state={self.state!r}): state must be present or download "
                             "when ok, unavailable when not")
        object.__setattr__(self, "state", state)

    @classmethod
    def present(cls, detail: str = "") -> "Availability":
        """It can run now: its weight files are here and pass their hash check, or it needs none.

        Parameters
        ----------
        detail : str, default ""
            Where its files are, for instance.

        Returns
        -------
        Availability

        Examples
        --------
        >>> from iqabench import Availability
        >>> Availability.present("weights: ~/.cache/iqabench/weights/model.pth")
        Availability(ok=True, reason='weights: ~/.cache/iqabench/weights/model.pth', state='present')
        """
        return cls(True, detail, "present")

    @classmethod
    def download(cls, detail: str) -> "Availability":
        """It can run after downloading its weight files on first use.

        Parameters
        ----------
        detail : str
            What it downloads, from where.

        Returns
        -------
        Availability

        Examples
        --------
        >>> from iqabench import Availability
        >>> Availability.download("downloads model.pth (20 MB) from https://example.org").state
        'download'
        """
        return cls(True, detail, "download")

    @classmethod
    def unavailable(cls, reason: str) -> "Availability":
        """It cannot run here.

        Parameters
        ----------
        reason : str
            Why, and what to do about it.

        Returns
        -------
        Availability

        Examples
        --------
        >>> from iqabench import Availability
        >>> Availability.unavailable("needs the optional extra: pip install 'iqabench[pyiqa]'")
        Availability(ok=False, reason="needs the optional extra: pip install 'iqabench[pyiqa]'", state='unavailable')
        """
        return cls(False, reason, "unavailable")
