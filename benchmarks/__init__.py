"""Performance benchmarks of iqabench.stats against scipy, numpy and pandas baselines.

``python -m benchmarks`` prints the acceptance table (:mod:`.report`); ``python -m pytest benchmarks/`` runs
the same cases under pytest-benchmark. Neither is part of the test run (pytest's testpaths is tests/).
"""
