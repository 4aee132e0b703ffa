"""Deploy a trainer: one transaction for a small model, several under a gas cap for a large one.

A model's state is a list of 256-bit words (packed weights, centroids, counts). The constructor
takes the first words; the owner's initialisation calls (`ReferenceModel.init_calls`) write the
rest, each at most `call_words` words; `seal` ends initialisation and the model starts
accepting data. The constructor carries the largest power of two of words (up to 128) that keeps
it under the gas cap; each call as many words as fit under the cap (up to 128).

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

from ape_decai import clones, publishing, state
from ape_decai._ape import managers
from ape_decai.errors import DecaiError, DeploymentError
from ape_decai.manifest import DEPLOYABLES, load_contract_type, trainer_name
from ape_decai.parameters import Parameters, default_parameters
from ape_decai.trainers import Trainer, container
from ape_decai.training import ModelFile, model_from_file, onchain_encoder_json, onchain_encoder_parts
from ape_decai.training import check_deployable as check_deployable  # `deployment.check_deployable`
from ape_decai.units import to_hex

MAX_WORDS_PER_CALL = 128
# What one initialisation word costs at most: a fresh storage slot (22,100), its calldata
# (32 bytes, 512) and the loop; plus a transaction's base cost and the call's overhead.
GAS_PER_WORD = 23_000
GAS_PER_CALL = 60_000
DEFAULT_GAS_CAP = 10_000_000
# The most distinct features a prediction market's contribution carries (its contract's
# MAX_CONTRIBUTION_DATA_WORDS, 2 packed words): a market trainer publishes this per-sample maximum.
MARKET_CONTRIBUTION_FEATURES = 32

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
    # The unfinished deployment of the same model file that `restart` left behind, if any.
    abandoned: str | None = None

    @property
    def transactions(self) -> int:
        return len(self.gas_used)

    @cached_property
    def trainer(self) -> Trainer:
        """The deployed trainer, as its mechanism's class."""
        return Trainer.at(self.address)


@dataclass
class DeploymentPlan:
    """What to send: the constructor's arguments, then the initialisation calls, then `seal`.

    The constructor carries the first `words_per_call` words of the model's state; each
    initialisation call at most `call_words` (they differ: a constructor also pays for the
    contract's code and the encoder, so a low gas cap leaves it room for fewer words than a call).
    """

    contract_name: str
    constructor_args: list[Any]
    init_calls: list[tuple[str, tuple]]
    words_per_call: int
    call_words: int = 0

    @property
    def transactions(self) -> int:
        """Constructor + initialisation calls (+ seal when there are any)."""
        return 1 + len(self.init_calls) + (1 if self.init_calls else 0)


def _written(call: tuple[str, tuple]) -> tuple[str, int, list] | None:
    """(function, first word, words) of a positional write `f(offset, words)`; None for another
    kind of call (a nearest-centroid class: one call each, whatever the cap)."""
    name, args = call
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], list):
        return name, args[0], args[1]
    return None


def rechunk(calls: list[tuple[str, tuple]], call_words: int) -> list[tuple[str, tuple]]:
    """The same positional writes in calls of at most `call_words` words each, in order:
    contiguous writes of one function are joined, then cut at `call_words`."""
    runs: list[tuple[str, int, list]] = []
    out: list[tuple[str, tuple]] = []

    def flush() -> None:
        for name, first, words in runs:
            out.extend((name, (first + k, words[k : k + call_words])) for k in range(0, len(words), call_words))
        runs.clear()

    for call in calls:
        write = _written(call)
        if write is None:
            flush()
            out.append(call)
        elif runs and runs[-1][0] == write[0] and runs[-1][1] + len(runs[-1][2]) == write[1]:
            runs[-1][2].extend(write[2])
        else:
            flush()
            runs.append((write[0], write[1], list(write[2])))
    flush()
    return out


def covered_prefix(done: list[tuple[str, tuple]], calls: list[tuple[str, tuple]]) -> int:
    """How many of `calls` (from the start) write only what the calls `done` already wrote: an
    interrupted deployment resumed with other call sizes (a new gas cap) goes on from there."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    identical = set()
    for call in done:
        write = _written(call)
        if write is None:
            identical.add(repr(call))
        else:
            ranges.setdefault(write[0], []).append((write[1], write[1] + len(write[2])))
    for name, spans in ranges.items():  # join touching ranges: calls of other sizes straddle them
        spans.sort()
        joined = [spans[0]]
        for lo, hi in spans[1:]:
            if lo <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(hi, joined[-1][1]))
            else:
                joined.append((lo, hi))
        ranges[name] = joined
    k = 0
    for call in calls:
        write = _written(call)
        if write is None:
            if repr(call) not in identical:
                break
        else:
            name, first, words = write
            if not any(lo <= first and first + len(words) <= hi for lo, hi in ranges.get(name, [])):
                break
        k += 1
    return k


def _call_gas(call: tuple[str, tuple]) -> int:
    """An upper bound of one initialisation call's gas (GAS_PER_WORD per word it carries)."""
    words = sum(len(a) for a in call[1] if isinstance(a, list))  # the scalars are within GAS_PER_CALL
    return GAS_PER_CALL + words * GAS_PER_WORD


def model_sha256(model: dict | ModelFile) -> str:
    """The hash that identifies a model file's content (for resuming its deployment)."""
    data = model.to_dict() if isinstance(model, ModelFile) else model
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def mechanism_args(mechanism: str, params: Parameters | None) -> list[int]:
    """The mechanism's part of the constructor (after `seal`)."""
    return (params or default_parameters(mechanism)).constructor_args()


def plan(
    model: dict, mechanism: str, params: Any, words_per_call: int = MAX_WORDS_PER_CALL, call_words: int | None = None
) -> DeploymentPlan:
    """The transactions that deploy `model` (a validated model file): `words_per_call` words in the
    constructor, then calls of at most `call_words` words each (default: `words_per_call`)."""
    return plan_model(
        model_from_file(model),
        mechanism,
        params,
        name=model.get("name", ""),
        description=model.get("description", ""),
        encoder=onchain_encoder_json(model, MARKET_CONTRIBUTION_FEATURES if mechanism == "market" else None),
        words_per_call=words_per_call,
        call_words=call_words,
    )


def plan_model(
    reference: Any,
    mechanism: str,
    params: Any,
    *,
    name: str,
    description: str,
    encoder: str,
    words_per_call: int = MAX_WORDS_PER_CALL,
    call_words: int | None = None,
) -> DeploymentPlan:
    """The plan for a reference model (`ape_decai.models`) with the trainer's name, description and
    on-chain encoder JSON given: what `plan` does for a model file, and the tests for a twin."""
    call_words = call_words or words_per_call
    init_calls = rechunk(reference.init_calls(words_per_call), call_words)
    args = [
        name[:64],
        description[:512],
        encoder,
        *reference.constructor_args(words_per_call),
        not init_calls,  # seal now if nothing is left to write
        *mechanism_args(mechanism, params),
    ]
    contract = trainer_name(reference.contract_prefix, mechanism)
    return DeploymentPlan(contract, args, init_calls, words_per_call, call_words)


def call_words_under(gas_cap: int) -> int:
    """The most words an initialisation call carries under `gas_cap` (at most MAX_WORDS_PER_CALL)."""
    return max(0, min(MAX_WORDS_PER_CALL, (gas_cap - GAS_PER_CALL) // GAS_PER_WORD))


def _calls_fit(candidate: DeploymentPlan, gas_cap: int) -> bool:
    return all(_call_gas(call) <= gas_cap for call in candidate.init_calls)


def fit_to_gas_cap(model: dict, mechanism: str, params: Any, sender: Any, gas_cap: int) -> DeploymentPlan:
    """The plan that fills `gas_cap`: the most words the constructor can carry under it (halving
    from MAX_WORDS_PER_CALL), then calls of the most words that fit under it."""
    provider = managers.provider
    call_words = call_words_under(gas_cap)
    if call_words < 1:
        raise DeploymentError(f"no initialisation call fits under a gas cap of {gas_cap:,}; raise --gas-cap")
    words = MAX_WORDS_PER_CALL
    while words >= 1:
        candidate = plan(model, mechanism, params, words, call_words)
        if _calls_fit(candidate, gas_cap) and _first_transaction_gas(candidate, sender, provider) <= gas_cap:
            return candidate
        words //= 2
    raise DeploymentError(
        f"the trainer cannot be deployed under a gas cap of {gas_cap:,}: even its smallest "
        "constructor needs more; raise --gas-cap"
    )


def _fit_calls(
    the_plan: DeploymentPlan, done: int, contract: Any, sender: Any, gas_cap: int, model: dict, mechanism: str, params: Any
) -> tuple[DeploymentPlan, int]:
    """The plan with calls that stay under `gas_cap` by the node's own estimate (GAS_PER_WORD is
    a bound for a fresh storage slot; a model that does more per word gets fewer words per call),
    and where it goes on from. Estimated on the next call, once the contract exists."""
    while True:
        name, args = the_plan.init_calls[done]
        gas = int(getattr(contract, name).estimate_gas_cost(*args, sender=sender))
        if gas <= gas_cap or the_plan.call_words == 1:
            return the_plan, done
        words = max(1, the_plan.call_words * (gas_cap - GAS_PER_CALL) // max(gas - GAS_PER_CALL, 1) * 9 // 10)
        smaller = plan(model, mechanism, params, the_plan.words_per_call, min(words, the_plan.call_words - 1))
        done = covered_prefix(the_plan.init_calls[:done], smaller.init_calls)
        the_plan = smaller


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
    pending = state.pending_deployment(digest)
    abandoned = pending["address"] if restart and pending else None
    if restart:
        pending = None
    resumed = pending is not None
    gas_used: list[int] = []
    implementation_gas: int | None = None
    report = on_progress or (lambda done, total, what: None)

    if pending is not None:
        # The constructor was sent with `words_per_call` words; the calls so far were of
        # `call_words` each. The rest goes in calls that fill this call's gas cap.
        sent_plan = plan(model, mechanism, params, int(pending["words_per_call"]), pending.get("call_words"))
        the_plan = plan(model, mechanism, params, sent_plan.words_per_call, call_words_under(gas_cap) or 1)
        if not _calls_fit(the_plan, gas_cap):
            raise DeploymentError(
                f"the rest of the unfinished deployment at {pending['address']} does not fit under a gas cap of "
                f"{gas_cap:,}; raise --gas-cap"
            )
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
        done = covered_prefix(sent_plan.init_calls[: int(pending["done"])], the_plan.init_calls)
        block = int(pending["block"])
        pending = {**pending, "call_words": the_plan.call_words, "done": done}
        state.remember_pending(pending)
    else:
        parts = onchain_encoder_parts(model)
        if parts:
            # A vocabulary too large for the trainer goes first, in parts (skipped if on chain).
            if gas_cap < publishing.GAS_PER_PART + publishing.PART_BYTES * publishing.GAS_PER_PART_BYTE:
                raise DeploymentError(
                    f"a vocabulary part does not fit under a gas cap of {gas_cap:,}; raise --gas-cap"
                )
            gas_used.extend(publishing.publish(parts, sender, on_progress=report))
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
                "call_words": the_plan.call_words,
                "done": 0,
            }
            state.remember_pending(pending)
    if done < len(the_plan.init_calls):
        the_plan, done = _fit_calls(the_plan, done, contract, sender, gas_cap, model, mechanism, params)
        pending = {**(pending or {}), "call_words": the_plan.call_words, "done": done}
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
        abandoned=abandoned,
    )
