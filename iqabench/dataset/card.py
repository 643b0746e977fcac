"""A dataset card: what one TOML file in ``datasets/`` says about a dataset, and where to get it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import settings
from ..errors import DatasetError


#: what a card's ``kind`` may be, as listings show it: NR (images with labels), FR (images with their
#: references too), or either, as the label file that is read says.
CARD_KINDS = {"NR": "NR", "FR": "FR", "NR/FR": "NR or FR (from the label file)"}


@dataclass(frozen=True)
class DatasetCard:
    """What a TOML card in ``datasets/`` says about one dataset (:meth:`from_toml` reads one).

    Attributes
    ----------
    name : str
        The registered name (``iqabench run --dataset NAME``).
    format : str
        Which reader reads it (``"metainfo"``, ``"folder"``, ``"embedded"``, a plugin's own).
    title : str
        A title for listings.
    kind : {"NR", "FR", "NR/FR"}
        Images with labels, images with their references too, or either, as the label file says
        (:data:`CARD_KINDS`).
    label_file : str or None
        The label file, relative to the root.
    mos_range : tuple of float or None
        The labels' range; a label outside it is an error (:func:`validate_labels`).
    lower_better : bool
        The direction of the labels: True for DMOS (a lower score is a better image), as on metrics.
    expected_images : int or None
        How many images the complete dataset has.
    ranked_within_groups : bool
        True when the labels order images only within a group (a person's faces at several effective
        resolutions, as Kansy et al. §4 evaluate): the grouped statistics (``SRCC/person``) are then the
        dataset's headline, the one a leaderboard's overview shows.
    homepage, download, layout, licence, citation : str
        Where it comes from, how its root is laid out, and how to cite it; shown when it is not found.
    options : dict
        The reader's options (``materialise = true``: the reader writes the data itself).

    Examples
    --------
    >>> from iqabench import DatasetCard
    >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
    ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
    >>> card.kind_text, card.lower_better
    ('NR', False)
    """

    name: str
    format: str
    title: str = ""
    #: one of :data:`CARD_KINDS`.
    kind: str = "NR"
    label_file: str | None = None
    mos_range: tuple[float, float] | None = None
    #: the direction of the labels: true for DMOS (a lower score is a better image), as on metrics.
    lower_better: bool = False
    expected_images: int | None = None
    ranked_within_groups: bool = False
    homepage: str = ""
    download: str = ""
    layout: str = ""
    licence: str = ""
    citation: str = ""
    options: dict = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> "DatasetCard":
        """Read a card from a TOML file whose keys are the card's attributes.

        Parameters
        ----------
        path : pathlib.Path
            The TOML file.

        Returns
        -------
        DatasetCard

        Raises
        ------
        iqabench.errors.DatasetError
            When a key is unknown, the ``kind`` is not one of :data:`CARD_KINDS`, or a required key
            (``name``, ``format``) is missing.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from iqabench import DatasetCard
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "my-photos.toml"
        ...     _ = path.write_text('name = "my-photos"\\nformat = "metainfo"\\nmos_range = [1, 5]\\n')
        ...     card = DatasetCard.from_toml(path)
        >>> card.name, card.format, card.mos_range
        ('my-photos', 'metainfo', (1.0, 5.0))
        """
        with open(path, "rb") as f:
            data = tomllib.load(f)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise DatasetError(f"dataset card {path}: unknown keys {unknown}; known keys are {sorted(known)}")
        if "mos_range" in data:
            data["mos_range"] = tuple(float(v) for v in data["mos_range"])
        if data.get("kind", "NR") not in CARD_KINDS:
            raise DatasetError(f"dataset card {path}: kind {data['kind']!r} is not one of {', '.join(CARD_KINDS)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise DatasetError(f"dataset card {path}: {exc}") from None

    @property
    def kind_text(self) -> str:
        """The kind in words: ``"NR or FR (from the label file)"`` for ``NR/FR``.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> DatasetCard("pairs", format="metainfo", kind="NR/FR").kind_text
        'NR or FR (from the label file)'
        """
        return CARD_KINDS.get(self.kind, self.kind)

    def default_root(self) -> Path:
        """Where the dataset is read from without ``--root``.

        Returns
        -------
        pathlib.Path
            ``$IQABENCH_DATA/<name>`` when that variable is set, else ``~/.cache/iqabench/data/<name>``.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> card.default_root().name
        'my-photos'
        """
        return settings.data_dir() / self.name

    def how_to_get(self, root: Path, root_given: bool = False) -> str:
        """The paragraph printed when the dataset is not found at ``root``.

        Parameters
        ----------
        root : pathlib.Path
            Where it was looked for.
        root_given : bool, default False
            True when the user chose that folder, so that the default root is not suggested instead.

        Returns
        -------
        str
            Where to download it, where to put it with which layout, and its licence.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> from pathlib import Path
        >>> print(card.how_to_get(Path("photos"), root_given=True))
        Dataset 'my-photos' (My photos) was not found at photos.
        Download it from: https://example.org/my-photos.zip
        Put it at photos with this layout:
            <root>/<id>.png
        """
        lines = [f"Dataset {self.name!r} ({self.title or self.name}) was not found at {root}."]
        if self.download:
            lines.append(f"Download it from: {self.download}")
        elif self.homepage:
            lines.append(f"Homepage: {self.homepage}")
        where = (f"Put it at {root} with this layout" if root_given else
                 f"Put it at {self.default_root()} (or set IQABENCH_DATA, or pass --root PATH) with this layout")
        lines.append(f"{where}:")
        lines.extend(self._layout_lines())
        if self.licence:
            lines.append(f"Licence: {self.licence}")
        return "\n".join(lines)

    def missing_label_file(self, path: Path, root: Path) -> str:
        """The message for a label file that is not there while the dataset's folder is.

        Parameters
        ----------
        path : pathlib.Path
            The label file looked for.
        root : pathlib.Path
            The dataset's folder, which exists.

        Returns
        -------
        str

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> from pathlib import Path
        >>> print(card.missing_label_file(Path("photos/labels.csv"), Path("photos")))
        Label file photos/labels.csv not found. Dataset 'my-photos' is read from photos, which exists; ...
            <root>/<id>.png
        It comes with the dataset: https://example.org/my-photos.zip
        Or pass --labels PATH (a relative path is relative to the current folder).
        """
        lines = [f"Label file {path} not found. Dataset {self.name!r} is read from {root}, which exists; "
                 f"its label file belongs there as this layout shows:"]
        lines.extend(self._layout_lines())
        if self.download or self.homepage:
            lines.append(f"It comes with the dataset: {self.download or self.homepage}")
        lines.append("Or pass --labels PATH (a relative path is relative to the current folder).")
        return "\n".join(lines)

    def _layout_lines(self) -> list[str]:
        return ["    " + line for line in self.layout.strip().splitlines()]
