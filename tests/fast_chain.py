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

And two costs in Python (cProfile of the same run):

- ``Ethereum.default_transaction_type`` validates the network's configuration with pydantic on
  every call and transaction (~8 ms each); the configuration does not change during a run, so
  the answer is kept per network.
- When Ape disconnects, it matches every entry of its user-wide registry of node processes
  (``~/.ape/processes/nodes.json``, which keeps dead entries of earlier runs) at ~100 ms each;
  the session gets a registry of its own (``isolate_node_registry``).

Revert reasons, events, return values, gas used and balances all come from the same requests as
before. ``install()`` is called once by ``tests/conftest.py``.

``install()`` also holds the one workaround the tests need for Ape's cache of contract types by
address: every test reverts the chain, so the same (sender, nonce) address is reused by the next
test, possibly for another contract. When a deployment reverts, Ape decodes its call tree with the
type cached for that address by an earlier test, fails on the other constructor's ABI (eth_abi
``InvalidPointer``) and ``ape.reverts`` sees that error instead of the revert. Every
``ContractContainer.deploy`` first drops the cached type at the address it deploys to (a
successful deployment caches the right type again).
"""

from pathlib import Path

import ape_ethereum.provider as ethereum_provider
from ape.contracts.base import ContractContainer, ContractMethodHandler
from ape.managers.chain import ChainManager
from ape.managers.networks import NodeProcessMap
from ape_ethereum.ecosystem import Ethereum
from ape_foundry.provider import FoundryProvider

_contracts_seen: set[str] = set()
_max_gas: dict[int, int] = {}
_transaction_types: dict[str, object] = {}


def _forget() -> None:
    _contracts_seen.clear()
    _max_gas.clear()


def install() -> None:
    """Install every patch described above (idempotent)."""
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

    deploy = ContractContainer.deploy

    def deploy_where_nothing_is_cached(self, *args, **kwargs):
        sender = kwargs.get("sender")
        if hasattr(sender, "get_deployment_address"):
            del self.chain_manager.contracts[sender.get_deployment_address()]
        return deploy(self, *args, **kwargs)

    ContractContainer.deploy = deploy_where_nothing_is_cached

    read_type = Ethereum.default_transaction_type.fget

    def default_transaction_type(self):
        provider = self.network_manager.active_provider
        key = f"{self.name}:{provider.network.name if provider else ''}"
        if key not in _transaction_types:
            _transaction_types[key] = read_type(self)
        return _transaction_types[key]

    Ethereum.default_transaction_type = property(default_transaction_type)


def isolate_node_registry(networks, folder: Path) -> None:
    """Give this process its own (empty) registry of running nodes in `folder`."""
    networks.running_nodes = NodeProcessMap.model_validate_file(folder / "nodes.json")


def read_views(calls) -> list:
    """Read many views in one JSON-RPC batch: ``[(contract, "method", *args), ...]`` -> the values
    Ape would return for each call (decoded by Ape's own ``ContractCall``), in order.

    An invariant that checks every record after every step would otherwise pay a full HTTP round
    trip (and Ape's transaction building) per view: the state machines' invariants use this.
    """
    from ape.contracts.base import ContractCall
    from ape.utils import ManagerAccessMixin
    from eth_utils import to_hex
    from hexbytes import HexBytes

    calls = list(calls)
    provider = ManagerAccessMixin.provider
    ecosystem = provider.network.ecosystem
    converter = ManagerAccessMixin.conversion_manager
    readers, requests = [], []
    for contract, name, *args in calls:
        abi = getattr(contract, name).abis[0]
        args = converter.convert_method_args(abi, args)
        data = ecosystem.get_method_selector(abi) + ecosystem.encode_calldata(abi, *args)
        readers.append(ContractCall(abi, contract.address))
        requests.append(("eth_call", [{"to": contract.address, "data": to_hex(data)}, "latest"]))
    if not requests:
        return []
    responses = provider.web3.provider.make_batch_request(requests)
    if not isinstance(responses, list):  # the node refused the whole batch
        raise RuntimeError(f"batch of {len(requests)} reads refused: {responses}")
    values = []
    for reader, (contract, name, *args), response in zip(readers, calls, responses, strict=True):
        if "error" in response:
            raise RuntimeError(f"{name}{tuple(args)} at {contract.address} failed: {response['error']}")
        values.append(reader._decode_returndata(HexBytes(response["result"])))
    return values
