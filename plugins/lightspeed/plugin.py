"""The Lightspeed K-Series connector as a fiscalhub plugin (entry point ``lightspeed`` in the
``fiscalhub`` group of fiscalhub's own pyproject.toml)."""
from plugins.lightspeed.connector import LightspeedConnector


def fiscalhub_register_connectors():
    return [LightspeedConnector]
