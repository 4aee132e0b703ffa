"""ape-decai: Decentralized & Collaborative AI on Blockchain, as an Ape plugin.

Registration only; the commands live in `_cli.py` and the API in `client.py`.
"""

from ape import plugins


@plugins.register(plugins.Config)
def config_class():
    from ape_decai.config import DecaiConfig

    return DecaiConfig
