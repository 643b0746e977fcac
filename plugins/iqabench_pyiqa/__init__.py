"""Built-in pyiqa plugin (needs the optional ``pyiqa`` extra, PolyForm Noncommercial licence).

``niqe``, ``brisque`` and ``musiq`` by name, every other pyiqa metric as ``pyiqa:<name>``; weight
files resolve through :mod:`iqabench.weights` (see :mod:`iqabench_pyiqa.fetch`).
"""
