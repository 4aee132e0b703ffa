"""The Python API of ape-decai: what the commands, the scripts and the tests share.

One contribution's way: text -> encoder (rebuilt from the chain) -> packed indices ->
`Trainer.add_data` -> the contract. Nothing here prints; errors a user can fix are raised as
`DecaiError` with one clear line, before any transaction is sent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from ape_decai.manifest import DEPLOYABLES, load_contract_type
from ape_decai.models import REFERENCE_MODELS, ReferenceModel
from ape_decai.models.sparse_perceptron import check_indices
from ape_decai.packing import pack_indices, unpack_indices
from ape_decai.training import parse_onchain_encoder

EXISTS_BIT = 1 << 255
REFUNDED_BIT = 1 << 254
AMOUNT_MASK = (1 << 96) - 1
MAX_DURATION = 1000 * 365 * 86400  # seconds
MAX_UINT256 = 2**256 - 1
MAX_DEPOSIT = 2**96 - 1  # what a contribution record holds
# `add-data` pays max(min_deposit, ceil(cost_weight * (1 + DEPOSIT_MARGIN) / s)) (at most the
# same-block worst case, max(min_deposit, cost_weight)), s = seconds from the last contribution
# (pending ones included) to the pending block's time (a lower bound of the next). Exact if no other
# contribution comes first; with the margin, still enough if the last one accepted before ours
# is at least s / (1 + DEPOSIT_MARGIN) seconds older than our block. The excess is no fee: the
# contract keeps it as part of the deposit, refunded in full with it.
DEPOSIT_MARGIN = Fraction(1, 10)


class DecaiError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits non-zero."""


def container(name: str):
    """A ContractContainer for a shipped deployable (works outside this repository)."""
    from ape.contracts import ContractContainer

    return ContractContainer(load_contract_type(name))


def contribution_key(data_words: list[int], label: int, added_at: int, contributor: str) -> bytes:
    """The data handler's key: keccak(abi(keccak(abi(data)), label, added_at, contributor))."""
    data_hash = keccak(abi_encode(["uint256[]"], [list(data_words)]))
    return keccak(abi_encode(["bytes32", "uint8", "uint256", "address"], [data_hash, label, added_at, contributor]))


@dataclass
class Record:
    """A contribution's record as the data handler stores it."""

    exists: bool
    refunded: bool
    deposit: int
    claimable: int

    @classmethod
    def unpack(cls, packed: int) -> Record:
        return cls(
            exists=bool(packed & EXISTS_BIT),
            refunded=bool(packed & REFUNDED_BIT),
            deposit=(packed >> 96) & AMOUNT_MASK,
            claimable=packed & AMOUNT_MASK,
        )


@dataclass
class Contribution:
    """One `DataAdded` event with its current record."""

    contributor: str
    label: int
    deposit: int
    added_at: int
    data_words: list[int]
    transaction_hash: str
    block_number: int
    record: Record = field(default_factory=lambda: Record(False, False, 0, 0))

    @property
    def indices(self) -> list[int]:
        return unpack_indices(self.data_words)

    @property
    def key(self) -> bytes:
        return contribution_key(self.data_words, self.label, self.added_at, self.contributor)



@dataclass
class Verdict:
    """Whether an action on a contribution is possible now, and why not."""

    contribution: Contribution
    possible: bool
    reason: str
    amount: int = 0


def parse_duration(text: str | int) -> int:
    """'90', '90s', '15m', '2h', '7d', '1w' -> seconds."""
    if isinstance(text, int):
        return text
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = str(text).strip().lower()
    try:
        if raw and raw[-1] in units:
            value = float(raw[:-1]) * units[raw[-1]]
        else:
            value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DecaiError(f"not a duration: {text!r} (use e.g. 3600, 90m, 2h, 7d, 1w)")
    if value < 0:
        raise DecaiError(f"a duration cannot be negative: {text!r}")
    if value > MAX_DURATION:
        raise DecaiError(f"a duration is too large (above 1,000 years): {text!r}")
    return int(value)


def format_duration(seconds: int) -> str:
    """Seconds as a short human string (1d 2h, 5m, 30s)."""
    seconds = int(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])


def parse_amount(text: str | int) -> int:
    """'0.01 ether', '5 gwei', '1000' (wei) -> wei, with a clear error."""
    if isinstance(text, int):
        return text
    from ape.utils import ManagerAccessMixin

    raw = str(text).strip()
    try:
        value = int(raw) if raw.isdigit() else ManagerAccessMixin.conversion_manager.convert(raw, int)
    except Exception:  # noqa: BLE001  Ape's converters raise many types; any of them means "not an amount"
        raise DecaiError(f"not an amount: {text!r} (use e.g. 1000000000000000, '0.001 ether', '5 gwei')") from None
    if not 0 <= value <= MAX_UINT256:
        raise DecaiError(f"an amount cannot be negative or too large (2**256 wei and more): {text!r}")
    return int(value)


@dataclass
class DepositParameters:
    """The deposit mechanism's parameters (paper III-C)."""

    refund_wait: int = 86400  # t: one day
    creator_wait: int = 30 * 86400  # tc
    anyone_wait: int = 60 * 86400  # ta
    cost_weight: int = 10**15 * 60  # wei * seconds: 0.001 ether if the last contribution was a minute ago
    min_deposit: int = 10**12
    min_share: int = 10**12

    def validate(self) -> None:
        if not self.refund_wait <= self.creator_wait <= self.anyone_wait:
            raise DecaiError("wait times must satisfy refund-wait <= creator-wait <= anyone-wait")
        if not 0 <= self.cost_weight <= MAX_UINT256:
            raise DecaiError("cost-weight is too large (at most 2**256 - 1 wei*s) or negative")
        if not 0 <= self.min_deposit <= MAX_DEPOSIT:
            raise DecaiError("min-deposit is too large (at most 2**96 - 1 wei) or negative")
        if not 0 <= self.min_share <= MAX_DEPOSIT:
            raise DecaiError("min-share is too large (at most 2**96 - 1 wei) or negative")


@dataclass
class PointsParameters:
    """The points mechanism's parameters (paper III-A)."""

    validation_wait: int = 86400

    def validate(self) -> None:
        return None


def deploy_trainer(
    model: dict,
    mechanism: str,
    params,
    sender,
    gas_cap: int | None = None,
    on_progress=None,
    restart: bool = False,
) -> Trainer:
    """Deploy a trainer for a model file (dict, see `training.load_model_file`) and a mechanism.

    A large model goes over several transactions, each under `gas_cap`, and resumes if an
    earlier attempt on this chain was interrupted (see `ape_decai.deployment`).
    """
    from ape_decai import deployment

    known = {m for _, m in DEPLOYABLES.values()}
    if mechanism not in known:
        raise DecaiError(f"unknown mechanism {mechanism!r}; choose from {', '.join(sorted(known))}")
    available = {m for model_id, m in DEPLOYABLES.values() if model_id == model.get("model")}
    if mechanism not in available:
        raise DecaiError(f"a {model.get('model')} model cannot be deployed with the {mechanism} mechanism (only with {', '.join(sorted(available))})")
    if params is not None:
        params.validate()
    try:
        address, block, resumed, gas_used, implementation_gas = deployment.deploy(
            model,
            mechanism,
            params,
            sender,
            gas_cap=gas_cap or deployment.DEFAULT_GAS_CAP,
            on_progress=on_progress,
            restart=restart,
        )
    except deployment.DeploymentError as err:
        raise DecaiError(str(err)) from None
    trainer = Trainer(address)
    trainer.deployed_block = block
    trainer.resumed = resumed
    trainer.deployment_gas = gas_used
    trainer.implementation_gas = implementation_gas
    return trainer


def identify(code: bytes | str, get_code=None) -> tuple[str, str, str] | None:
    """(contract name, model id, mechanism) of a trainer's runtime code, or None if not ours.

    A deployed contract's code is its compiled runtime code followed by its immutables, so the
    shipped runtime bytecode is a prefix of it: the code itself says what the contract is. A
    trainer deployed as a clone (`ape_decai.clones`) is a minimal proxy: with `get_code`
    (address -> code), its target's code says what it is; the target must not be a proxy too.
    """
    from ape_decai.clones import is_cloned, proxy_target

    target = proxy_target(code)
    if target is not None:
        if get_code is None:
            return None
        found = identify(get_code(target))
        return found if found is not None and is_cloned(found[0]) else None
    code_hex = code.hex() if isinstance(code, bytes | bytearray) else str(code)
    code_hex = code_hex.lower().removeprefix("0x")
    for name, (model_id, mechanism) in DEPLOYABLES.items():
        runtime = load_contract_type(name).runtime_bytecode
        if runtime is None or not runtime.bytecode:
            continue
        if code_hex.startswith(runtime.bytecode.lower().removeprefix("0x")):
            return name, model_id, mechanism
    return None


class Trainer:
    """A deployed trainer: its model, its encoder (from the chain) and its mechanism."""

    # Set by `deploy_trainer`: the deployment block, whether it resumed, gas per transaction.
    deployed_block: int | None = None
    resumed: bool = False
    deployment_gas: list[int] = []  # noqa: RUF012  replaced per instance, never mutated
    implementation_gas: int | None = None  # the shared implementation's, if that deployment sent it

    def __init__(self, address: str, mechanism: str | None = None):
        from ape.utils import ManagerAccessMixin

        self.chain = ManagerAccessMixin.chain_manager
        self.provider = ManagerAccessMixin.provider
        self.address = str(address)
        code = self.provider.get_code(self.address)
        if not code:
            raise DecaiError(f"no contract at {self.address} on this network: deploy a trainer or pass --trainer")
        found = identify(code, get_code=self.provider.get_code)
        if found is None:
            raise DecaiError(f"{self.address} is not an ape-decai trainer")
        self.contract_name, self.model_id, self.mechanism = found
        from ape_decai.clones import is_cloned, proxy_target

        if is_cloned(self.contract_name) and proxy_target(code) is None:
            raise DecaiError(
                f"{self.address} is the shared implementation of {self.contract_name}, not a trainer: "
                "its trainers are clones of it (pass one of their addresses)"
            )
        if mechanism is not None and mechanism != self.mechanism:
            raise DecaiError(f"{self.address} is a {self.mechanism} trainer, not a {mechanism} one")
        self.reference_class: type[ReferenceModel] = REFERENCE_MODELS[self.model_id]
        self.contract = self.chain.contracts.instance_at(
            self.address, contract_type=load_contract_type(self.contract_name)
        )

    # --- what the chain says about the model -------------------------------------------------

    @cached_property
    def deployment(self) -> dict[str, Any]:
        """Name, description and encoder from the `TrainerDeployed` event (checked against the hash)."""
        block = self.contract.deployed_at_block()
        logs = list(self.contract.TrainerDeployed.range(block, block + 1))
        if not logs:
            raise DecaiError(f"no TrainerDeployed event found for {self.address} in block {block}")
        args = logs[0].event_arguments
        encoder_json = args["encoder"]
        try:
            classes, encoder = parse_onchain_encoder(encoder_json)
        except ValueError as err:
            raise DecaiError(str(err)) from None
        return {
            "creator": str(args["creator"]),
            "name": args["name"],
            "description": args["description"],
            "classes": classes,
            "encoder": encoder.describe(),
            "encoder_object": encoder,
            "block": block,
        }

    @property
    def classes(self) -> list[str]:
        return self.deployment["classes"]

    @property
    def encoder(self):
        return self.deployment["encoder_object"]

    @cached_property
    def n_features(self) -> int:
        return int(self.contract.n_features())

    def label_index(self, label: str | int) -> int:
        """A class name or number -> the label index, or a clear error."""
        names = self.classes
        if isinstance(label, int) or (isinstance(label, str) and label.isdigit()):
            index = int(label)
            if 0 <= index < len(names):
                return index
        elif label in names:
            return names.index(label)
        raise DecaiError(f"unknown label {label!r}; this model's labels are: {', '.join(names)} (or 0..{len(names) - 1})")

    def encode(self, text: str) -> list[int]:
        """Raw input (a text, or numbers for a numeric encoder) -> the packed words the model takes."""
        if not text or not text.strip():
            raise DecaiError("the text is empty" if self.reference_class.input_kind == "sparse" else "the input is empty")
        try:
            features = self.encoder.encode(text)
        except ValueError as err:
            raise DecaiError(f"this input cannot be used: {err}") from None
        if self.reference_class.input_kind == "dense":
            from ape_decai.packing import pack_dense

            if len(features) != self.n_features:
                raise DecaiError(f"this input has {len(features)} numbers; the model takes {self.n_features}")
            return list(pack_dense(features))
        if not features:
            raise DecaiError("none of the words of this text is in the model's vocabulary: nothing to learn from")
        try:
            check_indices(features, self.n_features)
        except ValueError as err:
            raise DecaiError(f"this text cannot be used: {err}") from None
        return pack_indices(features)

    def predict_words(self, words: list[int]) -> int:
        return int(self.contract.predict(words))

    def predict(self, text: str) -> int:
        """The model's label for a text (free: eth_call)."""
        return self.predict_words(self.encode(text))

    def reference_model(self) -> ReferenceModel:
        """The on-chain model read into its Python reference (for local evaluation)."""
        return self.reference_class.from_chain(self.contract)

    # --- contributions -----------------------------------------------------------------------

    def next_deposit(self) -> int:
        if self.mechanism == "market":  # the open market's stake (one unit per contribution)
            return int(self.contract.markets(self.contract.market_count())[3])
        return int(self.contract.next_deposit()) if self.mechanism == "deposit" else 0

    def _pending_block_id(self) -> str | None:
        """"pending" if the node answers calls on the pending block, else None (the latest)."""
        try:
            self.contract.last_update_time(block_id="pending")
        except Exception:  # noqa: BLE001  any failure means "not supported here"
            return None
        return "pending"

    def deposit_quote(self, margin: Fraction = DEPOSIT_MARGIN) -> tuple[int, int]:
        """(required, to_pay) in wei for a contribution in the next block (see DEPOSIT_MARGIN).

        `required` is the contract's formula, max(min_deposit, cost_weight // s), with s the
        seconds from the last contribution to the earliest timestamp the next block can have
        (the pending block's; the latest block's if the node has none: Anvil may give two
        blocks the same second, and then s is 0, which the contract counts as 1). The last
        contribution is read from the pending state, so contributions already waiting in the
        node's pending block count (Anvil and most nodes execute it; a node that does not know
        "pending" gives the latest). The deposit only falls as time passes, so both are upper
        bounds unless another contribution is accepted first; `to_pay` adds `margin`."""
        if self.mechanism != "deposit":
            raise DecaiError(f"a {self.mechanism} trainer asks for no deposit")
        cost_weight, floor = self._parameters["cost_weight"], self._parameters["min_deposit"]
        latest = int(self.chain.blocks.head.timestamp)
        try:
            pending = int(self.provider.get_block("pending").timestamp)
            last = int(self.contract.last_update_time(block_id="pending"))
        except Exception:  # noqa: BLE001  no pending block on this node: the latest state
            pending, last = latest, int(self.contract.last_update_time())
        elapsed = max(max(pending, latest) - last, 1)
        required = max(floor, cost_weight // elapsed)
        with_margin = -(-cost_weight * (margin.numerator + margin.denominator) // (elapsed * margin.denominator))
        return required, max(required, min(with_margin, max(floor, cost_weight)))

    def add_data(
        self, text: str, label: str | int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        """Encode and add one sample; pays the deposit of `deposit_quote` (or `deposit` if larger),
        refusing before sending anything if that is more than `max_deposit`. Returns the receipt."""
        words = self.encode(text)
        label_index = self.label_index(label)
        return self.add_words(words, label_index, sender, deposit=deposit, max_deposit=max_deposit, **tx_kwargs)

    def add_words(
        self, words: list[int], label: int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        """Add an already encoded sample (see `add_data`)."""
        if self.mechanism == "deposit":
            required, value = self.deposit_quote()
            if max_deposit is not None and required > max_deposit:
                raise DecaiError(
                    f"the deposit asked for the next block is {required} wei, more than --max-deposit "
                    f"{max_deposit} wei: nothing sent (wait: it falls as time passes since the last contribution)"
                )
            if max_deposit is not None:
                value = min(value, max_deposit)  # the margin, as far as the ceiling allows
            if deposit is not None and deposit > value:
                if max_deposit is not None and deposit > max_deposit:
                    raise DecaiError(f"--deposit {deposit} wei is more than --max-deposit {max_deposit} wei: nothing sent")
                value = deposit
            return self._send(
                self.contract.add_data, words, label, sender=sender, value=value, block_id=self._pending_block_id(), **tx_kwargs
            )
        if self.mechanism == "market":
            # exactly one stake: the contract refuses anything else
            return self._send(self.contract.add_data, words, label, sender=sender, value=self.next_deposit(), **tx_kwargs)
        if deposit:
            raise DecaiError("this trainer uses points: it takes no deposit")
        return self._send(self.contract.add_data, words, label, sender=sender, **tx_kwargs)

    # The commands that only make sense for some mechanisms, and why not for the others.
    WRONG_MECHANISM = {  # noqa: RUF012  (a constant table)
        ("refund", "market"): (
            "this is a market trainer: it keeps no deposits to refund; stakes and payouts come back through the "
            "market with `ape decai claim` once it is settled or aborted (see `ape decai market status`)"
        ),
        ("report", "market"): (
            "this is a market trainer: it keeps no deposits to report; the market pays each participant by how "
            "much their data helped (see `ape decai market status`)"
        ),
        ("report", "points"): (
            "this trainer uses points: it takes no deposits, so there is nothing to report "
            "(`ape decai report` is for deposit trainers)"
        ),
    }

    def require_mechanism(self, command: str) -> None:
        """DecaiError (one line) if `ape decai <command>` makes no sense for this trainer's mechanism."""
        message = self.WRONG_MECHANISM.get((command, self.mechanism))
        if message:
            raise DecaiError(message)

    def _send(self, method, *args, sender, value: int = 0, block_id: str | None = None, **tx_kwargs):
        """Dry-run the call (a revert costs nothing and sends nothing), check funds, then send.
        `block_id="pending"` dry-runs on the pending block, where the transaction will land
        (add_data: the deposit asked there, which the latest block's time would overstate)."""
        from ape.exceptions import AccountsError, ContractLogicError, VirtualMachineError

        def insufficient(needed: int) -> DecaiError:
            return DecaiError(
                f"insufficient funds: {sender.address} holds {sender.balance} wei, "
                f"this needs about {needed} wei (deposit {value} + gas)"
            )

        if sender.balance <= value:
            raise insufficient(value)
        try:
            at = {"block_id": block_id} if block_id else {}
            method.call(*args, sender=sender, value=value, **at)
            gas_price = int(self.provider.gas_price or 0)
            if gas_price and block_id:
                txn = method.as_transaction(*args, sender=sender, value=value)
                estimate = int(self.provider.estimate_gas_cost(txn, block_id=block_id))
            elif gas_price:
                estimate = int(method.estimate_gas_cost(*args, sender=sender, value=value))
            else:
                estimate = 0
        except ContractLogicError:
            raise
        except VirtualMachineError as err:
            raise DecaiError(f"the call would fail: {' '.join(str(err).split())}") from None
        needed = value + estimate * gas_price
        if sender.balance < needed:
            raise insufficient(needed)
        try:
            return method(*args, sender=sender, value=value, **tx_kwargs)
        except AccountsError as err:
            raise DecaiError(f"insufficient funds: {' '.join(str(err).split())}") from None

    def contributions(self, contributor: str | None = None) -> list[Contribution]:
        """Every `DataAdded` event (of one contributor if given) with its current record."""
        if self.mechanism == "market":
            raise DecaiError("this is a market trainer: it keeps no deposit records (see `ape decai market status`)")
        topics = {"contributor": contributor} if contributor else None
        start = self.deployment["block"]
        out = []
        for log in self.contract.DataAdded.range(start, self.chain.blocks.head.number + 1, search_topics=topics):
            args = log.event_arguments
            c = Contribution(
                contributor=str(args["contributor"]),
                label=int(args["label"]),
                deposit=int(args["deposit"]),
                added_at=int(args["added_at"]),
                data_words=[int(w) for w in args["data"]],
                transaction_hash=_hex(log.transaction_hash),
                block_number=int(log.block_number),
            )
            c.record = Record.unpack(int(self.contract.records(c.key)))
            out.append(c)
        return out

    def contribution_from_transaction(self, txn_hash: str) -> Contribution:
        """The contribution added by one transaction."""
        wanted = txn_hash.lower()
        for c in self.contributions():
            if c.transaction_hash.lower() == wanted:
                return c
        raise DecaiError(f"no contribution to this trainer was added by transaction {txn_hash}")

    def _now(self) -> int:
        return int(self.chain.pending_timestamp)

    # --- deposit mechanism -------------------------------------------------------------------

    def refresh(self, c: Contribution) -> Contribution:
        """Re-read a contribution's record from the chain (after someone acted on it)."""
        c.record = Record.unpack(int(self.contract.records(c.key)))
        return c

    @cached_property
    def owner(self) -> str:
        return str(self.contract.owner())

    @cached_property
    def _parameters(self) -> dict[str, int]:
        # Immutables: read once.
        c = self.contract
        if self.mechanism == "deposit":
            return {
                "refund_wait": int(c.refund_wait()),
                "creator_wait": int(c.creator_wait()),
                "anyone_wait": int(c.anyone_wait()),
                "cost_weight": int(c.cost_weight()),
                "min_deposit": int(c.min_deposit()),
                "min_share": int(c.min_share()),
            }
        return {"validation_wait": int(c.validation_wait())}

    def parameters(self) -> dict[str, int]:
        """The mechanism's parameters (waits in seconds, amounts in wei)."""
        return dict(self._parameters)

    def refund_verdict(self, c: Contribution) -> Verdict:
        """Can the contributor get this deposit back (or, with points, validate it) now?"""
        self.require_mechanism("refund")
        params = self._parameters
        wait = params["refund_wait"] if self.mechanism == "deposit" else params["validation_wait"]
        if c.record.refunded:
            return Verdict(c, False, "already refunded" if self.mechanism == "deposit" else "already validated")
        if self.mechanism == "deposit" and c.record.claimable != c.record.deposit:
            return Verdict(c, False, "part of the deposit was taken by reporters")
        age = self._now() - c.added_at
        if age < wait:
            return Verdict(c, False, f"the wait is not over: possible in {format_duration(wait - age)}")
        if self.predict_words(c.data_words) != c.label:
            return Verdict(c, False, "the model now disagrees with its label")
        return Verdict(c, True, "refundable" if self.mechanism == "deposit" else "can be validated", c.record.deposit)

    def refund(self, c: Contribution, sender, **tx_kwargs):
        """Refund (deposit) or validate (points) one of the sender's contributions."""
        self.require_mechanism("refund")
        method = self.contract.refund if self.mechanism == "deposit" else self.contract.validate
        return self._send(method, c.data_words, c.label, c.added_at, sender=sender, **tx_kwargs)

    def report_verdict(self, c: Contribution, reporter: str) -> Verdict:
        """Can `reporter` take from this contribution now, and how much?"""
        if self.mechanism != "deposit":
            return Verdict(c, False, "this trainer uses points: there is nothing to take")
        params = self._parameters
        if c.record.claimable == 0:
            return Verdict(c, False, "nothing left to take")
        age = self._now() - c.added_at
        owner = self.owner
        if age >= params["anyone_wait"] or (reporter.lower() == owner.lower() and age >= params["creator_wait"]):
            return Verdict(c, True, "the long wait is over: everything left", c.record.claimable)
        if reporter.lower() == c.contributor.lower():
            return Verdict(c, False, "it is your own contribution")
        if age < params["refund_wait"]:
            return Verdict(c, False, f"the wait is not over: possible in {format_duration(params['refund_wait'] - age)}")
        if self.predict_words(c.data_words) == c.label:
            return Verdict(c, False, "the model agrees with its label")
        if bool(self.contract.taken_by(c.key, reporter)):
            return Verdict(c, False, "you already took your share of it")
        n = int(self.contract.good_data_count(reporter))
        if n == 0:
            return Verdict(c, False, "you have no refunded (good) data yet")
        total = int(self.contract.total_good_data())
        share = min(max(c.record.deposit * n // total, params["min_share"]), c.record.claimable)
        return Verdict(c, True, "the model disagrees with its label", share)

    def report(self, c: Contribution, sender, **tx_kwargs):
        """Take from a contribution (share, or everything left after the long waits)."""
        self.require_mechanism("report")
        return self._send(self.contract.report, c.data_words, c.label, c.added_at, c.contributor, sender=sender, **tx_kwargs)

    # --- summary -----------------------------------------------------------------------------

    def info(self, account: str | None = None) -> dict[str, Any]:
        if self.mechanism == "market":  # no deposit records or tallies: the market has its own view
            raise DecaiError("this is a market trainer: see `ape decai market status`")
        c = self.contract
        d = self.deployment
        out: dict[str, Any] = {
            "address": self.address,
            "mechanism": self.mechanism,
            "model": self.model_id,
            "name": d["name"],
            "description": d["description"],
            "classes": d["classes"],
            "encoder": d["encoder"].get("type"),
            "vocabulary_size": len(d["encoder"].get("vocabulary", [])),
            "n_features": self.n_features,
            "owner": str(c.owner()),
            "balance": int(self.provider.get_balance(self.address)),
            "parameters": self.parameters(),
            "total_good_data": int(c.total_good_data()),
        }
        # The perceptrons' hyper-parameters (other models have none to show).
        for view in ("learning_rate", "intercept"):
            if hasattr(c, view):
                out[view] = int(getattr(c, view)())
        contributions = self.contributions()
        out["contributions"] = len(contributions)
        if self.mechanism == "deposit":
            out["next_deposit"] = self.next_deposit()
            out["claimable_total"] = sum(x.record.claimable for x in contributions)
        if account:
            mine = [x for x in contributions if x.contributor.lower() == account.lower()]
            me: dict[str, Any] = {
                "address": account,
                "contributions": len(mine),
                "good_data": int(c.good_data_count(account)),
                "balance": int(self.provider.get_balance(account)),
            }
            if self.mechanism == "deposit":
                me["deposits_outstanding"] = sum(x.record.claimable for x in mine)
            else:
                me["labels_contributed"] = [
                    name for k, name in enumerate(self.classes) if int(c.labels_contributed(account)) >> k & 1
                ]
                me["active_weeks"] = int(c.active_weeks(account))
            out["account"] = me
        return out


def _hex(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text



def to_json(obj: Any) -> str:
    """One JSON object for --json output (ints stay ints, bytes as hex)."""

    def default(o: Any):
        if isinstance(o, (bytes, bytearray)):
            return "0x" + bytes(o).hex()
        return str(o)

    return json.dumps(obj, default=default, sort_keys=True)
