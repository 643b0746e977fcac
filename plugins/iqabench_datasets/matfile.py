"""Reading the MATLAB label files of the LIVE releases (``scipy.io.loadmat``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.io import loadmat

from iqabench.dataset import DatasetCard
from iqabench.errors import DatasetError


def load_vector(card: DatasetCard, root: Path, relative: str, variable: str) -> np.ndarray:
    """Variable ``variable`` of ``root/relative`` flattened to 1-D (MATLAB stores 1×N or N×1)."""
    path = root / relative
    if not path.is_file():
        raise DatasetError(card.missing_label_file(path, root))
    try:
        contents = loadmat(path)
    except Exception as exc:  # scipy raises several types for a damaged or non-MATLAB file
        raise DatasetError(f"{path} is not a readable MATLAB file ({type(exc).__name__}: {exc}).") from None
    if variable not in contents:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise DatasetError(f"{path} has no variable {variable!r} (it has {found}); is this the official file?")
    return np.asarray(contents[variable]).ravel()


def cell_strings(cells: np.ndarray, path: Path, variable: str) -> list[str]:
    """A MATLAB cell array of strings (each cell a 1-element array) as Python strings."""
    names = []
    for index, cell in enumerate(cells):
        value = np.asarray(cell).ravel()
        if value.size != 1 or not isinstance(value[0], str):
            raise DatasetError(f"{path}: entry {index + 1} of {variable!r} is not a file name: {cell!r}.")
        names.append(value[0].strip())
    return names


def check_lengths(arrays: dict[str, int]) -> None:
    """Raise when the label arrays (``"file:variable" -> length``) do not all have one length."""
    if len(set(arrays.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in arrays.items())
        raise DatasetError(
            f"Label arrays differ in length ({listed}); they must list the same images in the same order. "
            "Re-extract the official files."
        )
