"""What the fork server loads once, so that every worker forked from it starts warm.

Workers are forked from a server process that has imported the generator and loaded the
corpora: they inherit both (sharing the pages until written), and start generating at
once instead of each spending a tenth of a second loading the same arrays.
"""

from __future__ import annotations

import contextlib

from breachbench.generator import block

# A failure to load is left to each worker's initializer, which loads again and reports
# the error through the pool; a fork server that died here would hide it.
with contextlib.suppress(Exception):
    block.warm_up()
