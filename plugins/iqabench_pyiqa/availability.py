"""Whether a pyiqa metric can run here, found without building it and without downloading anything:
present (its files are here and pass their hash check), download (on first use) or unavailable (why)."""

from __future__ import annotations

from iqabench import pins, weights
from iqabench.errors import WeightsError
from iqabench.metric import Availability

from . import loaded
from .catalog import WEIGHTS_URL
from .configs import INSTALL_HINT, default_configs
from .fetch import PYIQA_SUBDIR

OFFLINE = "downloads are off (--offline or IQABENCH_OFFLINE=1)"
#: how a file passed iqabench.pins, in words.
BASIS = {"pinned": "sha256 pinned", "hash prefix": "sha256 matches its name", "downloaded": "downloaded by iqabench",
         "trusted": "trusted by IQABENCH_TRUST_WEIGHTS", "data only": "a data-only format"}


def availability_of(metric) -> Availability:
    """The availability of a :class:`~iqabench_pyiqa.metric.PyiqaMetric`."""
    if metric.unsupported:
        return Availability.unavailable(metric.unsupported)
    if default_configs() is None:
        return Availability.unavailable(f"needs pyiqa, which is not installed: {INSTALL_HINT}")
    if metric.weight_file_names is None:
        return _undeclared(metric.name)
    return _declared(metric)


def _declared(metric) -> Availability:
    """A metric whose weight files the catalog names: each is here (hash checked) or downloaded from pyiqa's host."""
    names = metric.weight_file_names
    if not names:
        return Availability.present("needs no weight file")
    urls = {name: WEIGHTS_URL.format(name) for name in names}
    found = {name: weights.find(name, PYIQA_SUBDIR) for name in names}
    pinned = pins.metric_pins(metric)
    try:  # hashes only; the authoritative check is where pyiqa fetches the file (fetch.py)
        checked = [pins.verify(path, name=name, pinned=pinned.get(name), url=urls[name])
                   for name, path in found.items() if path is not None]
    except WeightsError as exc:
        return Availability.unavailable(str(exc))
    missing = [name for name, path in found.items() if path is None]
    if not missing:
        return Availability.present("; ".join(f"{v.path} ({BASIS[v.basis]})" for v in checked))
    if weights.is_offline():
        return Availability.unavailable("\n".join(weights.missing_message(name, urls[name], PYIQA_SUBDIR, OFFLINE)
                                                  for name in missing))
    files = "; ".join(f"{name} from {urls[name]}" for name in missing)
    return Availability.download(f"{files} into {weights.cache_dir(PYIQA_SUBDIR)}")


def _undeclared(name: str) -> Availability:
    """A metric whose weight files pyiqa names only while it builds it: present when the files it loaded here
    last time are still there; else downloaded when it first loads."""
    files = loaded.still_here(name)
    if files is not None:
        return Availability.present("; ".join(f"{path} (loaded here before, unchanged)" for path in files.values())
                                    or "loaded here before without weight files")
    if weights.is_offline():
        return Availability.unavailable(
            f"{OFFLINE}, and pyiqa names the weight files of this metric only when it builds it, which it has not "
            "done here with this pyiqa (or the files are gone). Run it once with downloads on; it then runs offline.")
    return Availability.download(
        f"the weight files pyiqa names when it builds the metric: pyiqa's own from {WEIGHTS_URL.format('')} "
        f"into {weights.cache_dir(PYIQA_SUBDIR)}, backbones from their hosts")
