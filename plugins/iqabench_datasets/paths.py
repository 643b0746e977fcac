"""Turning the names in a label file into files under the dataset root."""

from __future__ import annotations

from pathlib import Path


class CaseInsensitivePaths:
    """Finds the file a label names even when the case differs on disk.

    Releases disagree with themselves about case (TID2013 lists ``I01_01_1.bmp`` beside
    ``i01_01_2.bmp``; CSIQ's folders are ``awgn`` or ``AWGN`` depending on the copy), and Linux file
    systems are case-sensitive. An exact match wins; a name found in no case keeps the label's
    spelling, so the sample is reported as missing under the name the label file gave.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listings: dict[Path, dict[str, str]] = {}

    def __call__(self, relative: str) -> Path:
        path = self.root
        for part in relative.split("/"):
            candidate = path / part
            if not candidate.exists():
                match = self._listing(path).get(part.lower())
                if match is None:
                    return self.root / relative
                candidate = path / match
            path = candidate
        return path

    def _listing(self, folder: Path) -> dict[str, str]:
        if folder not in self._listings:
            names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
            self._listings[folder] = {name.lower(): name for name in names}
        return self._listings[folder]


def sample_id(root: Path, path: Path) -> str:
    """The path relative to ``root`` with forward slashes: the stable id of a sample."""
    return path.relative_to(root).as_posix()
