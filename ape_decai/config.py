"""The `decai:` section of ape-config.yaml (also settable as APE_DECAI_<FIELD> variables)."""

from ape.api.config import PluginConfig
from pydantic_settings import SettingsConfigDict


class DecaiConfig(PluginConfig):
    """Settings of the ape-decai plugin.

    state_dir: where `ape decai deploy` remembers the trainer of each network
        (default: <ape data folder>/decai).
    mechanism: the mechanism `ape decai deploy` uses when --mechanism is not given.
    """

    state_dir: str | None = None
    mechanism: str = "deposit"

    # Typos in ape-config.yaml are errors, not silently ignored settings.
    model_config = SettingsConfigDict(extra="forbid", env_prefix="APE_DECAI_")
