"""The paper's experiment (section III-C6, Fig. 3) on the real contracts.

A labelled dataset is replayed through a deployed deposit trainer on a local Anvil, over
simulated chain time (blocks mined at chosen timestamps, never a sleep):

1. the initial model is trained off chain on a fraction of the training split (paper: 8%) with
   `training.train_model`, and deployed with `deployment.deploy`;
2. agents take the rest of the training split in order: honest ones add true labels (with an
   optional label noise), adversaries flipped labels, each at its own mean interval and with its
   own deposit per contribution and budget (paper: the adversary pays about twice the deposit and
   comes about one sixth as often);
3. at each of its turns an agent first refunds its own contributions the model agrees with after
   the refund wait, takes its share of others' contributions the model disagrees with, and takes
   whatever is left after the anyone-wait; then it adds its next sample if its budget allows and
   its deposit is at least what the contract asks; if `creator_every` is set, the creator takes
   what is left after the creator-wait that often (the paper's run has no creator claims);
4. every `eval_every` seconds of chain time the model is read back from the chain (batched
   reads) and scored on the held-out split.

The simulation keeps its own books (a Python twin of the model and of every record) to decide
what each agent may do, sends the transactions in blocks (`blocks.BlockBuilder`), and reads
every amount from the events of the receipts. `check_books` compares the books with the chain:
balances, the contract's balance, every record.
"""

from __future__ import annotations

import copy
import csv
import heapq
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from ape_decai._ape import managers
from ape_decai.blocks import BlockBuilder
from ape_decai.datasets import load_training_data, train_test_split
from ape_decai.deployment import deploy
from ape_decai.errors import DecaiError
from ape_decai.ledger import TOPICS, read_records
from ape_decai.models import REFERENCE_MODELS, ReferenceModel
from ape_decai.parameters import DepositParameters
from ape_decai.records import contribution_key
from ape_decai.trainers import DepositTrainer
from ape_decai.training import train_model

MINUTE, HOUR, DAY = 60, 3600, 86400
MECHANISMS = ("deposit", "points")  # what a simulation runs on
ETHER = 10**18

_SELECTORS = {
    "add_data": function_signature_to_4byte_selector("add_data(uint256[],uint8)"),
    "refund": function_signature_to_4byte_selector("refund(uint256[],uint8,uint256)"),
    "report": function_signature_to_4byte_selector("report(uint256[],uint8,uint256,address)"),
}


@dataclass
class Agent:
    """One simulated contributor: how often it comes, what it pays, how it labels."""

    name: str
    honest: bool = True
    every: int = 10 * MINUTE  # mean seconds between turns
    deposit: int = ETHER // 20  # mean deposit per contribution (wei)
    deposit_sd: int = ETHER // 100
    budget: int = 10 * ETHER  # what it starts with (the 100% of Fig. 3)
    label_noise: float = 0.0  # honest agents: chance of a wrong label


@dataclass
class Scenario:
    """Everything a simulation depends on (its defaults: the paper's Fig. 3 scenario)."""

    dataset: str | None = "rotten-tomatoes"
    data_file: str | None = None
    model: str = "sparse-perceptron"
    vocab_size: int = 1000
    initial_fraction: float = 0.08
    test_fraction: float = 0.2
    samples: int | None = None  # at most this many contributions (None: the whole stream that encodes)
    seed: int = 0
    # The reference simulation's waits: refund after a day, anyone takes what is left after nine;
    # the creator's wait tc is the same (the contract needs t <= tc <= ta) and it does not claim.
    parameters: DepositParameters = field(
        default_factory=lambda: DepositParameters(refund_wait=DAY, creator_wait=9 * DAY, anyone_wait=9 * DAY)
    )
    agents: list[Agent] = field(default_factory=lambda: paper_agents())
    eval_every: int = 12 * HOUR
    creator_every: int = 0  # how often the creator takes what is left after tc (0: never, as in the paper's run)
    gas_price: int = 10**9  # stated gas price (wei per gas) for the gas columns
    # "deposit" (Fig. 3) or "points" (ape_decai.simulate_points: the refund wait t is the validation
    # wait; deposits, budgets and the other waits play no part).
    mechanism: str = "deposit"

    def validate(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise DecaiError(f"unknown mechanism {self.mechanism!r}; choose from {', '.join(MECHANISMS)}")
        if self.model not in REFERENCE_MODELS:
            raise DecaiError(f"unknown model {self.model!r}; choose from {', '.join(REFERENCE_MODELS)}")
        if not 0 < self.initial_fraction < 1:
            raise DecaiError("the initial fraction must be in (0, 1)")
        if not self.agents:
            raise DecaiError("a simulation needs at least one agent")
        if len({a.name for a in self.agents}) != len(self.agents) or "creator" in {a.name for a in self.agents}:
            raise DecaiError("agent names must be unique (and not 'creator')")
        for a in self.agents:
            if a.every < 1 or a.deposit < 1 or a.budget < 1 or not 0 <= a.label_noise <= 1:
                raise DecaiError(f"agent {a.name}: interval, deposit and budget must be positive, noise in [0, 1]")
        if self.samples is not None and self.samples < 1:
            raise DecaiError("--samples must be at least 1")
        if self.eval_every < 1 or self.creator_every < 0:
            raise DecaiError("intervals must be at least one second (the creator's: 0 for never)")
        self.parameters.validate()


def paper_agents(adversary_deposit: int = ETHER // 10, adversary_every: int = HOUR) -> list[Agent]:
    """Fig. 3's two agents: an honest one every 10 minutes paying ~0.05 ETH, an adversary every
    hour (one sixth as often) paying ~0.1 ETH (twice as much), 10 ETH each."""
    return [
        Agent("honest", True, 10 * MINUTE, ETHER // 20, ETHER // 100),
        Agent("adversary", False, adversary_every, adversary_deposit, adversary_deposit // 33),
    ]


@dataclass
class BookedContribution:
    """What the books of every mechanism's simulation hold of one contribution: who added which
    sample with which label (and the true one), when; its record's key on chain."""

    index: int
    agent: str
    contributor: str
    x: list[int]
    words: list[int]
    label: int
    true_label: int
    added_at: int

    @property
    def key(self) -> bytes:
        return contribution_key(self.words, self.label, self.added_at, self.contributor)

    def booked_row(self) -> dict[str, Any]:
        """The columns every mechanism's contributions.csv starts with."""
        return {
            "index": self.index,
            "agent": self.agent,
            "contributor": self.contributor,
            "label": self.label,
            "true_label": self.true_label,
            "added_at": self.added_at,
        }


@dataclass
class Deposit(BookedContribution):
    """One contribution in the simulation's books (its record, as the chain should hold it)."""

    deposit: int
    txn_hash: str
    claimable: int = 0
    refunded: bool = False
    taken: dict[str, int] = field(default_factory=dict)  # taker -> amount
    doubted: bool = False  # the model disagreed with the label when it was added (waits td, if on)

    def fate(self) -> str:
        if self.refunded:
            return "refunded"
        if self.claimable:
            return "open"
        return "taken" if self.taken else "open"


@dataclass
class Books:
    """Per account: deposits paid, received back (refunds) and taken from others, gas."""

    paid: int = 0
    refunded: int = 0
    taken: int = 0
    lost: int = 0  # taken from this account's deposits by others
    gas_used: int = 0
    fees: int = 0  # what the chain charged (base fee x gas)
    added: int = 0
    refunds: int = 0
    takes: int = 0
    skipped_budget: int = 0
    skipped_deposit: int = 0

    def balance(self, budget: int) -> int:
        """The deposit result on top of the budget (deposits out, refunds and takes in)."""
        return budget - self.paid + self.refunded + self.taken


@dataclass
class SimulationResult:
    """What a simulation measured (see `write` for the files)."""

    scenario: dict
    trainer: str
    start_time: int
    steps: list[dict]
    accuracy: list[dict]
    events: list[dict]
    deposits: list[Deposit]
    books: dict[str, Books]
    summary: dict
    start_balances: dict[str, int] = field(default_factory=dict)  # wei, after the deployment

    def contribution_rows(self) -> list[dict]:
        return [
            {
                **d.booked_row(),
                "deposit": d.deposit,
                "claimable": d.claimable,
                "fate": d.fate(),
                "taken_by": json.dumps(d.taken, sort_keys=True),
                "transaction": d.txn_hash,
            }
            for d in self.deposits
        ]

    def write(self, out_dir: str | Path, overwrite: bool = False) -> list[Path]:
        """steps.csv, accuracy.csv, contributions.csv, events.jsonl and summary.json in `out_dir`;
        FileExistsError (nothing written) if one exists and not `overwrite`."""
        out = Path(out_dir)
        names = ["steps.csv", "accuracy.csv", "contributions.csv", "events.jsonl", "summary.json"]
        paths = [out / n for n in names]
        existing = [str(p) for p in paths if p.exists()]
        if existing and not overwrite:
            raise FileExistsError(f"{existing[0]} exists; pass --overwrite or choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        for path, rows in zip(paths[:3], (self.steps, self.accuracy, self.contribution_rows()), strict=True):
            write_table(path, rows)
        write_json_lines(paths[3], self.events)
        paths[4].write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")
        return paths


def write_table(path: Path, rows: list[dict]) -> None:
    """Rows as a CSV file, the first row's keys as its header (an empty table: one "empty" column)."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        writer.writerows(rows)


def write_json_lines(path: Path, records: list[dict]) -> None:
    """Records as JSON lines, keys sorted."""
    with path.open("w") as f:
        for r in records:
            f.write(json.dumps(r, sort_keys=True) + "\n")


def _decode_logs(logs: list[dict], address: str) -> list[dict]:
    """The trainer's DataAdded / DepositRefunded / DepositTaken events of a receipt."""
    out = []
    for log in logs:
        if log["address"].lower() != address.lower() or not log["topics"]:
            continue
        topic, data = log["topics"][0], bytes.fromhex(log["data"][2:])
        who = ["0x" + t[-40:] for t in log["topics"][1:]]
        if topic == TOPICS["DataAdded"]:
            label, deposit, added_at, _ = abi_decode(["uint8", "uint256", "uint256", "uint256[]"], data)
            out.append({"event": "DataAdded", "contributor": who[0], "label": label, "amount": deposit, "added_at": added_at})
        elif topic == TOPICS["DepositRefunded"]:
            key, amount = abi_decode(["bytes32", "uint256"], data)
            out.append({"event": "DepositRefunded", "contributor": who[0], "key": "0x" + key.hex(), "amount": amount})
        elif topic == TOPICS["DepositTaken"]:
            key, amount = abi_decode(["bytes32", "uint256"], data)
            out.append(
                {"event": "DepositTaken", "taker": who[0], "contributor": who[1], "key": "0x" + key.hex(), "amount": amount}
            )
    return out


def prepare(scenario: Scenario) -> tuple[dict, list[tuple[str, int]], list[tuple[Any, int]], list[str]]:
    """(initial model file, stream of (sample, label), held-out (sample, label), classes)."""
    data = load_training_data(scenario.data_file, scenario.dataset, REFERENCE_MODELS[scenario.model].max_classes)
    train, held_out = train_test_split(data.samples, scenario.test_fraction, scenario.seed)
    n_initial = max(1, int(len(train) * scenario.initial_fraction))
    initial, stream = train[:n_initial], train[n_initial:]
    model = train_model(
        initial,
        data.classes,
        vocab_size=scenario.vocab_size,
        model=scenario.model,
        name=f"{data.name} simulation"[:64],
        description=f"Initial model of a simulation: {scenario.initial_fraction:.0%} of {data.source}.",
        test_fraction=0.0,
        dataset=data.source,
        feature_names=data.feature_names,
    )
    return model, stream, held_out, data.classes


class Simulation:
    """One run of a `Scenario` on the connected local chain (see the module doc)."""

    def __init__(self, scenario: Scenario, on_progress: Callable[[int, int, float], None] | None = None):
        scenario.validate()
        self.scenario = scenario
        self.params = scenario.parameters
        self.on_progress = on_progress or (lambda done, total, days: None)
        self.rng = random.Random(scenario.seed)
        chain = managers.chain_manager
        self.provider = managers.provider
        if int(self.provider.chain_id) != 31337 or not hasattr(self.provider, "web3"):
            raise DecaiError("simulate runs on a local Anvil only (chain id 31337): use --network ethereum:local:foundry")
        accounts = managers.account_manager.test_accounts
        if len(accounts) < len(scenario.agents) + 1:
            raise DecaiError(f"need {len(scenario.agents) + 1} test accounts, the chain has {len(accounts)}")
        self.creator = accounts[0]
        self.accounts = {a.name: accounts[k + 1] for k, a in enumerate(scenario.agents)}
        self.address = {name: str(acc.address) for name, acc in self.accounts.items()}
        self.address["creator"] = str(self.creator.address)
        self.chain = chain

    # --- the run ---------------------------------------------------------------------------------
    def run(self) -> SimulationResult:
        s = self.scenario
        model, stream, held_out, classes = prepare(s)
        deployment = deploy(model, "deposit", self.params, sender=self.creator)
        trainer = DepositTrainer(deployment.address)
        twin: ReferenceModel = REFERENCE_MODELS[s.model].from_dict(model)
        encoder = trainer.encoder
        held = self._encode(encoder, twin, held_out)
        self.held_out_samples = len(held)
        todo = self._encode(encoder, twin, stream)[: s.samples]  # samples the contract takes
        names = ["creator", *(a.name for a in s.agents)]
        books = {n: Books() for n in names}
        budgets = {a.name: a.budget for a in s.agents}
        start_balances = {n: int(self.provider.get_balance(self.address[n])) for n in names}
        deposits: list[Deposit] = []
        open_deposits: list[Deposit] = []
        good: dict[str, int] = dict.fromkeys(names, 0)
        steps: list[dict] = []
        accuracy: list[dict] = []
        events: list[dict] = []
        last_update = 0
        wall = time.monotonic()
        start = int(self.chain.blocks.head.timestamp) + 1
        now = start
        next_eval = start
        accuracy_now = self._evaluate(trainer, twin, held)
        initial_accuracy = accuracy_now
        accuracy.append({"time": start, "day": 0.0, "accuracy": accuracy_now, "contributions": 0})
        queue: list[tuple[int, int, str]] = []
        for k, a in enumerate(s.agents):
            heapq.heappush(queue, (start + self._wait(a.every), k + 1, a.name))
        if s.creator_every:
            heapq.heappush(queue, (start + s.creator_every, 0, "creator"))
        by_name = {a.name: a for a in s.agents}
        next_sample = 0
        ended = "the queue of turns ran out"
        horizon = start + 10 * 365 * DAY
        p = self.params
        with BlockBuilder(self.provider, [self.creator, *self.accounts.values()]) as builder:
            while queue:
                t, order, name = heapq.heappop(queue)
                data_left = next_sample < len(todo)
                if not open_deposits and (not data_left or self._all_broke(books, budgets)):
                    ended = "every contribution made and settled" if not data_left else "every agent out of budget"
                    break
                if t > horizon:
                    raise DecaiError("the simulation ran ten years of chain time without settling: check the waits")
                t = max(t, now + 1)
                if t >= next_eval:
                    if len(deposits) != accuracy[-1]["contributions"]:  # else the model has not changed
                        accuracy_now = self._evaluate(trainer, twin, held)
                    accuracy.append({"time": t, "day": (t - start) / DAY, "accuracy": accuracy_now, "contributions": len(deposits)})
                    next_eval = t + s.eval_every
                me = self.address[name]
                # Refunds and takes, decided on the state before this block, in the order sent.
                for d in list(open_deposits):
                    if builder.room() <= 1:
                        break
                    age = t - d.added_at
                    if age < p.refund_wait:
                        break
                    if d.claimable == 0:
                        continue
                    if age >= p.anyone_wait or (name == "creator" and age >= p.creator_wait):
                        builder.add(me, trainer.address, self._report_data(d), tag=("take", d, name, d.claimable))
                        d.claimable = 0
                    elif name == "creator" or age < p.wait_for(d.doubted):  # doubted: waits td (III-C1)
                        continue
                    elif d.agent == name:
                        if not d.refunded and d.claimable == d.deposit and twin.predict(d.x) == d.label:
                            builder.add(me, trainer.address, self._refund_data(d), tag=("refund", d, name, d.deposit))
                            good[name] += 1
                            d.claimable = 0
                    elif name not in d.taken and good[name] > 0 and twin.predict(d.x) != d.label:
                        share = min(max(d.deposit * good[name] // sum(good.values()), p.min_share), d.claimable)
                        builder.add(me, trainer.address, self._report_data(d), tag=("take", d, name, share))
                        d.claimable -= share
                        d.taken[name] = 0  # the amount is read from the event
                # The agent's next sample.
                new: tuple | None = None
                if name != "creator":
                    agent = by_name[name]
                    if data_left:
                        x, y = todo[next_sample]
                        offer = max(1, int(self.rng.gauss(agent.deposit, agent.deposit_sd)))
                        required = max(p.min_deposit, p.cost_weight // max(1, t - last_update))
                        if offer > books[name].balance(budgets[name]):
                            books[name].skipped_budget += 1
                        elif offer < required:
                            books[name].skipped_deposit += 1
                        else:
                            label = y if agent.honest else (y + 1) % len(classes)
                            if agent.honest and agent.label_noise and self.rng.random() < agent.label_noise:
                                label = (y + 1) % len(classes)
                            words = twin.pack_input(x)
                            builder.add(me, trainer.address, self._add_data(words, label), offer, tag=("add", None, name, offer))
                            new = (x, words, label, y, offer)
                            next_sample += 1
                    heapq.heappush(queue, (t + self._wait(agent.every), order, name))
                else:
                    heapq.heappush(queue, (t + s.creator_every, order, name))
                if not builder.queue:
                    self.on_progress(next_sample, len(todo), (t - start) / DAY)
                    continue
                sent = builder.mine(t)
                now = t
                refunds = takes = 0
                for tx in sent:
                    kind, d, who, expected = tx.tag
                    books[who].gas_used += tx.gas_used
                    books[who].fees += tx.fee
                    logs = _decode_logs(tx.logs, trainer.address)
                    for e in logs:
                        events.append({"time": t, "block": int(tx.receipt["blockNumber"], 16), "transaction": tx.txn_hash, **e})
                    if kind == "add":
                        assert new is not None
                        x, words, label, y, offer = new
                        d = Deposit(len(deposits), who, me, x, words, label, y, t, offer, tx.txn_hash, claimable=offer)
                        # The contract records the model's vote before it trains, while td > t.
                        d.doubted = p.effective_doubt_wait > p.refund_wait and twin.predict(x) != label
                        if [e["added_at"] for e in logs if e["event"] == "DataAdded"] != [t]:
                            raise DecaiError(f"transaction {tx.txn_hash} added no contribution at {t}")
                        deposits.append(d)
                        open_deposits.append(d)
                        books[who].paid += offer
                        books[who].added += 1
                        twin.update(x, label)
                        last_update = t
                    elif kind == "refund":
                        (amount,) = [e["amount"] for e in logs if e["event"] == "DepositRefunded"]
                        d.refunded = True
                        books[who].refunded += amount
                        books[who].refunds += 1
                        refunds += 1
                    else:
                        (amount,) = [e["amount"] for e in logs if e["event"] == "DepositTaken"]
                        if amount != expected:
                            raise DecaiError(f"take from contribution {d.index}: the chain paid {amount}, the books expected {expected}")
                        d.taken[who] = d.taken.get(who, 0) + amount
                        books[who].taken += amount
                        books[who].takes += 1
                        books[d.agent].lost += amount
                        takes += 1
                open_deposits = [d for d in open_deposits if d.claimable > 0]
                if sent:
                    steps.append(self._step(t, start, name, new is not None, refunds, takes, accuracy_now, books, budgets))
                self.on_progress(next_sample, len(todo), (t - start) / DAY)
            transactions = builder.transactions
        accuracy_now = self._evaluate(trainer, twin, held)
        accuracy.append({"time": now, "day": (now - start) / DAY, "accuracy": accuracy_now, "contributions": len(deposits)})
        seconds = time.monotonic() - wall
        result = SimulationResult(
            scenario=_scenario_dict(s),
            trainer=trainer.address,
            start_time=start,
            steps=steps,
            accuracy=accuracy,
            events=events,
            deposits=deposits,
            books=books,
            summary={},
            start_balances=start_balances,
        )
        result.summary = self._summary(result, model, initial_accuracy, accuracy_now, budgets, transactions, seconds)
        result.summary["ended"] = ended
        result.summary["samples_available"] = len(todo)
        result.summary["check"] = check_books(result, trainer)
        return result

    # --- helpers ---------------------------------------------------------------------------------
    def _all_broke(self, books: dict[str, Books], budgets: dict[str, int]) -> bool:
        """No agent can pay even a low deposit (its mean minus three deviations) any more."""
        return all(books[a.name].balance(budgets[a.name]) < max(1, a.deposit - 3 * a.deposit_sd) for a in self.scenario.agents)

    def _wait(self, every: int) -> int:
        return max(1, int(self.rng.gauss(every, every / 10)))

    @staticmethod
    def _encode(encoder: Any, twin: ReferenceModel, samples: list) -> list[tuple[list[int], int]]:
        """Samples the contract takes, encoded (the others have no feature or too many)."""
        out = []
        for raw, y in samples:
            try:
                x = encoder.encode(raw)
                twin.pack_input(x)
            except ValueError:
                continue
            out.append((x, y))
        return out

    def _evaluate(self, trainer: DepositTrainer, twin: ReferenceModel, held: list) -> float:
        """Held-out accuracy of the model read back from the chain (which must equal the twin)."""
        onchain = trainer.reference_model()
        if onchain.to_dict() != twin.to_dict():
            raise DecaiError("the model on chain differs from the simulation's twin: the books are wrong")
        return round(onchain.accuracy(held), 6)

    @staticmethod
    def _add_data(words: list[int], label: int) -> bytes:
        return _SELECTORS["add_data"] + abi_encode(["uint256[]", "uint8"], [words, label])

    @staticmethod
    def _refund_data(d: Deposit) -> bytes:
        return _SELECTORS["refund"] + abi_encode(["uint256[]", "uint8", "uint256"], [d.words, d.label, d.added_at])

    @staticmethod
    def _report_data(d: Deposit) -> bytes:
        return _SELECTORS["report"] + abi_encode(
            ["uint256[]", "uint8", "uint256", "address"], [d.words, d.label, d.added_at, d.contributor]
        )

    def _step(self, t, start, name, added, refunds, takes, accuracy_now, books, budgets) -> dict:
        row: dict[str, Any] = {
            "time": t,
            "day": round((t - start) / DAY, 5),
            "agent": name,
            "added": int(added),
            "refunds": refunds,
            "takes": takes,
            "accuracy": accuracy_now,
        }
        for n, b in books.items():
            if n in budgets:
                row[f"{n}_balance_wei"] = b.balance(budgets[n])
                row[f"{n}_balance_pct"] = round(100 * b.balance(budgets[n]) / budgets[n], 4)
                with_gas = b.balance(budgets[n]) - b.gas_used * self.scenario.gas_price
                row[f"{n}_with_gas_pct"] = round(100 * with_gas / budgets[n], 4)
            else:
                row[f"{n}_received_wei"] = b.taken
            row[f"{n}_gas_used"] = b.gas_used
        return row

    def _summary(self, result, model, initial_accuracy, final_accuracy, budgets, transactions, seconds) -> dict:
        s = self.scenario
        agents = {}
        for name, b in result.books.items():
            row = {**asdict(b), "address": self.address[name]}
            row["gas_cost_wei"] = b.gas_used * s.gas_price
            if name in budgets:
                row["budget_wei"] = budgets[name]
                row["balance_wei"] = b.balance(budgets[name])
                row["balance_pct"] = round(100 * b.balance(budgets[name]) / budgets[name], 3)
                row["net_deposit_result_wei"] = b.balance(budgets[name]) - budgets[name]
                row["net_with_gas_wei"] = row["net_deposit_result_wei"] - row["gas_cost_wei"]
            agents[name] = row
        fates: dict[str, int] = {}
        for d in result.deposits:
            fates[d.fate()] = fates.get(d.fate(), 0) + 1
        end = result.accuracy[-1]["time"]
        return {
            "trainer": result.trainer,
            "scenario": result.scenario,
            "initial_training_samples": model["training"]["train_samples"],
            "contributions": len(result.deposits),
            "held_out_samples": self.held_out_samples,
            "accuracy_initial": initial_accuracy,
            "accuracy_final": final_accuracy,
            "accuracy_min": min(a["accuracy"] for a in result.accuracy),
            "simulated_days": round((end - result.start_time) / DAY, 3),
            "transactions": transactions,
            "wall_seconds": round(seconds, 2),
            "transactions_per_second": round(transactions / seconds, 2) if seconds else None,
            "gas_price_wei": s.gas_price,
            "fates": fates,
            "agents": agents,
        }


def _scenario_dict(s: Scenario) -> dict:
    return asdict(s)


def check_books(result: SimulationResult, trainer: Any) -> dict:
    """Compare the simulation's books with the chain: every account's balance change (deposits
    and fees), the contract's balance, and every contribution's record. Returns the counts and
    the mismatches (an empty list: the books equal the chain)."""
    provider = managers.provider
    mismatches = []
    address = {n: result.summary["agents"][n]["address"] for n in result.books}
    for name, b in result.books.items():
        change = int(provider.get_balance(address[name])) - result.start_balances[name]
        expected = -b.paid + b.refunded + b.taken - b.fees
        if change != expected:
            mismatches.append(f"{name}: balance changed by {change}, the books say {expected}")
    held = int(provider.get_balance(trainer.address))
    open_total = sum(d.claimable for d in result.deposits)
    if held != open_total:
        mismatches.append(f"the trainer holds {held} wei, the books say {open_total} is still claimable")
    records = read_records(trainer, [d.key for d in result.deposits])
    for d, r in zip(result.deposits, records, strict=True):
        if (r.exists, r.refunded, r.deposit, r.claimable, r.doubted) != (True, d.refunded, d.deposit, d.claimable, d.doubted):
            mismatches.append(
                f"contribution {d.index}: chain {r}, books claimable {d.claimable} refunded {d.refunded} doubted {d.doubted}"
            )
    return {"accounts": len(result.books), "records": len(records), "mismatches": mismatches[:20], "ok": not mismatches}


def simulate(scenario: Scenario | None = None, on_progress: Callable[[int, int, float], None] | None = None) -> SimulationResult:
    """Run `scenario` (default: the paper's Fig. 3) on the connected local Anvil, with its
    mechanism (points: `simulate_points.simulate_points`)."""
    scenario = scenario or Scenario()
    scenario.validate()
    if scenario.mechanism == "points":
        return simulate_points.simulate_points(scenario, on_progress)
    return Simulation(scenario, on_progress).run()


# The points scenario builds on the pieces above (it imports them), so it is imported after them:
# this works whichever of the two modules is imported first.
from ape_decai import simulate_points  # noqa: E402

# --- sweeps --------------------------------------------------------------------------------------
# What `sweep` can vary, and how a value changes a scenario (amounts in wei, times in seconds).
SWEEP_KEYS: dict[str, Callable[[Scenario, Any], None]] = {
    "adversary-deposit": lambda s, v: _each(s, False, lambda a: _set_deposit(a, int(v))),
    "adversary-every": lambda s, v: _each(s, False, lambda a: setattr(a, "every", int(v))),
    "adversary-budget": lambda s, v: _each(s, False, lambda a: setattr(a, "budget", int(v))),
    "honest-noise": lambda s, v: _each(s, True, lambda a: setattr(a, "label_noise", float(v))),
    "refund-wait": lambda s, v: setattr(s.parameters, "refund_wait", int(v)),
    "doubt-wait": lambda s, v: setattr(s.parameters, "doubt_wait", int(v)),
    "cost-weight": lambda s, v: setattr(s.parameters, "cost_weight", int(v)),
    "model": lambda s, v: setattr(s, "model", str(v)),
    "creator-wait": lambda s, v: setattr(s.parameters, "creator_wait", int(v)),
    "anyone-wait": lambda s, v: setattr(s.parameters, "anyone_wait", int(v)),
    "claim-waits": lambda s, v: _set_claim_waits(s, v),
    "creator-every": lambda s, v: setattr(s, "creator_every", int(v)),
}


def _each(s: Scenario, honest: bool, change: Callable[[Agent], None]) -> None:
    for a in s.agents:
        if a.honest == honest:
            change(a)


def _set_claim_waits(s: Scenario, waits: tuple[int, int]) -> None:
    """(tc, ta) together, so that a sweep can compare pairs such as (30 d, 60 d) and (60 d, 60 d)."""
    s.parameters.creator_wait, s.parameters.anyone_wait = (int(w) for w in waits)


def _set_deposit(agent: Agent, deposit: int) -> None:
    agent.deposit, agent.deposit_sd = deposit, max(1, deposit // 33)


def sweep_cells(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of the grid's values (the first key varies slowest)."""
    cells: list[dict[str, Any]] = [{}]
    for key, values in grid.items():
        if key not in SWEEP_KEYS:
            raise DecaiError(f"cannot sweep {key!r}; choose from {', '.join(SWEEP_KEYS)}")
        if not values:
            raise DecaiError(f"no values to sweep {key} over")
        cells = [{**cell, key: v} for cell in cells for v in values]
    return cells


def sweep_scenarios(base: Scenario, grid: dict[str, list], seeds: int = 1) -> list[tuple[dict[str, Any], Scenario]]:
    """(cell, scenario) for every cell of `grid` and every seed base.seed .. base.seed + seeds - 1,
    each scenario validated: a DecaiError naming the cell before anything runs."""
    if seeds < 1:
        raise DecaiError("--seeds must be at least 1")
    runs = []
    for cell in sweep_cells(grid):
        for seed in range(base.seed, base.seed + seeds):
            scenario = copy.deepcopy(base)
            for key, value in cell.items():
                SWEEP_KEYS[key](scenario, value)
            scenario.seed = seed
            try:
                scenario.validate()
            except DecaiError as e:
                raise DecaiError(f"sweep cell {_cell_name(cell)}: {e}") from None
            runs.append((cell, scenario))
    return runs


def _cell_name(cell: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in cell.items())


def sweep(
    base: Scenario,
    grid: dict[str, list],
    on_cell: Callable[[int, int, dict], None] | None = None,
    seeds: int = 1,
    on_progress: Callable[[int, int, float], None] | None = None,
) -> list[dict[str, Any]]:
    """Run `base` once per cell of `grid` and seed (a fresh trainer each, on the connected local
    Anvil) and return one row per run: the cell's values, the seed, each agent's deposit result
    and % of its budget, the accuracy at the start, end and lowest and its change, how the run
    ended, and whether the books held. `aggregate_sweep` turns them into one row per cell.
    `on_cell(k, runs, cell)` before run k; `on_progress` is each run's (see `Simulation`)."""
    rows = []
    runs = sweep_scenarios(base, grid, seeds)
    for k, (cell, scenario) in enumerate(runs):
        if on_cell:
            on_cell(k, len(runs), {**cell, "seed": scenario.seed})
        summary = Simulation(scenario, on_progress).run().summary
        row: dict[str, Any] = {**cell, "seed": scenario.seed}
        for name, a in summary["agents"].items():
            if "balance_pct" in a:
                row[f"{name}_result_eth"] = round(a["net_deposit_result_wei"] / ETHER, 4)
                row[f"{name}_with_gas_eth"] = round(a["net_with_gas_wei"] / ETHER, 4)
                row[f"{name}_balance_pct"] = a["balance_pct"]
            else:  # the creator: what it claimed
                row[f"{name}_result_eth"] = round(a["taken"] / ETHER, 4)
        row.update(
            contributions=summary["contributions"],
            simulated_days=summary["simulated_days"],
            accuracy_initial=summary["accuracy_initial"],
            accuracy_final=summary["accuracy_final"],
            accuracy_min=summary["accuracy_min"],
            accuracy_change=round(summary["accuracy_final"] - summary["accuracy_initial"], 6),
            ended=summary["ended"],
            books_ok=summary["check"]["ok"],
            wall_seconds=summary["wall_seconds"],
        )
        rows.append(row)
    return rows


# Columns of a sweep row that are not measurements (the cell's own values are not either).
_NOT_MEASURED = {"seed", "ended", "books_ok"}


def aggregate_sweep(runs: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """One row per cell (the values of `keys`) from `sweep`'s rows per seed: every measurement's
    mean under its own name and its spread as `<name>_min`, `<name>_max`, `<name>_sd` (sample
    standard deviation, 0 with one seed); `seeds` (how many), `honest_profits` and
    `accuracy_below_initial` (in how many seeds), `books_ok` (in all), `ended` (the distinct ways)."""
    cells: dict[tuple, list[dict[str, Any]]] = {}
    for r in runs:
        cells.setdefault(tuple(repr(r[k]) for k in keys), []).append(r)
    out = []
    for group in cells.values():
        row: dict[str, Any] = {k: group[0][k] for k in keys}
        row["seeds"] = len(group)
        measured = [c for c in group[0] if c not in keys and c not in _NOT_MEASURED]
        for c in measured:
            values = [float(r[c]) for r in group]
            mean = statistics.fmean(values)
            row[c] = round(mean, 6)
            row[f"{c}_min"], row[f"{c}_max"] = min(values), max(values)
            row[f"{c}_sd"] = round(statistics.stdev(values), 6) if len(values) > 1 else 0.0
        if "honest_result_eth" in group[0]:
            row["honest_profits"] = sum(r["honest_result_eth"] > 0 for r in group)
        row["accuracy_below_initial"] = sum(r["accuracy_change"] < 0 for r in group)
        row["books_ok"] = all(r["books_ok"] for r in group)
        row["ended"] = "; ".join(sorted({r["ended"] for r in group}))
        out.append(row)
    return out
