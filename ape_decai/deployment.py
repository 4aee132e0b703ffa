"""Deploy a trainer: one transaction for a small model, several under a gas cap for a large one.

A model's state is a list of 256-bit words (packed weights, centroids, counts). The constructor
takes the first words; the owner's initialisation calls (`ReferenceModel.init_calls`) write the
rest, each at most `words_per_call` words; `seal` ends initialisation and the model starts
accepting data. The number of words per transaction is the largest power of two (up to 128) for
which the constructor and every call stay under the gas cap.

A trainer whose contract is deployed as clones (`ape_decai.clones`) is created by its shared
implementation's `create_trainer`, with the same arguments as a constructor; the implementation
is deployed first if the chain does not have it yet (once per chain).

An interrupted deployment resumes: after the constructor and after every call, the progress is
written to the local state file (`ape_decai.state`), keyed by network and by the model file's
hash; deploying the same model file again on the same chain continues where it stopped.
Initialisation writes are positional, so a call that went through before the interruption but
was not recorded is simply written again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ape_decai import clones, state
from ape_decai._ape import managers
from ape_decai.errors import DecaiError, DeploymentError
from ape_decai.manifest import DEPLOYABLES, load_contract_type, trainer_name
from ape_decai.models import REFERENCE_MODELS
from ape_decai.parameters import Parameters, default_parameters
from ape_decai.trainers import Trainer, container
from ape_decai.training import ModelFile, model_from_file, onchain_encoder_json
from ape_decai.units import to_hex

MAX_WORDS_PER_CALL = 128
# What one initialisation word costs at most: a fresh storage slot (22,100), its calldata
# (32 bytes, 512) and the loop; plus a transaction's base cost and the call's overhead.
GAS_PER_WORD = 23_000
GAS_PER_CALL = 60_000
DEFAULT_GAS_CAP = 10_000_000

Progress = Callable[[int, int, str], None]  # (done, total, what) after each transaction


@dataclass
class Deployment:
    """What `deploy` did: where the trainer is, and what its deployment cost."""

    address: str
    # The block of the trainer's first transaction (its `TrainerDeployed` event).
    block: int
    contract_name: str
    model_id: str
    mechanism: str
    # Whether this call finished an interrupted deployment rather than starting one.
    resumed: bool
    # Gas of every transaction this call sent, in order (the shared implementation's first, if sent).
    gas_used: list[int]
    # Gas of the shared implementation of a cloned trainer, if this call deployed it (once per chain).
    implementation_gas: int | None = None
    words_per_call: int = 0

    @property
    def transactions(self) -> int:
        return len(self.gas_used)

    @cached_property
    def trainer(self) -> Trainer:
        """The deployed trainer, as its mechanism's class."""
        return Trainer.at(self.address)


@dataclass
class DeploymentPlan:
    """What to send: the constructor's arguments, then the initialisation calls, then `seal`."""

    contract_name: str
    constructor_args: list[Any]
    init_calls: list[tuple[str, tuple]]
    words_per_call: int

    @property
    def transactions(self) -> int:
        """Constructor + initialisation calls (+ seal when there are any)."""
        return 1 + len(self.init_calls) + (1 if self.init_calls else 0)


def model_sha256(model: dict | ModelFile) -> str:
    """The hash that identifies a model file's content (for resuming its deployment)."""
    data = model.to_dict() if isinstance(model, ModelFile) else model
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def mechanism_args(mechanism: str, params: Parameters | None) -> list[int]:
    """The mechanism's part of the constructor (after `seal`)."""
    return (params or default_parameters(mechanism)).constructor_args()


def plan(model: dict, mechanism: str, params: Any, words_per_call: int = MAX_WORDS_PER_CALL) -> DeploymentPlan:
    """The transactions that deploy `model` (a validated model file) with `words_per_call`."""
    reference = model_from_file(model)
    init_calls = reference.init_calls(words_per_call)
    args = [
        model.get("name", "")[:64],
        model.get("description", "")[:512],
        onchain_encoder_json(model),
        *reference.constructor_args(words_per_call),
        not init_calls,  # seal now if nothing is left to write
        *mechanism_args(mechanism, params),
    ]
    cls = REFERENCE_MODELS[model["model"]]
    return DeploymentPlan(trainer_name(cls.contract_prefix, mechanism), args, init_calls, words_per_call)


def fit_to_gas_cap(model: dict, mechanism: str, params: Any, sender: Any, gas_cap: int) -> DeploymentPlan:
    """The plan with the most words per transaction whose transactions all stay under `gas_cap`."""
    provider = managers.provider
    words = MAX_WORDS_PER_CALL
    while words >= 1:
        candidate = plan(model, mechanism, params, words)
        calls_fit = not candidate.init_calls or GAS_PER_CALL + words * GAS_PER_WORD <= gas_cap
        if calls_fit and _first_transaction_gas(candidate, sender, provider) <= gas_cap:
            return candidate
        words //= 2
    raise DeploymentError(
        f"the trainer cannot be deployed under a gas cap of {gas_cap:,}: even its smallest "
        "constructor needs more; raise --gas-cap"
    )


def _first_transaction_gas(candidate: DeploymentPlan, sender: Any, provider: Any) -> int:
    """The estimated gas of the constructor (or, for a clone, of `create_trainer`)."""
    if clones.is_cloned(candidate.contract_name):
        factory = clones.implementation(candidate.contract_name).create_trainer
        return int(factory.estimate_gas_cost(*candidate.constructor_args, sender=sender))
    constructor = container(candidate.contract_name).constructor
    txn = constructor.serialize_transaction(*candidate.constructor_args, sender=sender)
    txn.sender = sender.address
    return int(provider.estimate_gas_cost(txn))


def _check_implementation_fits(contract_name: str, sender: Any, gas_cap: int) -> None:
    """Fail before sending anything if the missing shared implementation exceeds the gas cap.

    When it fits, so does the smallest trainer it creates (one word per call: its own storage
    and a 45-byte proxy, far less than the implementation's code), so the plan is fitted after
    the implementation is deployed, as `create_trainer` can only be estimated then.
    """
    if clones.implementation_deployed(contract_name):
        return
    needed = clones.implementation_gas_estimate(contract_name, sender)
    if needed > gas_cap:
        raise DeploymentError(
            f"the shared implementation of {contract_name} (deployed once per chain, then every trainer "
            f"is a clone of it) needs {needed:,} gas, above the gas cap of {gas_cap:,}; raise --gas-cap"
        )


def _create(the_plan: DeploymentPlan, sender: Any) -> tuple[Any, Any, list[int]]:
    """Send the first transaction: (contract, receipt or None, gas used by what was sent)."""
    if not clones.is_cloned(the_plan.contract_name):
        contract = container(the_plan.contract_name).deploy(*the_plan.constructor_args, sender=sender)
        receipt = contract.creation_metadata.receipt if contract.creation_metadata else None
        return contract, receipt, [int(receipt.gas_used)] if receipt else []
    contract, receipt = clones.create_trainer(the_plan.contract_name, the_plan.constructor_args, sender)
    return contract, receipt, [int(receipt.gas_used)]


def deploy(
    model: dict | ModelFile,
    mechanism: str,
    params: Parameters | None = None,
    *,
    sender: Any,
    gas_cap: int = DEFAULT_GAS_CAP,
    on_progress: Progress | None = None,
    restart: bool = False,
) -> Deployment:
    """Deploy (or resume deploying) a trainer of `model` (a model file: `ModelFile` or its dict)
    with `mechanism` and its `params` (the mechanism's defaults if None), from `sender`.

    A large model goes over several transactions, each under `gas_cap`; if an earlier attempt on
    this chain was interrupted, this one resumes it (unless `restart`). `on_progress(done, total,
    what)` is called after each transaction. Every transaction is dry-run first by the caller's
    account (Ape estimates gas, which fails before sending if the call would revert).
    """
    model = ModelFile.parse(model).to_dict()
    known = {m for _, m in DEPLOYABLES.values()}
    if mechanism not in known:
        raise DecaiError(f"unknown mechanism {mechanism!r}; choose from {', '.join(sorted(known))}")
    available = {m for model_id, m in DEPLOYABLES.values() if model_id == model["model"]}
    if mechanism not in available:
        raise DecaiError(
            f"a {model['model']} model cannot be deployed with the {mechanism} mechanism "
            f"(only with {', '.join(sorted(available))})"
        )
    params = params or default_parameters(mechanism)
    params.validate()
    chain = managers.chain_manager
    digest = model_sha256(model)
    pending = None if restart else state.pending_deployment(digest)
    resumed = pending is not None
    gas_used: list[int] = []
    implementation_gas: int | None = None
    report = on_progress or (lambda done, total, what: None)

    if pending is not None:
        the_plan = plan(model, mechanism, params, int(pending["words_per_call"]))
        if pending.get("mechanism") != mechanism or pending.get("contract") != the_plan.contract_name:
            raise DeploymentError(
                f"an unfinished deployment of this model file with the {pending.get('mechanism')} mechanism "
                f"is at {pending['address']}; deploy with --mechanism {pending.get('mechanism')} to resume it, "
                "or pass --restart to start over"
            )
        contract = chain.contracts.instance_at(
            pending["address"], contract_type=load_contract_type(the_plan.contract_name)
        )
        if str(contract.owner()).lower() != sender.address.lower():
            raise DeploymentError(
                f"the unfinished deployment at {pending['address']} belongs to {contract.owner()}, "
                f"not to {sender.address}; use that account, or pass --restart"
            )
        done = int(pending["done"])
        block = int(pending["block"])
    else:
        name = plan(model, mechanism, params).contract_name
        if clones.is_cloned(name):
            _check_implementation_fits(name, sender, gas_cap)
            implementation_gas = clones.ensure_implementation(name, sender)
            if implementation_gas is not None:
                gas_used.append(implementation_gas)
        the_plan = fit_to_gas_cap(model, mechanism, params, sender, gas_cap)
        contract, receipt, sent = _create(the_plan, sender)
        block = receipt.block_number if receipt else chain.blocks.height
        gas_used.extend(sent)
        done = 0
        if the_plan.init_calls:
            pending = {
                "address": contract.address,
                "block": block,
                "block_hash": to_hex(chain.provider.get_block(block).hash),
                "contract": the_plan.contract_name,
                "mechanism": mechanism,
                "model_sha256": digest,
                "words_per_call": the_plan.words_per_call,
                "done": 0,
            }
            state.remember_pending(pending)
    total = the_plan.transactions
    report(1 + done, total, "constructor")
    for k in range(done, len(the_plan.init_calls)):
        name, args = the_plan.init_calls[k]
        gas_used.append(int(getattr(contract, name)(*args, sender=sender).gas_used))
        pending = {**(pending or {}), "done": k + 1}
        state.remember_pending(pending)
        report(2 + k, total, name)
    if the_plan.init_calls:
        if not contract.sealed():
            gas_used.append(int(contract.seal(sender=sender).gas_used))
        state.forget_pending()
        report(total, total, "seal")
    return Deployment(
        address=str(contract.address),
        block=block,
        contract_name=the_plan.contract_name,
        model_id=model["model"],
        mechanism=mechanism,
        resumed=resumed,
        gas_used=gas_used,
        implementation_gas=implementation_gas,
        words_per_call=the_plan.words_per_call,
    )
