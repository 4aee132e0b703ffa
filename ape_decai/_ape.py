"""Ape's managers (chain, provider, config, conversion), imported on first use.

`from ape.utils import ManagerAccessMixin` costs ~0.8 s of imports (web3, Ape's base models;
measured with `python -X importtime -c "import ape, ape.cli; import ape_decai._cli"`: 756 ms of
`ape.utils.basemodel` under `ape_decai.state`). A command that talks to a chain pays it anyway
when it connects; `ape decai --help`, `ape --help` (which loads every plugin's commands) and
`ape decai train` never need it. So the package's modules reach the managers through `managers`,
and this is the one place that imports them.
"""

from __future__ import annotations

from typing import Any


class _Managers:
    """`managers.chain_manager`, `managers.provider`, ...: `ManagerAccessMixin`'s attributes."""

    def __getattr__(self, name: str) -> Any:
        from ape.utils import ManagerAccessMixin  # see the module doc: ~0.8 s, only when needed

        return getattr(ManagerAccessMixin, name)


managers = _Managers()
