"""ape-decai: Decentralized & Collaborative AI on Blockchain, as an Ape plugin.

Registration only; the commands live in `_cli.py` and the API in `client.py`.
"""

import warnings

from ape import plugins

# ape-vyper's config triggers a harmless pydantic-settings warning on every command
# ("Field 'import_remapping' has an incomplete definition"); keep `ape decai` output clean.
warnings.filterwarnings("ignore", message=r"Field 'import_remapping' has an incomplete definition")


@plugins.register(plugins.Config)
def config_class():
    from ape_decai.config import DecaiConfig

    return DecaiConfig
