"""The paper's scenario on the points mechanism (section III-A): no money, points and badges.

The same replay as `ape_decai.simulate` (its `Scenario`, agents, data preparation, encoding and
files), on a points trainer of the scenario's model instead of a deposit trainer:

1. the initial model is trained off chain on a fraction of the training split and deployed with
   the points mechanism; its validation wait is the scenario's refund wait `t` (deposits,
   budgets, the creator's and anyone's waits play no part);
2. at each of its turns an agent first validates its own contributions that are past the wait
   and that the model (the Python twin, equal to the chain) agrees with, then adds its next
   sample (`per_turn` > 1: that many in `add_data_batch` transactions); honest agents give true
   labels (with their label noise), adversaries flipped ones; there are no budgets or deposits;
3. every `eval_every` seconds of chain time the model is read back from the chain and scored on
   the held-out split.

Each turn is one block (`blocks.BlockBuilder`). Per step it records every agent's contributions,
points (validated contributions), badge bits and gas; `check_points_books` compares the books
with the chain: every record validated or not, each account's tallies and points, its badges
against the rules computed here in Python (`badge_bits`), and its balance (gas fees only).
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from ape_decai._ape import managers
from ape_decai.blocks import TRANSACTION_GAS, BlockBuilder
from ape_decai.deployment import deploy
from ape_decai.errors import DecaiError
from ape_decai.ledger import TOPICS, read_records
from ape_decai.models import REFERENCE_MODELS, ReferenceModel
from ape_decai.parameters import PointsParameters
from ape_decai.simulate import DAY, BookedContribution, Scenario, Simulation, SimulationResult, prepare
from ape_decai.trainers import BADGES, PointsTrainer, badge_names

WEEK = 7 * DAY

_SELECTORS = {
    "add_data": function_signature_to_4byte_selector("add_data(uint256[],uint8)"),
    "add_data_batch": function_signature_to_4byte_selector("add_data_batch(uint256[][],uint8[])"),
    "validate": function_signature_to_4byte_selector("validate(uint256[],uint8,uint256)"),
}

# The badge rules of contracts/incentives/points.vy, bit by bit (trainers.BADGES names them):
# (bit, tally, threshold); bit 7 ("every side") is two distinct labels.
_THRESHOLDS = (
    (0, "made", 1), (1, "made", 10), (2, "made", 100), (3, "made", 1000),
    (4, "good", 1), (5, "good", 10), (6, "good", 100),
    (8, "weeks", 2), (9, "weeks", 4), (10, "weeks", 12),
)  # fmt: skip
_LABELS_BIT = 7


def badge_bits(made: int, good: int, labels: set[int], weeks: int) -> int:
    """The badge bitmask the points mechanism gives an account with `made` contributions, `good`
    of them validated, the distinct `labels` it contributed and `weeks` distinct active weeks."""
    tallies = {"made": made, "good": good, "weeks": weeks}
    bits = sum(1 << bit for bit, tally, threshold in _THRESHOLDS if tallies[tally] >= threshold)
    return bits | (1 << _LABELS_BIT if len(labels) >= 2 else 0)


@dataclass
class PointsContribution(BookedContribution):
    """One contribution in the books (its record as the chain should hold it)."""

    txn_hash: str
    validated_at: int | None = None
    checks: int = 0  # turns of its agent at which it was past the wait and not yet validated

    def fate(self) -> str:
        return "validated" if self.validated_at is not None else "not validated"


@dataclass
class PointsBooks:
    """Per agent: contributions made and validated (its points), the tallies behind its badges,
    and gas."""

    added: int = 0
    points: int = 0
    labels: set[int] = field(default_factory=set)
    weeks: set[int] = field(default_factory=set)
    added_times: list[int] = field(default_factory=list, repr=False)  # when each contribution was added
    add_transactions: int = 0
    validate_transactions: int = 0
    gas_used: int = 0
    fees: int = 0  # what the chain charged (base fee x gas)

    def badges(self) -> int:
        return badge_bits(self.added, self.points, self.labels, len(self.weeks))

    def validated_pct(self) -> float:
        return round(100 * self.points / self.added, 3) if self.added else 0.0

    def due(self, now: int, wait: int) -> int:
        """Contributions that have waited `wait` by `now` (those it may have validated)."""
        return bisect.bisect_right(self.added_times, now - wait)


@dataclass
class PointsResult(SimulationResult):
    """What a points simulation measured (written by `SimulationResult.write`): its contributions
    and per-agent `PointsBooks` are `contributions` and `tallies` (`deposits` and `books`, the
    deposit mechanism's, stay empty: no money is deposited)."""

    contributions: list[PointsContribution] = field(default_factory=list)
    tallies: dict[str, PointsBooks] = field(default_factory=dict)

    def contribution_rows(self) -> list[dict]:
        return [
            {
                **c.booked_row(),
                "fate": c.fate(),
                "validated_at": "" if c.validated_at is None else c.validated_at,
                "checks": c.checks,
                "transaction": c.txn_hash,
            }
            for c in self.contributions
        ]


def _decode_logs(logs: list[dict], address: str) -> list[dict]:
    """The points trainer's DataAdded and DataValidated events of a receipt."""
    out = []
    for log in logs:
        if log["address"].lower() != address.lower() or not log["topics"]:
            continue
        topic, data = log["topics"][0], bytes.fromhex(log["data"][2:])
        who = "0x" + log["topics"][1][-40:] if len(log["topics"]) > 1 else ""
        if topic == TOPICS["DataAdded"]:
            label, deposit, added_at, _ = abi_decode(["uint8", "uint256", "uint256", "uint256[]"], data)
            out.append({"event": "DataAdded", "contributor": who, "label": label, "amount": deposit, "added_at": added_at})
        elif topic == TOPICS["DataValidated"]:
            (key,) = abi_decode(["bytes32"], data)
            out.append({"event": "DataValidated", "contributor": who, "key": "0x" + key.hex()})
    return out


class PointsSimulation(Simulation):
    """One run of a `Scenario` on a points trainer (see the module doc). `per_turn`: samples an
    agent adds at each turn (1, the paper's; more go in `add_data_batch` transactions)."""

    def __init__(
        self, scenario: Scenario, on_progress: Callable[[int, int, float], None] | None = None, per_turn: int = 1
    ):
        if per_turn < 1:
            raise DecaiError("--per-turn must be at least 1")
        super().__init__(scenario, on_progress)
        self.per_turn = per_turn
        self.wait = scenario.parameters.refund_wait

    def run(self) -> PointsResult:
        s = self.scenario
        model, stream, held_out, classes = prepare(s)
        deployment = deploy(model, "points", PointsParameters(validation_wait=self.wait), sender=self.creator)
        trainer = PointsTrainer(deployment.address)
        twin: ReferenceModel = REFERENCE_MODELS[s.model].from_dict(model)
        held = self._encode(trainer.encoder, twin, held_out)
        self.held_out_samples = len(held)
        todo = self._encode(trainer.encoder, twin, stream)[: s.samples]
        max_batch = trainer.max_batch
        names = [a.name for a in s.agents]
        books = {n: PointsBooks() for n in names}
        start_balances = {n: int(self.provider.get_balance(self.address[n])) for n in names}
        contributions: list[PointsContribution] = []
        pending: dict[str, list[PointsContribution]] = {n: [] for n in names}  # not validated, in order added
        steps: list[dict] = []
        events: list[dict] = []
        wall = time.monotonic()
        start = int(self.chain.blocks.head.timestamp) + 1
        now, next_eval = start, start
        accuracy_now = initial_accuracy = self._score(trainer, twin, held)
        accuracy = [{"time": start, "day": 0.0, "accuracy": accuracy_now, "contributions": 0}]
        queue: list[tuple[int, int, str]] = []
        for k, a in enumerate(s.agents):
            heapq.heappush(queue, (start + self._wait(a.every), k, a.name))
        by_name = {a.name: a for a in s.agents}
        next_sample = 0
        with BlockBuilder(self.provider, list(self.accounts.values())) as builder:
            while queue:
                t, order, name = heapq.heappop(queue)
                t = max(t, now + 1)
                if t >= next_eval:
                    if len(contributions) != accuracy[-1]["contributions"]:  # else the model has not changed
                        accuracy_now = self._score(trainer, twin, held)
                    accuracy.append({"time": t, "day": (t - start) / DAY, "accuracy": accuracy_now, "contributions": len(contributions)})
                    next_eval = t + s.eval_every
                agent, me = by_name[name], self.address[name]
                # Its contributions past the wait that the model agrees with (decided on the state
                # before this block; the validations run before this turn's additions).
                validating, full = [], False
                for c in pending[name]:
                    if t - c.added_at < self.wait:
                        break
                    if builder.room() <= 1:
                        full = True  # the rest at its next turn
                        break
                    c.checks += 1
                    if twin.predict(c.x) == c.label:
                        builder.add(me, trainer.address, self._validate_data(c), tag=("validate", [c]))
                        validating.append(c)
                # Its next sample(s).
                new: list[tuple[list[int], list[int], int, int]] = []  # (x, words, label, true label)
                while next_sample < len(todo) and len(new) < self.per_turn:
                    x, y = todo[next_sample]
                    label = y if agent.honest else (y + 1) % len(classes)
                    if agent.honest and agent.label_noise and self.rng.random() < agent.label_noise:
                        label = (y + 1) % len(classes)
                    words = twin.pack_input(x)
                    if any(w == words and lb == label for _, w, lb, _ in new):
                        break  # the same sample and label twice in one block: a duplicate; next turn
                    new.append((x, words, label, y))
                    next_sample += 1
                for chunk in self._chunks(new, max_batch, me, trainer.address):
                    data = self._add_data(*chunk[0][1:3]) if len(chunk) == 1 and self.per_turn == 1 else self._batch_data(chunk)
                    builder.add(me, trainer.address, data, tag=("add", chunk))
                waiting = full or bool(new) or any(t - c.added_at < self.wait for c in pending[name])
                if next_sample < len(todo) or waiting:
                    heapq.heappush(queue, (t + self._wait(agent.every), order, name))
                if not builder.queue:
                    self.on_progress(next_sample, len(todo), (t - start) / DAY)
                    continue
                sent = builder.mine(t)
                now = t
                for tx in sent:
                    kind, items = tx.tag
                    b = books[name]
                    b.gas_used += tx.gas_used
                    b.fees += tx.fee
                    logs = _decode_logs(tx.logs, trainer.address)
                    block = int(tx.receipt["blockNumber"], 16)
                    events.extend({"time": t, "block": block, "transaction": tx.txn_hash, **e} for e in logs)
                    if kind == "validate":
                        (c,) = items
                        if [e["key"] for e in logs if e["event"] == "DataValidated"] != ["0x" + c.key.hex()]:
                            raise DecaiError(f"transaction {tx.txn_hash} did not validate contribution {c.index}")
                        c.validated_at = t
                        b.points += 1
                        b.validate_transactions += 1
                        continue
                    added = [e for e in logs if e["event"] == "DataAdded"]
                    if [(e["added_at"], e["label"]) for e in added] != [(t, label) for _, _, label, _ in items]:
                        raise DecaiError(f"transaction {tx.txn_hash} added other contributions than sent")
                    for x, words, label, y in items:
                        c = PointsContribution(len(contributions), name, me, x, words, label, y, t, tx.txn_hash)
                        contributions.append(c)
                        pending[name].append(c)
                        twin.update(x, label)
                        b.added += 1
                        b.added_times.append(t)
                        b.labels.add(label)
                        b.weeks.add(t // WEEK)
                    b.add_transactions += 1
                pending[name] = [c for c in pending[name] if c.validated_at is None]
                steps.append(self._points_step(t, start, name, len(new), len(validating), accuracy_now, books))
                self.on_progress(next_sample, len(todo), (t - start) / DAY)
            transactions = builder.transactions
        accuracy_now = self._score(trainer, twin, held)
        accuracy.append({"time": now, "day": (now - start) / DAY, "accuracy": accuracy_now, "contributions": len(contributions)})
        seconds = time.monotonic() - wall
        result = PointsResult(
            scenario={**asdict(s), "per_turn": self.per_turn},
            trainer=trainer.address,
            start_time=start,
            steps=steps,
            accuracy=accuracy,
            events=events,
            deposits=[],
            books={},
            summary={},
            start_balances=start_balances,
            contributions=contributions,
            tallies=books,
        )
        result.summary = self._points_summary(result, model, initial_accuracy, accuracy_now, transactions, seconds, len(todo))
        result.summary["check"] = check_points_books(result, trainer)
        return result

    # --- helpers ---------------------------------------------------------------------------------
    def _chunks(self, new: list[tuple], max_batch: int, sender: str, to: str) -> list[list[tuple]]:
        """`new` in batches the trainer takes (at most `max_batch`) within a transaction's gas:
        a batch the node estimates above 90% of `blocks.TRANSACTION_GAS` is halved."""
        out, rest = [], list(new)
        while rest:
            size = min(len(rest), max_batch)
            while size > 1 and self._estimate(sender, to, self._batch_data(rest[:size])) > 0.9 * TRANSACTION_GAS:
                size //= 2
            out.append(rest[:size])
            rest = rest[size:]
        return out

    def _estimate(self, sender: str, to: str, data: bytes) -> int:
        return int(self.provider.web3.eth.estimate_gas({"from": sender, "to": to, "data": "0x" + data.hex()}))

    @staticmethod
    def _score(trainer: PointsTrainer, twin: ReferenceModel, held: list) -> float:
        """Held-out accuracy of the model read back from the chain (which must equal the twin)."""
        onchain = trainer.reference_model()
        if onchain.to_dict() != twin.to_dict():
            raise DecaiError("the model on chain differs from the simulation's twin: the books are wrong")
        return round(onchain.accuracy(held), 6)

    @staticmethod
    def _batch_data(chunk: list[tuple]) -> bytes:
        words, labels = [w for _, w, _, _ in chunk], [label for _, _, label, _ in chunk]
        return _SELECTORS["add_data_batch"] + abi_encode(["uint256[][]", "uint8[]"], [words, labels])

    @staticmethod
    def _validate_data(c: PointsContribution) -> bytes:
        return _SELECTORS["validate"] + abi_encode(["uint256[]", "uint8", "uint256"], [c.words, c.label, c.added_at])

    def _points_step(self, t, start, name, added, validated, accuracy_now, books: dict[str, PointsBooks]) -> dict:
        row: dict[str, Any] = {
            "time": t,
            "day": round((t - start) / DAY, 5),
            "agent": name,
            "added": added,
            "validated": validated,
            "accuracy": accuracy_now,
        }
        for n, b in books.items():
            row[f"{n}_contributions"] = b.added
            row[f"{n}_points"] = b.points
            row[f"{n}_validated_pct"] = b.validated_pct()
            due = b.due(t, self.wait)  # past the wait: its share validated is the mechanism's verdict so far
            row[f"{n}_due"] = due
            row[f"{n}_validated_of_due_pct"] = round(100 * b.points / due, 3) if due else None
            row[f"{n}_badges"] = b.badges()
            row[f"{n}_gas_used"] = b.gas_used
        return row

    def _points_summary(self, result, model, initial_accuracy, final_accuracy, transactions, seconds, available) -> dict:
        s = self.scenario
        agents = {}
        for name, b in result.tallies.items():
            first = sum(c.agent == name and c.validated_at is not None and c.checks == 1 for c in result.contributions)
            agents[name] = {
                "address": self.address[name],
                "added": b.added,
                "points": b.points,
                "validated_pct": b.validated_pct(),
                # validated at its agent's first turn past the wait (the others: the model agreed later)
                "validated_first_check": first,
                "validated_first_check_pct": round(100 * first / b.added, 3) if b.added else 0.0,
                "badge_bits": b.badges(),
                "badges": badge_names(b.badges()),
                "labels": sorted(b.labels),
                "weeks": len(b.weeks),
                "add_transactions": b.add_transactions,
                "validate_transactions": b.validate_transactions,
                "gas_used": b.gas_used,
                "gas_cost_wei": b.gas_used * s.gas_price,
                "fees_wei": b.fees,
            }
        fates: dict[str, int] = {}
        for c in result.contributions:
            fates[c.fate()] = fates.get(c.fate(), 0) + 1
        end = result.accuracy[-1]["time"]
        return {
            "mechanism": "points",
            "trainer": result.trainer,
            "scenario": result.scenario,
            "validation_wait": self.wait,
            "per_turn": self.per_turn,
            "initial_training_samples": model["training"]["train_samples"],
            "contributions": len(result.contributions),
            "samples_available": available,
            "held_out_samples": self.held_out_samples,
            "accuracy_initial": initial_accuracy,
            "accuracy_final": final_accuracy,
            "accuracy_min": min(a["accuracy"] for a in result.accuracy),
            "simulated_days": round((end - result.start_time) / 86400, 3),
            "transactions": transactions,
            "wall_seconds": round(seconds, 2),
            "transactions_per_second": round(transactions / seconds, 2) if seconds else None,
            "contributions_per_second": round(len(result.contributions) / seconds, 2) if seconds else None,
            "gas_price_wei": s.gas_price,
            "fates": fates,
            "ended": "every contribution made, and every one past the wait validated where the model agrees",
            "agents": agents,
        }


def check_points_books(result: PointsResult, trainer: PointsTrainer) -> dict:
    """Compare a points simulation's books with the chain: every record (validated or not, no
    deposit), each account's tallies, points and badges (the view against `badge_bits` of the
    books), its balance change (the gas fees only) and the trainer's (no money). Returns the
    counts and the mismatches (an empty list: the books equal the chain)."""
    mismatches = []
    contract = trainer.contract
    for name, b in result.tallies.items():
        address = result.summary["agents"][name]["address"]
        chain = {
            "contributions": int(contract.contributions(address)),
            "points": int(contract.good_data_count(address)),
            "labels": int(contract.labels_contributed(address)),
            "weeks": int(contract.active_weeks(address)),
            "badges": int(contract.badges(address)),
            "balance change": int(managers.provider.get_balance(address)) - result.start_balances[name],
        }
        books = {
            "contributions": b.added,
            "points": b.points,
            "labels": sum(1 << k for k in b.labels),
            "weeks": len(b.weeks),
            "badges": b.badges(),
            "balance change": -b.fees,
        }
        mismatches += [f"{name}: {k} on chain {chain[k]}, in the books {books[k]}" for k in chain if chain[k] != books[k]]
    total = int(contract.total_good_data())
    if total != sum(b.points for b in result.tallies.values()):
        mismatches.append(f"total_good_data on chain {total}, the books say {sum(b.points for b in result.tallies.values())}")
    if int(managers.provider.get_balance(trainer.address)):
        mismatches.append("the trainer holds ether: a points trainer never should")
    records = read_records(trainer, [c.key for c in result.contributions])
    for c, r in zip(result.contributions, records, strict=True):
        if (r.exists, r.refunded, r.deposit, r.claimable) != (True, c.validated_at is not None, 0, 0):
            mismatches.append(f"contribution {c.index}: chain {r}, books validated at {c.validated_at}")
    return {"accounts": len(result.tallies), "records": len(records), "mismatches": mismatches[:20], "ok": not mismatches}


def simulate_points(
    scenario: Scenario, on_progress: Callable[[int, int, float], None] | None = None, per_turn: int = 1
) -> PointsResult:
    """Run `scenario` on a points trainer on the connected local Anvil (see the module doc)."""
    return PointsSimulation(scenario, on_progress, per_turn).run()


__all__ = ["BADGES", "PointsResult", "PointsSimulation", "badge_bits", "check_points_books", "simulate_points"]
