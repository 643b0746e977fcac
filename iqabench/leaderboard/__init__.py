"""Leaderboards: suites of metrics × datasets, scored into the store, rendered as tables, plots and provenance.

``suites`` reads a suite, ``build`` scores what the store lacks and reads the results back through
:func:`iqabench.results.collect`, :mod:`iqabench.tables` turns them into printed cells, the ``render_*``
modules and ``plots`` write them, ``output`` lays the files out under ``leaderboards/`` and ``check``
compares a fresh build with the committed files.
"""
