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
        ("server", "enableStaticServing", False),
        ("server", "headless", True),
        ("browser", "gatherUsageStats", False),
    ],
)
def test_safety_settings(config, section, option, value):
    assert config[section][option] is value


def test_upload_limit_matches_the_limit_checked_in_code(config):
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_MODEL_MB <= MAX_UPLOAD_MB


def test_every_option_is_one_streamlit_knows(config):
    """A misspelt option is silently ignored by the server; Streamlit's registry catches it here."""
    from streamlit import config as st_config

    known = st_config._config_options_template
    unknown = [f"{s}.{o}" for s, options in config.items() for o in options if f"{s}.{o}" not in known]
    assert not unknown
