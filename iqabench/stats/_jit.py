"""The one numba decorator of the statistics core: compiled on first call, cached on disk.

``cache=True`` writes the machine code beside the module (or under ``NUMBA_CACHE_DIR``), so a second
process loads it instead of compiling. ``fastmath`` stays off: the statistics must match scipy's.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
parallel_jit = numba.njit(cache=True, nogil=True, parallel=True)
prange = numba.prange
