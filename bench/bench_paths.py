"""Where the benchmarks find the project: import this first in a bench script.

The scripts run as ``python bench/NAME.py`` from anywhere, so they put the project (for `core`) and
its tests folder (for the browser helpers they share with the tests) on the import path.
"""

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
for folder in (PROJECT, PROJECT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
