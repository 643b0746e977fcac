"""``python -m benchmarks``: print the table of ratios against the baselines (see :mod:`.report`)."""

import sys

from .report import main

sys.exit(main())
