"""Leaderboards: suites of metrics × datasets, scored into the store, rendered as tables, plots and provenance.

``suites`` reads a suite, ``build`` runs what the store lacks and computes the results, ``tables`` turns
them into printed cells, the ``render_*`` modules and ``plots`` write them, ``output`` lays the files
out under ``leaderboards/`` and ``check`` compares a fresh build with the committed files.
"""
