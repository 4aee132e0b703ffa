"""Make Ape's chain calls cheaper in the tests, without changing what they return.

Measured on the points state machine (10 runs, `-p` an RPC counter): every contract call cost
about 4.9 JSON-RPC requests, every transaction about 12, and 17 of 27 seconds of RPC went to
requests whose answer never changes within a test:

- ``eth_getCode`` before every call and transaction: Ape checks that the address holds a
  contract and does not cache it on development networks (chain isolation could make the cache
  wrong). Here a positive answer is cached and the cache is dropped at every ``chain.restore``,
  which is the only way code disappears on our chains.
- ``eth_getBlockByNumber`` for every call and transaction: the local network's gas limit is
  "max", which Ape resolves by reading the latest block's gas limit. Anvil's block gas limit only
  changes through ``set_block_gas_limit``, which resets the cache.
- ``trace_transaction`` after every transaction, to print Vyper ``print`` debug logs. The
  contracts have no ``print``; nothing reads those logs.

Revert reasons, events, return values, gas used and balances all come from the same requests as
before. ``install()`` is called once by ``tests/conftest.py``.
"""

import ape_ethereum.provider as ethereum_provider
from ape.contracts.base import ContractMethodHandler
from ape.managers.chain import ChainManager
from ape_foundry.provider import FoundryProvider

_contracts_seen: set[str] = set()
_max_gas: dict[int, int] = {}


def _forget() -> None:
    _contracts_seen.clear()
    _max_gas.clear()


def install() -> None:
    """Patch the three requests described above (idempotent)."""
    if getattr(ContractMethodHandler, "_decai_fast", False):
        return
    validate = ContractMethodHandler._validate_is_contract

    def validate_is_contract(self):
        address = self.contract.address
        if address not in _contracts_seen:
            validate(self)  # raises ContractNotFoundError when there is no code
            _contracts_seen.add(address)

    ContractMethodHandler._validate_is_contract = validate_is_contract
    ContractMethodHandler._decai_fast = True

    provider_class = ethereum_provider.Web3Provider
    read_max_gas = provider_class.max_gas.fget

    def max_gas(self) -> int:
        key = id(self)
        if key not in _max_gas:
            _max_gas[key] = read_max_gas(self)
        return _max_gas[key]

    provider_class.max_gas = property(max_gas)

    set_limit = FoundryProvider.set_block_gas_limit

    def set_limit_and_forget(self, gas_limit: int) -> bool:
        _max_gas.clear()
        return set_limit(self, gas_limit)

    FoundryProvider.set_block_gas_limit = set_limit_and_forget

    restore = ChainManager.restore

    def restore_and_forget(self, snapshot_id=None):
        _forget()
        return restore(self, snapshot_id)

    ChainManager.restore = restore_and_forget
    ethereum_provider._post_send_transaction = lambda tx, receipt: None
