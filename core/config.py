"""Where the lab keeps its files and where it downloads from: every setting read from the environment.

Read at call time, not import time, so a test or a long-running server sees a changed variable.

=======================  =================================================  ==========================
variable                 what it sets                                       default
=======================  =================================================  ==========================
KMEANS_LAB_CACHE_DIR     fitted models and their scores (`cache_dir`)       ``<user cache>/results``
KMEANS_LAB_DATA_DIR      downloaded datasets (`data_dir`)                   ``<user cache>/datasets``
KMEANS_LAB_MIRROR_URL    a server holding the same IDX files (`mirror_url`) the address tfds registers
KMEANS_LAB_CACHE_MB      the most the result cache may hold (`cache_max_mb`) 1024 (MB)
KMEANS_LAB_DATABASE_URL  PostgreSQL for audience rooms (`database_url`)     SQLite file in `cache_dir`
=======================  =================================================  ==========================

``<user cache>`` is platformdirs' ``user_cache_dir("kmeans-digit-lab")``: ``~/.cache/kmeans-digit-lab``
on Linux (``$XDG_CACHE_HOME`` respected), ``~/Library/Caches/kmeans-digit-lab`` on macOS.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path

APP_NAME = "kmeans-digit-lab"
CACHE_DIR_ENV = "KMEANS_LAB_CACHE_DIR"
DATA_DIR_ENV = "KMEANS_LAB_DATA_DIR"
MIRROR_URL_ENV = "KMEANS_LAB_MIRROR_URL"
CACHE_MB_ENV = "KMEANS_LAB_CACHE_MB"
DATABASE_URL_ENV = "KMEANS_LAB_DATABASE_URL"
#: About 3,000 fitted models of 330 KB: every K, seed and preprocessing a busy server meets in a while.
DEFAULT_CACHE_MB = 1024


def user_cache_dir() -> Path:
    """The user's cache folder for this app, as the platform names it (see the module docstring)."""
    return user_cache_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Where fitted models and their scores are cached: ``$KMEANS_LAB_CACHE_DIR``, else ``results``."""
    return _folder_from_env(CACHE_DIR_ENV) or user_cache_dir() / "results"


def data_dir() -> Path:
    """Where downloaded datasets live: ``$KMEANS_LAB_DATA_DIR``, else ``datasets`` in the user's cache."""
    return _folder_from_env(DATA_DIR_ENV) or user_cache_dir() / "datasets"


def mirror_url() -> str | None:
    """``$KMEANS_LAB_MIRROR_URL`` if set: a base URL serving the same IDX files as the official hosts."""
    return os.environ.get(MIRROR_URL_ENV) or None


def database_url() -> str | None:
    """``$KMEANS_LAB_DATABASE_URL`` if set: the PostgreSQL database that several servers share rooms in."""
    return os.environ.get(DATABASE_URL_ENV) or None


def cache_max_mb() -> int:
    """``$KMEANS_LAB_CACHE_MB`` (a whole number of MB, at least 1), else `DEFAULT_CACHE_MB`.

    Raises
    ------
    ValueError
        Naming the variable and its value, when it is not a whole number of at least 1.
    """
    value = os.environ.get(CACHE_MB_ENV) or str(DEFAULT_CACHE_MB)
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ValueError(f"{CACHE_MB_ENV}={value!r} should be a whole number of megabytes, at least 1.")
    return int(value)


def _folder_from_env(variable: str) -> Path | None:
    # An empty value counts as unset, as it did before: `VAR= streamlit run app.py` keeps the default.
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None
