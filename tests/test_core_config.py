"""core.config: where the lab keeps files and downloads from, read from the environment at call time."""

from pathlib import Path

import pytest

from core import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No lab variables set, and the platform's cache folder under tmp_path (Linux reads XDG_CACHE_HOME)."""
    for variable in (config.CACHE_DIR_ENV, config.DATA_DIR_ENV, config.MIRROR_URL_ENV):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_defaults_live_in_the_users_cache_folder(clean_env):
    home = clean_env / "xdg" / "kmeans-digit-lab"
    assert config.cache_dir() == home / "results"
    assert config.data_dir() == home / "datasets"
    assert config.mirror_url() is None


def test_variables_override_the_defaults(clean_env, monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_CACHE_DIR", str(clean_env / "results"))
    monkeypatch.setenv("KMEANS_LAB_DATA_DIR", "~/lab-data")
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", "http://mirror.example/mnist/")
    assert config.cache_dir() == clean_env / "results"
    assert config.data_dir() == Path.home() / "lab-data"  # ~ is expanded
    assert config.mirror_url() == "http://mirror.example/mnist/"


def test_an_empty_variable_counts_as_unset(clean_env, monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_DATA_DIR", "")
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", "")
    assert config.data_dir() == clean_env / "xdg" / "kmeans-digit-lab" / "datasets"
    assert config.mirror_url() is None
