"""A numpy `RandomState` whose weighted `choice` is quick when the same weights come again and again.

`MiniBatchKMeans` draws each mini-batch with ``random_state.choice(n_rows, 1024, p=weights)``, the
same weights every step. numpy checks the weights and sums them into a cumulative table on every call:
on Fashion-MNIST's 60,000 rows that was about 0.4 ms a step, 50 ms of a 0.2 s fit at K = 300.
`RepeatedChoiceRandomState` builds the table once per weights array and then draws exactly as numpy
does (one uniform number per row, looked up in the table), so the rows drawn, the clusters and every
figure in bench/README.md stay the same (tests/test_random_draws.py compares them).
"""

from __future__ import annotations

import numpy as np


class RepeatedChoiceRandomState(np.random.RandomState):
    """`np.random.RandomState`, with ``choice(n, size, p=p)`` sped up for a `p` used again.

    The numbers drawn are numpy's own, call for call. The speed-up applies when `p` is the very array
    object of the previous call; the array must not change in between (scikit-learn's loop never
    changes it). Any other call is numpy's `choice` itself.
    """

    def __init__(self, seed=None):
        super().__init__(seed)
        self._weights = None
        self._table = None

    def choice(self, a, size=None, replace=True, p=None):
        if p is None or not replace or not isinstance(a, (int, np.integer)):
            return super().choice(a, size, replace, p)
        if p is not self._weights:
            drawn = super().choice(a, size, replace, p)  # numpy checks the weights the first time
            table = np.asarray(p, dtype=np.float64).cumsum()
            table /= table[-1]
            self._weights, self._table = p, table
            return drawn
        # What numpy's choice does with weights, once they are checked and summed.
        picked = self._table.searchsorted(self.random_sample(size), side="right")
        return int(picked) if size is None else np.asarray(picked, dtype=np.int64)
