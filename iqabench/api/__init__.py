"""The library API behind the command line, usable from a notebook:

- :func:`run`: score a dataset with metrics (only what the store lacks), then :func:`iqabench.results.collect`;
- :func:`stats`: results from the store alone (opened read-only);
- :func:`export`: per-image rows as CSV (the store opened read-only);
- :func:`leaderboard`: score and build a suite, and write or check its files.

Each takes an optional :class:`~iqabench.plugins.Registry` (default: the installed plugins, loaded
afresh) and a store path (default: :func:`iqabench.settings.store_path`); those that score take an
optional :class:`~iqabench.runner.Executor` (default: this process; :func:`iqabench.executors.make_executor`
makes the Ray one), which the caller closes. None imports torch unless it
has images to score, nor matplotlib unless it writes plots.

The steps of :func:`run` are public too: :func:`resolve` looks up the metrics and opens the dataset,
:func:`score` scores what an open store lacks.

The examples run as doctests (all but the leaderboard check, which needs real data). Each function's
examples start from :func:`iqabench.testing.example_setup`, which does what this one shows: registers a
toy metric in-process (see :mod:`iqabench.hookspecs`), writes six tiny labelled images in a temporary
folder, read by the built-in ``metainfo`` dataset, and names a score store beside them.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from PIL import Image
>>> from iqabench import Metric, api, hookimpl
>>> from iqabench.plugins import PluginManager
>>> class Brightness(Metric):
...     name = "brightness"
...     def score_batch(self, images, refs=None):
...         return [float(image.mean()) for image in images]
>>> class MyPlugin:
...     @hookimpl
...     def register_metrics(self, register):
...         register(Brightness())
>>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
>>> manager.register(MyPlugin(), "my-plugin")
>>> tmp = tempfile.TemporaryDirectory()
>>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
>>> root.mkdir()
>>> for i in range(6):  # six flat grey images: the brighter, the better labelled
...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
>>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
>>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=manager.registry, resamples=100)
>>> result.summaries[0].scored, round(result.results.evaluation.metric("brightness").value("srcc"), 4)
(6, 1.0)
>>> tmp.cleanup()
"""

from .leaderboards import leaderboard
from .reading import export, stats
from .running import RunResult, run
from .scoring import resolve, score

__all__ = ["RunResult", "export", "leaderboard", "resolve", "run", "score", "stats"]
