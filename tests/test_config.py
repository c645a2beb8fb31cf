"""The server settings in .streamlit/config.toml: the ones that keep users' data safe are on."""

import tomllib
from pathlib import Path

import pytest

from core.data.uploads import MAX_UPLOAD_MB
from core.model.persistence import MAX_MODEL_MB

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def config():
    return tomllib.loads(CONFIG.read_text())


@pytest.mark.parametrize(
    ("section", "option", "value"),
    [
        ("server", "enableXsrfProtection", True),
        ("server", "enableCORS", True),
        ("server", "enableStaticServing", True),
        ("server", "headless", True),
        ("browser", "gatherUsageStats", False),
        ("client", "showSidebarNavigation", False),
    ],
)
def test_safety_settings(config, section, option, value):
    assert config[section][option] is value


def test_upload_limit_matches_the_limit_checked_in_code(config):
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_MODEL_MB <= MAX_UPLOAD_MB


def test_every_option_is_one_streamlit_knows(config):
    """A misspelt option is silently ignored by the server; Streamlit's registry catches it here."""
    import streamlit as st

    for section, options in config.items():
        for option, value in options.items():
            assert st.get_option(f"{section}.{option}") is not None or value is None, f"{section}.{option}"


def test_the_browser_never_gets_error_details(config):
    assert config["client"]["showErrorDetails"] == "none"
