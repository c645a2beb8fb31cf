"""Shared fixtures: every test gets its own empty result cache and data folder."""

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Point the engine's on-disk caches at a fresh folder, so no test sees another's results."""
    monkeypatch.setenv("KMEANS_LAB_CACHE_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("KMEANS_LAB_DATA_DIR", str(tmp_path / "datasets"))
    monkeypatch.delenv("KMEANS_LAB_MIRROR_URL", raising=False)
    return tmp_path
