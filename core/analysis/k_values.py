"""K values typed by a person (the K sweep page's box, the CLI's --k): parsed and checked in one place."""

from __future__ import annotations

import re

from core.errors import KMeansLabError

MAX_K = 512
MAX_VALUES = 12
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def parse_ks(text: str, n_train: int, *, max_values: int = MAX_VALUES) -> tuple[int, ...]:
    """K values such as "10, 16, 36": sorted, without repeats, each from 2 to min(n_train, 512).

    Only ASCII digits count ("²", "1_0" or "+12" are refused). Raises `KMeansLabError` with a
    message that says what to type.
    """
    parts = [part.strip() for part in text.replace(";", ",").replace(" ", ",").split(",")]
    ks = []
    for part in filter(None, parts):
        if not _WHOLE_NUMBER.fullmatch(part):
            shown = part if len(part) <= 12 else part[:12] + "…"
            raise KMeansLabError(
                f"{shown!r} is not a whole number: type K values separated by commas, e.g. 10, 16, 36."
            )
        ks.append(int(part))
    if not ks:
        raise KMeansLabError("Type at least one K value, e.g. 10, 16, 36.")
    ks = sorted(set(ks))
    if len(ks) > max_values:
        raise KMeansLabError(f"{len(ks)} K values is a lot to fit; keep it to {max_values} or fewer.")
    largest = min(n_train, MAX_K)
    for k in ks:
        if k < 2:
            raise KMeansLabError(f"K = {k} is too small: every K must be at least 2.")
        if k > largest:
            raise KMeansLabError(f"K = {k} is too large: keep every K at most {largest:,}.")
    return tuple(ks)
