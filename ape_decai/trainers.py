"""Deployed trainers: `Trainer.at(address)` reads what the contract is and returns its class.

One base class, `Trainer`, holds what every trainer shares (its model and the encoder it
published on chain, encoding, predictions, sending a checked transaction); one subclass per
incentive mechanism adds what only that mechanism has:

- `DepositTrainer` (paper III-C): deposits, refunds and reports;
- `PointsTrainer` (paper III-A): validations instead of refunds, no money;
- `MarketTrainer` (paper III-B): stakes in a prediction market (`MarketTrainer.market`).

Nothing here prints; errors a user can fix are raised as `DecaiError` with one clear line,
before any transaction is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

from ape.exceptions import AccountsError, ContractLogicError, SignatureError, VirtualMachineError

from ape_decai._ape import managers
from ape_decai.batch import Prediction, Progress, predict_texts
from ape_decai.clones import is_cloned, proxy_target
from ape_decai.encoders import Encoding
from ape_decai.errors import DecaiError, DeclinedError
from ape_decai.manifest import DEPLOYABLES, load_contract_type
from ape_decai.market import MarketClient
from ape_decai.models import REFERENCE_MODELS, ReferenceModel
from ape_decai.models.sparse_perceptron import check_indices
from ape_decai.packing import pack_dense, pack_indices
from ape_decai.publishing import fetch_vocabulary
from ape_decai.records import Contribution, Record, Verdict
from ape_decai.training import parse_onchain_encoder
from ape_decai.units import format_duration, to_hex

# `add-data` pays max(min_deposit, ceil(cost_weight * (1 + DEPOSIT_MARGIN) / s)) (at most the
# same-block worst case, max(min_deposit, cost_weight)), s = seconds from the last contribution
# (pending ones included) to the pending block's time (a lower bound of the next). Exact if no other
# contribution comes first; with the margin, still enough if the last one accepted before ours
# is at least s / (1 + DEPOSIT_MARGIN) seconds older than our block. The excess is no fee: the
# contract keeps it as part of the deposit, refunded in full with it.
DEPOSIT_MARGIN = Fraction(1, 10)

# The contract's refusal of a contribution already recorded (same data, label, contributor, time).
DUPLICATE = "data_handler: duplicate contribution"

# What a declined signature (Ape's "Sign: [y/N]" prompt answered no) is reported as.
DECLINED = "declined: the transaction was not signed, nothing was sent"


def container(name: str):
    """A ContractContainer for a shipped deployable (works outside this repository)."""
    from ape.contracts import ContractContainer  # ~1.2 s of imports: only when deploying (see _ape.py)

    return ContractContainer(load_contract_type(name))


def identify(code: bytes | str, get_code: Callable[[str], Any] | None = None) -> tuple[str, str, str] | None:
    """(contract name, model id, mechanism) of a trainer's runtime code, or None if not ours.

    A deployed contract's code is its compiled runtime code followed by its immutables, so the
    shipped runtime bytecode is a prefix of it: the code itself says what the contract is. A
    trainer deployed as a clone (`ape_decai.clones`) is a minimal proxy: with `get_code`
    (address -> code), its target's code says what it is; the target must not be a proxy too.
    """
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


def _identify_at(address: str) -> tuple[str, str, str]:
    """What the contract at `address` is, or a one-line DecaiError saying why it is no trainer."""
    provider = managers.provider
    code = provider.get_code(address)
    if not code:
        raise DecaiError(f"no contract at {address} on this network: deploy a trainer or pass --trainer")
    found = identify(code, get_code=provider.get_code)
    if found is None:
        raise DecaiError(f"{address} is not an ape-decai trainer")
    if is_cloned(found[0]) and proxy_target(code) is None:
        raise DecaiError(
            f"{address} is the shared implementation of {found[0]}, not a trainer: "
            "its trainers are clones of it (pass one of their addresses)"
        )
    return found


@dataclass
class Action:
    """One transaction a refund or report pass sent: on which contribution, for how much."""

    verdict: Verdict
    receipt: Any
    amount: int

    def row(self, kind: str) -> dict:
        return {
            "transaction": self.verdict.contribution.transaction_hash,
            f"{kind}_transaction": to_hex(self.receipt.txn_hash),
            "amount": self.amount,
            "gas_used": self.receipt.gas_used,
        }


@dataclass
class Pass:
    """What `refund_all` / `report_all` looked at (`verdicts`) and what they sent (`actions`)."""

    verdicts: list[Verdict]
    actions: list[Action]

    @property
    def total(self) -> int:
        return sum(a.amount for a in self.actions)


class Trainer:
    """A deployed trainer: its model, its encoder (from the chain) and its mechanism.

    `Trainer.at(address)` returns the mechanism's subclass; `DepositTrainer(address)` (etc.)
    insists on that mechanism.
    """

    mechanism: ClassVar[str] = ""

    # The commands that make no sense for this trainer's mechanism, and why (see `require`).
    REFUSALS: ClassVar[dict[str, str]] = {}

    def __init__(self, address: str, *, identity: tuple[str, str, str] | None = None):
        self.chain = managers.chain_manager
        self.provider = managers.provider
        self.address = str(address)
        self.contract_name, self.model_id, mechanism = identity or _identify_at(self.address)
        if self.mechanism and mechanism != self.mechanism:
            raise DecaiError(f"{self.address} is a {mechanism} trainer, not a {self.mechanism} one")
        self.reference_class: type[ReferenceModel] = REFERENCE_MODELS[self.model_id]
        self.contract = self.chain.contracts.instance_at(self.address, contract_type=load_contract_type(self.contract_name))

    @classmethod
    def at(cls, address: str) -> Trainer:
        """The trainer at `address`, as the class of its mechanism (which must be `cls` or below)."""
        identity = _identify_at(str(address))
        subclass = TRAINERS[identity[2]]
        if not issubclass(subclass, cls):
            raise DecaiError(f"{address} is a {identity[2]} trainer, not a {cls.mechanism} one")
        return subclass(address, identity=identity)

    def require(self, command: str) -> None:
        """DecaiError (one line) if `ape decai <command>` makes no sense for this mechanism."""
        message = self.REFUSALS.get(command)
        if message:
            raise DecaiError(message)

    # --- what the chain says about the model -------------------------------------------------

    @cached_property
    def deployment(self) -> dict[str, Any]:
        """Name, description and encoder from the `TrainerDeployed` event (checked against the hash)."""
        block = self.contract.deployed_at_block()
        logs = list(self.contract.TrainerDeployed.range(block, block + 1))
        if not logs:
            raise DecaiError(f"no TrainerDeployed event found for {self.address} in block {block}")
        args = logs[0].event_arguments
        try:
            classes, encoder = parse_onchain_encoder(
                args["encoder"], lambda published: fetch_vocabulary(published, to_block=block)
            )
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

    @cached_property
    def owner(self) -> str:
        return str(self.contract.owner())

    def sealed(self) -> bool:
        """Whether the model is complete: an unfinished deployment leaves it unsealed (no data,
        and predictions from a partly written model)."""
        return bool(self.contract.sealed())

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

    def encode_with_info(self, text: str) -> tuple[list[int], Encoding]:
        """Raw input (a text, or numbers for a numeric encoder) -> (the packed words the model takes,
        the `Encoding`: which features were kept and how many the text has, `Encoding.truncated`
        of them dropped by the encoder's published per-sample maximum)."""
        if not text or not text.strip():
            raise DecaiError("the text is empty" if self.reference_class.input_kind == "sparse" else "the input is empty")
        try:
            encoding = self.encoder.encode_with_info(text)
        except ValueError as err:
            raise DecaiError(f"this input cannot be used: {err}") from None
        features = encoding.features
        if self.reference_class.input_kind == "dense":
            if len(features) != self.n_features:
                raise DecaiError(f"this input has {len(features)} numbers; the model takes {self.n_features}")
            return list(pack_dense(features)), encoding
        if not features:
            raise DecaiError("none of the words of this text is in the model's vocabulary: nothing to learn from")
        try:
            check_indices(features, self.n_features)
        except ValueError as err:
            raise DecaiError(f"this text cannot be used: {err}") from None
        return pack_indices(features), encoding

    def encode(self, text: str) -> list[int]:
        """Raw input -> the packed words the model takes (a long text keeps its lowest features:
        see `encode_with_info` to know how many were dropped)."""
        return self.encode_with_info(text)[0]

    def predict_words(self, words: list[int]) -> int:
        return int(self.contract.predict(words))

    def predict(self, text: str) -> int:
        """The model's label for a text (free: eth_call)."""
        return self.predict_words(self.encode(text))

    def predict_many(self, texts: Sequence[Any], block: int | None = None, on_progress: Progress | None = None) -> list[Prediction]:
        """The model's prediction for every text, from the contract's `predict` in batched calls
        (free: eth_call), at `block` (None: the latest; a past block: the model as it was then).
        A text the model cannot read gets a Prediction with `error` set (see `batch.predict_texts`)."""
        return predict_texts(self, texts, block, on_progress) if on_progress else predict_texts(self, texts, block)

    def reference_model(self) -> ReferenceModel:
        """The on-chain model read into its Python reference (for local evaluation)."""
        return self.reference_class.from_chain(self.contract)

    # --- contributions -----------------------------------------------------------------------

    def next_deposit(self) -> int:
        """What the next contribution pays (0: no money at stake)."""
        return 0

    def add_data(self, text: str, label: str | int, sender, **kwargs):
        """Encode and add one sample (see `add_words` for the keyword arguments). Returns the receipt."""
        return self.add_words(self.encode(text), self.label_index(label), sender, **kwargs)

    def add_words(
        self, words: list[int], label: int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        """Add an already encoded sample: `deposit` is what to pay if more than asked, `max_deposit`
        the most to pay (nothing is sent if more is asked); both in wei, for mechanisms with money."""
        raise NotImplementedError

    def _pending_block_id(self) -> str | None:
        """"pending" if the node answers calls on the pending block, else None (the latest)."""
        try:
            self.contract.sealed(block_id="pending")
        except Exception:  # noqa: BLE001  any failure means "not supported here"
            return None
        return "pending"

    def _send_add(self, words: list[int], label: int, sender, value: int = 0, **tx_kwargs):
        """Send `add_data`, dry-run where it will land: on the pending block. A contribution is
        keyed by its data, label, contributor and block time, so the same sample added again is
        a duplicate only in a block of the same second; dry-run on the latest block (whose time
        is the first one's) it would always look like one, though the next block is later."""
        duplicate = (
            f"duplicate: {sender.address} added this sample with this label in a block of the same second "
            "(a contribution is keyed by data, label, contributor and block time): nothing sent; "
            "send it again in a later block"
        )
        return self._send(
            self.contract.add_data, words, label, sender=sender, value=value, block_id=self._pending_block_id(),
            dry_run_refusals={DUPLICATE: duplicate}, **tx_kwargs,
        )  # fmt: skip

    def contributions(self, contributor: str | None = None) -> list[Contribution]:
        """Every `DataAdded` event (of one contributor if given) with its current record."""
        self.require("contributions")
        topics = {"contributor": contributor} if contributor else None
        out = []
        for log in self.contract.DataAdded.range(
            self.deployment["block"], self.chain.blocks.head.number + 1, search_topics=topics
        ):
            args = log.event_arguments
            c = Contribution(
                contributor=str(args["contributor"]),
                label=int(args["label"]),
                deposit=int(args["deposit"]),
                added_at=int(args["added_at"]),
                data_words=[int(w) for w in args["data"]],
                transaction_hash=to_hex(log.transaction_hash),
                block_number=int(log.block_number),
            )
            out.append(self.refresh(c))
        return out

    def contribution_from_transaction(self, txn_hash: str) -> Contribution:
        """The contribution added by one transaction."""
        wanted = to_hex(txn_hash)
        for c in self.contributions():
            if c.transaction_hash == wanted:
                return c
        raise DecaiError(f"no contribution to this trainer was added by transaction {txn_hash}")

    def refresh(self, c: Contribution) -> Contribution:
        """Re-read a contribution's record from the chain (after someone acted on it)."""
        c.record = Record.unpack(int(self.contract.records(c.key)))
        return c

    def _now(self) -> int:
        return int(self.chain.pending_timestamp)

    def parameters(self) -> dict[str, int]:
        """The mechanism's parameters (waits in seconds, amounts in wei)."""
        return dict(self._parameters)

    @cached_property
    def _parameters(self) -> dict[str, int]:
        # Immutables: read once.
        return {name: int(getattr(self.contract, name)()) for name in self.PARAMETERS}

    PARAMETERS: ClassVar[tuple[str, ...]] = ()

    # --- refunds (validations) and reports ---------------------------------------------------

    def refund_verdict(self, c: Contribution) -> Verdict:
        """Can the contributor get this deposit back (or, with points, validate it) now?"""
        self.require("refund")
        raise NotImplementedError

    def refund(self, c: Contribution, sender, **tx_kwargs):
        """Refund (deposit) or validate (points) one of the sender's contributions."""
        self.require("refund")
        raise NotImplementedError

    def refund_all(self, sender, txn_hash: str | None = None) -> Pass:
        """Refund (validate) every contribution of `sender` that can be now, or only the one added
        by `txn_hash` (a DecaiError if it cannot be). The verdicts say why the others cannot."""
        self.require("refund")
        if txn_hash:
            c = self.contribution_from_transaction(txn_hash)
            if c.contributor.lower() != sender.address.lower():
                raise DecaiError(f"that contribution was added by {c.contributor}, not by {sender.address}")
            verdicts = [self.refund_verdict(c)]
            if not verdicts[0].possible:
                raise DecaiError(f"not refundable: {verdicts[0].reason}")
        else:
            verdicts = [self.refund_verdict(c) for c in self.contributions(sender.address)]
        actions = [Action(v, self.refund(v.contribution, sender), v.amount) for v in verdicts if v.possible]
        return Pass(verdicts, actions)

    def report_all(self, sender, txn_hash: str | None = None, take: bool = True) -> Pass:
        """Take from every contribution `sender` may take from now (with `take`; else only list
        them), or from the one added by `txn_hash` (a DecaiError if that is not possible)."""
        self.require("report")
        raise NotImplementedError

    # --- summary -----------------------------------------------------------------------------

    def info(self, account: str | None = None) -> dict[str, Any]:
        """The trainer's state as one JSON-able dict (with `account`'s own part if given)."""
        self.require("info")
        c = self.contract
        d = self.deployment
        contributions = self.contributions()
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
            "sealed": self.sealed(),
            "owner": str(c.owner()),
            "balance": int(self.provider.get_balance(self.address)),
            "parameters": self.parameters(),
            "total_good_data": int(c.total_good_data()),
            "contributions": len(contributions),
        }
        # The perceptrons' hyper-parameters (other models have none to show).
        for view in ("learning_rate", "intercept"):
            if hasattr(c, view):
                out[view] = int(getattr(c, view)())
        if account:
            mine = [x for x in contributions if x.contributor.lower() == account.lower()]
            out["account"] = {
                "address": account,
                "contributions": len(mine),
                "good_data": int(c.good_data_count(account)),
                "balance": int(self.provider.get_balance(account)),
            }
        self._add_info(out, contributions, account)
        return out

    def _add_info(self, out: dict[str, Any], contributions: list[Contribution], account: str | None) -> None:
        """The mechanism's own part of `info`."""

    # --- sending -----------------------------------------------------------------------------

    def _send(
        self, method, *args, sender, value: int = 0, block_id: str | None = None,
        dry_run_refusals: dict[str, str] | None = None, **tx_kwargs,
    ):  # fmt: skip
        """Dry-run the call (a revert costs nothing and sends nothing), check funds, then send.
        `block_id="pending"` dry-runs on the pending block, where the transaction will land
        (add_data: the deposit asked there, which the latest block's time would overstate).
        `dry_run_refusals`: the contract's revert reasons the dry run reports in other words
        (a DecaiError); a transaction that reverts once sent is reported as it is."""

        def insufficient(needed: int) -> DecaiError:
            return DecaiError(
                f"insufficient funds: {sender.address} holds {sender.balance} wei, "
                f"this needs about {needed} wei (deposit {value} + gas)"
            )

        if sender.balance <= value:
            raise insufficient(value)
        try:
            at = {"block_id": block_id} if block_id else {}
            # skip_trace: a refusal is raised as one ContractLogicError; without it, ape_foundry
            # prints the call's trace (a call tree, tx.origin) to stdout first.
            method.call(*args, sender=sender, value=value, skip_trace=True, **at)
            gas_price = int(self.provider.gas_price or 0)
            if gas_price and block_id:
                txn = method.as_transaction(*args, sender=sender, value=value)
                estimate = int(self.provider.estimate_gas_cost(txn, block_id=block_id))
            elif gas_price:
                estimate = int(method.estimate_gas_cost(*args, sender=sender, value=value))
            else:
                estimate = 0
        except ContractLogicError as err:
            explained = (dry_run_refusals or {}).get(str(err.message))
            if explained:
                raise DecaiError(explained) from None
            raise
        except VirtualMachineError as err:
            raise DecaiError(f"the call would fail: {' '.join(str(err).split())}") from None
        needed = value + estimate * gas_price
        if sender.balance < needed:
            raise insufficient(needed)
        try:
            return method(*args, sender=sender, value=value, **tx_kwargs)
        except SignatureError:
            raise DeclinedError(DECLINED) from None
        except AccountsError as err:
            raise DecaiError(f"the account cannot send this: {' '.join(str(err).split())}") from None


class _RecordTrainer(Trainer):
    """A trainer whose data handler keeps a record per contribution (deposit and points)."""

    # What a refund is called, and where its wait is (see `refund_verdict`).
    REFUND_NOUN: ClassVar[str] = "refunded"
    REFUND_WAIT: ClassVar[str] = "refund_wait"

    def _refund_method(self):
        raise NotImplementedError

    def _refund_blocked(self, c: Contribution) -> str | None:
        """Why this mechanism refuses the refund of `c` before the wait is checked, or None."""
        return None

    def refund_verdict(self, c: Contribution) -> Verdict:
        wait = self._parameters[self.REFUND_WAIT]
        if c.record.refunded:
            return Verdict(c, False, f"already {self.REFUND_NOUN}")
        blocked = self._refund_blocked(c)
        if blocked:
            return Verdict(c, False, blocked)
        age = self._now() - c.added_at
        if age < wait:
            return Verdict(c, False, f"the wait is not over: possible in {format_duration(wait - age)}")
        if self.predict_words(c.data_words) != c.label:
            return Verdict(c, False, "the model now disagrees with its label")
        return Verdict(c, True, "refundable" if self.REFUND_NOUN == "refunded" else "can be validated", c.record.deposit)

    def refund(self, c: Contribution, sender, **tx_kwargs):
        return self._send(self._refund_method(), c.data_words, c.label, c.added_at, sender=sender, **tx_kwargs)


class DepositTrainer(_RecordTrainer):
    """A trainer whose contributors pay a deposit, refunded for good data and taken by reporters
    from bad data (paper III-C)."""

    mechanism: ClassVar[str] = "deposit"
    PARAMETERS: ClassVar[tuple[str, ...]] = (
        "refund_wait", "creator_wait", "anyone_wait", "cost_weight", "min_deposit", "min_share",
    )

    def _refund_method(self):
        return self.contract.refund

    def _refund_blocked(self, c: Contribution) -> str | None:
        return "part of the deposit was taken by reporters" if c.record.claimable != c.record.deposit else None

    def next_deposit(self) -> int:
        return int(self.contract.next_deposit())

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

    def add_words(
        self, words: list[int], label: int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        """Add an already encoded sample; pays the deposit of `deposit_quote` (or `deposit` if
        larger), refusing before sending anything if that is more than `max_deposit`."""
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
        return self._send_add(words, label, sender, value=value, **tx_kwargs)

    def report_verdict(self, c: Contribution, reporter: str) -> Verdict:
        """Can `reporter` take from this contribution now, and how much?"""
        params = self._parameters
        if c.record.claimable == 0:
            return Verdict(c, False, "nothing left to take")
        age = self._now() - c.added_at
        if age >= params["anyone_wait"] or (reporter.lower() == self.owner.lower() and age >= params["creator_wait"]):
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
        return self._send(self.contract.report, c.data_words, c.label, c.added_at, c.contributor, sender=sender, **tx_kwargs)

    def report_all(self, sender, txn_hash: str | None = None, take: bool = True) -> Pass:
        me = sender.address
        if txn_hash:
            verdicts = [self.report_verdict(self.contribution_from_transaction(txn_hash), me)]
            if not verdicts[0].possible:
                raise DecaiError(f"cannot take from it: {verdicts[0].reason}")
        else:
            verdicts = [self.report_verdict(c, me) for c in self.contributions() if c.record.claimable > 0]
            verdicts = [v for v in verdicts if v.possible]
        actions = []
        for v in verdicts if take or txn_hash else []:
            receipt = self.report(v.contribution, sender)
            event = receipt.events.filter(self.contract.DepositTaken)[0]
            actions.append(Action(v, receipt, int(event.amount)))
        return Pass(verdicts, actions)

    def _add_info(self, out: dict[str, Any], contributions: list[Contribution], account: str | None) -> None:
        out["next_deposit"] = self.next_deposit()
        out["claimable_total"] = sum(x.record.claimable for x in contributions)
        if account:
            mine = [x for x in contributions if x.contributor.lower() == account.lower()]
            out["account"]["deposits_outstanding"] = sum(x.record.claimable for x in mine)


# The badges of a points trainer, in the bit order of its `badges(account)` view
# (contracts/incentives/points.vy): bit k set means the account earned BADGES[k].
BADGES: tuple[str, ...] = (
    "1 contribution",
    "10 contributions",
    "100 contributions",
    "1000 contributions",
    "1 validated",
    "10 validated",
    "100 validated",
    "every side (2 labels)",
    "2 weeks",
    "4 weeks",
    "12 weeks",
)


def badge_names(bits: int) -> list[str]:
    """The names of the badges set in a `badges(account)` bitmask, in bit order."""
    return [name for k, name in enumerate(BADGES) if bits >> k & 1]


# The families of BADGES (bit ranges), each a ladder: contributions, validated, labels, weeks.
_BADGE_FAMILIES: tuple[range, ...] = (range(0, 4), range(4, 7), range(7, 8), range(8, 11))


def highest_badges(names: list[str]) -> list[str]:
    """The highest badge earned in each family (the short form a table shows): of "1 contribution"
    and "10 contributions" only the second."""
    earned = {BADGES.index(n) for n in names}
    return [BADGES[max(bits)] for family in _BADGE_FAMILIES if (bits := earned.intersection(family))]


class PointsTrainer(_RecordTrainer):
    """A trainer that rewards good data with points, no money (paper III-A): a contribution the
    model still agrees with after the wait is validated instead of refunded."""

    mechanism: ClassVar[str] = "points"
    PARAMETERS: ClassVar[tuple[str, ...]] = ("validation_wait",)
    REFUND_NOUN: ClassVar[str] = "validated"
    REFUND_WAIT: ClassVar[str] = "validation_wait"
    REFUSALS: ClassVar[dict[str, str]] = {
        "report": (
            "this trainer uses points: it takes no deposits, so there is nothing to report "
            "(`ape decai report` is for deposit trainers)"
        ),
    }

    def _refund_method(self):
        return self.contract.validate

    def add_words(
        self, words: list[int], label: int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        if deposit:
            raise DecaiError("this trainer uses points: it takes no deposit")
        return self._send_add(words, label, sender, **tx_kwargs)

    @cached_property
    def max_batch(self) -> int:
        """The most samples one `add_batch` takes (the contract's `MAX_BATCH`)."""
        return int(self.contract.MAX_BATCH())

    def add_batch(
        self, words_list: Sequence[list[int]], labels: Sequence[int], sender, deposit: int | None = None, **tx_kwargs
    ):
        """Add several already encoded samples in one transaction (`add_data_batch`: the same
        records, events and training as one `add_data` each, in order). Dry-run on the pending
        block like `add_words`; refused in one line, nothing sent, if the batch is empty, larger
        than `max_batch`, has not one label per sample, or holds the same sample with the same
        label twice (one block, one second: the contract refuses it as a duplicate)."""
        if deposit:
            raise DecaiError("this trainer uses points: it takes no deposit")
        words_list, labels = [list(w) for w in words_list], [int(label) for label in labels]
        if not words_list:
            raise DecaiError("an empty batch: nothing to send")
        if len(words_list) != len(labels):
            raise DecaiError(f"{len(words_list)} sample(s) but {len(labels)} label(s): one label per sample; nothing sent")
        if len(words_list) > self.max_batch:
            raise DecaiError(f"{len(words_list)} samples: this trainer takes at most {self.max_batch} per batch; nothing sent")
        keys = [(tuple(w), label) for w, label in zip(words_list, labels, strict=True)]
        if len(set(keys)) < len(keys):
            repeated = next(k for k, key in enumerate(keys) if key in keys[:k])
            raise DecaiError(
                f"sample {repeated + 1} of the batch repeats an earlier one with the same label: a batch lands in "
                "one block, where the contract refuses it as a duplicate; nothing sent (send it in a later batch)"
            )
        duplicate = (
            f"duplicate: {sender.address} added a sample of this batch with its label in a block of the same "
            "second (a contribution is keyed by data, label, contributor and block time): nothing sent; "
            "send it again in a later block"
        )
        return self._send(
            self.contract.add_data_batch, words_list, labels, sender=sender, block_id=self._pending_block_id(),
            dry_run_refusals={DUPLICATE: duplicate}, **tx_kwargs,
        )  # fmt: skip

    def report_verdict(self, c: Contribution, reporter: str) -> Verdict:
        return Verdict(c, False, "this trainer uses points: there is nothing to take")

    def _add_info(self, out: dict[str, Any], contributions: list[Contribution], account: str | None) -> None:
        if account:
            labels = int(self.contract.labels_contributed(account))
            out["account"]["labels_contributed"] = [name for k, name in enumerate(self.classes) if labels >> k & 1]
            out["account"]["active_weeks"] = int(self.contract.active_weeks(account))
            out["account"]["badges"] = self.badges(account)

    def badges(self, account: str) -> list[str]:
        """The badges `account` earned on this trainer (its `badges` view, names from BADGES)."""
        return badge_names(int(self.contract.badges(account)))


class MarketTrainer(Trainer):
    """A trainer whose contributions are stakes in a prediction market (paper III-B): see
    `MarketTrainer.market` (the `MarketClient`) to open, reveal, settle and claim."""

    mechanism: ClassVar[str] = "market"
    REFUSALS: ClassVar[dict[str, str]] = {
        "refund": (
            "this is a market trainer: it keeps no deposits to refund; stakes and payouts come back through the "
            "market with `ape decai claim` once it is settled or aborted (see `ape decai market status`)"
        ),
        "report": (
            "this is a market trainer: it keeps no deposits to report; the market pays each participant by how "
            "much their data helped (see `ape decai market status`)"
        ),
        "contributions": "this is a market trainer: it keeps no deposit records (see `ape decai market status`)",
        "info": "this is a market trainer: see `ape decai market status`",
    }

    @cached_property
    def market(self) -> MarketClient:
        """The trainer's prediction market."""
        return MarketClient(self)

    def next_deposit(self) -> int:
        """The open market's stake (one unit per contribution)."""
        return int(self.contract.markets(self.contract.market_count())[3])

    def add_words(
        self, words: list[int], label: int, sender, deposit: int | None = None, max_deposit: int | None = None, **tx_kwargs
    ):
        """Add an already encoded sample, staking exactly one unit (the contract refuses anything else)."""
        return self._send_add(words, label, sender, value=self.next_deposit(), **tx_kwargs)


# The class of each mechanism's trainers (what `Trainer.at` returns).
TRAINERS: dict[str, type[Trainer]] = {cls.mechanism: cls for cls in (DepositTrainer, PointsTrainer, MarketTrainer)}
