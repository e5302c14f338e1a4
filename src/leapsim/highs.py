"""One quiet HiGHS instance for every MILP/LP in leapsim (WTA solvers, sensor placement).

HiGHS 1.16 prints a banner on stdout when the first ``Highs`` of a process is built, before
``silent()`` can act; that would corrupt ``leapsim wta solve --json``. The banner goes to the C
library's stdout, so it is sent to the null device at the file-descriptor level.
"""

from __future__ import annotations

import os
import sys

import highspy


def quiet_highs() -> highspy.Highs:
    """A ``highspy.Highs`` that prints nothing, with a fixed random seed (runs repeat)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.silent()
    h.setOptionValue("random_seed", 0)
    return h
