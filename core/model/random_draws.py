"""A numpy `RandomState` whose weighted `choice` is quick when the same weights come again and again.

`MiniBatchKMeans` draws each mini-batch with ``random_state.choice(n_rows, 1024, p=weights)``, the
same weights every step. numpy checks the weights and sums them into a cumulative table on every call:
on Fashion-MNIST's 60,000 rows that was about 0.4 ms a step, 50 ms of a 0.2 s fit at K = 300.
`RepeatedChoiceRandomState` builds the table once per weights array and then draws exactly as numpy
does (one uniform number per row, looked up in the table), so the rows drawn, the clusters and every
figure in bench/README.md stay the same (tests/test_random_draws.py compares them).

The lookup itself (`lookup_right`) first tries the place where the number falls if the weights are
even, as scikit-learn's are, instead of numpy's binary search: on 1,024 random numbers that search takes
unpredictable branches, 100 us a step on the sample's 8,000 rows (13% of a fit at K = 140) and 145 us on
Fashion-MNIST's 60,000, against about 16 us for the guess and its check.
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
        picked = lookup_right(self._table, self.random_sample(size))
        return int(picked) if size is None else np.asarray(picked, dtype=np.int64)


def lookup_right(table: np.ndarray, values) -> np.ndarray:
    """``table.searchsorted(values, side="right")`` for a cumulative table ending at 1 and values in [0, 1).

    Each value's place is first guessed as if the table rose evenly (``floor(value * n)``) and
    checked: it must be the first entry above the value. Values whose guess is off (uneven weights,
    or a value at a hair from an entry) are looked up by numpy's search. So the answer is numpy's
    always; it comes quicker when the weights are even, as scikit-learn's are.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(table)
    flat = values.reshape(-1)
    places = np.minimum((flat * n).astype(np.intp), n - 1)
    found = (table[places] > flat) & ((places == 0) | (table[places - 1] <= flat))
    if not found.all():
        places[~found] = table.searchsorted(flat[~found], side="right")
    return places.reshape(values.shape) if values.ndim else places[0]
