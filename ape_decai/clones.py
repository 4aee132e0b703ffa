"""Trainers deployed as clones: one shared implementation per chain, each trainer a minimal proxy.

Which deployables are clones, and why, is stated once: the clone-or-whole rule in the docstring
of `scripts/generate_trainers.py`. Here, a clone's contract is deployed once per chain as the
*implementation*; its `create_trainer` makes each trainer an EIP-1167 minimal proxy to it (45
bytes of code) with its own storage, owner and model, set up in the same transaction.

The implementation sits at a deterministic address: it is deployed through the CREATE2 deployer
that Anvil, Ethereum mainnet and most test networks carry (`CREATE2_DEPLOYER`; calldata = salt
followed by the init code). So any client finds it from the shipped code alone, anyone may
deploy it once, and a trainer is recognised by its proxy code pointing at the shipped code.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address

from ape_decai._ape import managers
from ape_decai.errors import CloneError
from ape_decai.manifest import DEPLOYABLES, load_contract_type

# Arachnid's deterministic deployment proxy (https://github.com/Arachnid/deterministic-deployment-proxy).
CREATE2_DEPLOYER = to_checksum_address("0x4e59b44847b379578588920ca78fbf26c0b4956c")
SALT = keccak(b"ape-decai implementation")

# The runtime code of an EIP-1167 minimal proxy: PREFIX, the 20-byte target, SUFFIX.
EIP1167_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
EIP1167_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


def is_cloned(contract_name: str) -> bool:
    """Whether a deployable is deployed as clones (its ABI has `create_trainer`)."""
    abi = load_contract_type(contract_name).abi
    return any(getattr(item, "name", None) == "create_trainer" for item in abi)


def cloned_deployables() -> list[str]:
    """Every deployable that is deployed as clones."""
    return [name for name in DEPLOYABLES if is_cloned(name)]


def proxy_target(code: bytes | str) -> str | None:
    """The target of an EIP-1167 minimal proxy's runtime code, or None if it is not one."""
    raw = bytes.fromhex(code.lower().removeprefix("0x")) if isinstance(code, str) else bytes(code)
    if len(raw) != 45 or not raw.startswith(EIP1167_PREFIX) or not raw.endswith(EIP1167_SUFFIX):
        return None
    return to_checksum_address(raw[len(EIP1167_PREFIX) : len(EIP1167_PREFIX) + 20])


def init_code(contract_name: str) -> bytes:
    """The implementation's init code (its constructor takes no arguments)."""
    bytecode = load_contract_type(contract_name).deployment_bytecode
    if bytecode is None or not bytecode.bytecode:
        raise CloneError(f"{contract_name} has no deployment bytecode in the manifest")
    return bytes.fromhex(bytecode.bytecode.removeprefix("0x"))


def implementation_address(contract_name: str) -> str:
    """Where the implementation of `contract_name` is (or will be) on any chain."""
    digest = keccak(b"\xff" + bytes.fromhex(CREATE2_DEPLOYER[2:]) + SALT + keccak(init_code(contract_name)))
    return to_checksum_address(digest[12:])


def implementation_deployed(contract_name: str) -> bool:
    """Whether this chain has the implementation of `contract_name`."""
    return bool(managers.provider.get_code(implementation_address(contract_name)))


def check_create2_deployer() -> None:
    """CloneError if this chain lacks the CREATE2 deployer (for the shared contracts' addresses)."""
    if not managers.provider.get_code(CREATE2_DEPLOYER):
        raise CloneError(
            f"this chain has no CREATE2 deployer at {CREATE2_DEPLOYER}, so the shared contracts "
            "(implementations, encoder publisher) cannot be placed at their deterministic addresses; "
            "deploy that proxy first (https://github.com/Arachnid/deterministic-deployment-proxy)"
        )


def implementation_gas_estimate(contract_name: str, sender: Any) -> int:
    """The estimated gas of deploying the implementation of `contract_name` (sends nothing)."""
    check_create2_deployer()
    provider = managers.provider
    txn = provider.network.ecosystem.create_transaction(
        receiver=CREATE2_DEPLOYER, sender=sender.address, data=SALT + init_code(contract_name), value=0
    )
    return int(provider.estimate_gas_cost(txn))


def ensure_implementation(contract_name: str, sender: Any) -> int | None:
    """Deploy the implementation of `contract_name` if this chain does not have it yet.

    Returns the gas the deployment used, or None if the implementation was already there.
    """
    if implementation_deployed(contract_name):
        return None
    check_create2_deployer()
    receipt = sender.transfer(CREATE2_DEPLOYER, 0, data=SALT + init_code(contract_name))
    if not implementation_deployed(contract_name):
        raise CloneError(f"the CREATE2 deployer did not create {contract_name} at {implementation_address(contract_name)}")
    return int(receipt.gas_used)


def implementation(contract_name: str):
    """The implementation as an Ape contract instance (it must be deployed)."""
    return managers.chain_manager.contracts.instance_at(
        implementation_address(contract_name), contract_type=load_contract_type(contract_name)
    )


def create_trainer(contract_name: str, args: list[Any], sender: Any):
    """Create a trainer (a clone) with the constructor-like `args`; returns (contract, receipt)."""
    receipt = implementation(contract_name).create_trainer(*args, sender=sender)
    logs = [log for log in receipt.events if log.event_name == "TrainerDeployed"]
    if not logs:
        raise CloneError(f"create_trainer sent no TrainerDeployed event (transaction {receipt.txn_hash})")
    address = logs[0].contract_address
    contract = managers.chain_manager.contracts.instance_at(
        address, contract_type=load_contract_type(contract_name)
    )
    return contract, receipt
