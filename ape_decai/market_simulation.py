"""The prediction market (paper III-B, Fig. 2) as a simulated scenario on the real contracts.

On a local Anvil, over chain time moved with the chain (never a sleep):

1. the provider trains the initial model off chain on a small fraction of a labelled dataset's
   training split (`training.train_model`) and deploys a market trainer (`deployment.deploy`);
2. it takes `test_samples` other samples as its hidden test set, splits it into as few parts as
   the contract's per-part cap allows, salts and commits it with the bounty
   (`MarketClient.open`); anyone draws, the provider reveals the drawn parts;
3. participants contribute in turn, one stake each time: honest ones the true label of their next
   sample, bad ones a flipped label ("flip": of their next sample; "targeted": of the next sample
   the live model gets right, so every one of them moves the model away from the truth);
4. participation ends, the provider reveals the rest, the provider settles (evaluation and
   payouts), each participant claims.

Every step is one row of `steps` (each account's stake/bounty money and, apart, its gas at the
stated gas price; the held-out accuracy of the model read back from the chain and its accuracy
on the provider's test set), every event of every receipt is kept, and `rounds` holds Fig. 2's
balances round by round. `check_market_books` compares everything with the chain and with the
Python reference (`ape_decai.market.payouts`, `balances`, `error_counts`).

What is not paid out (the unpaid bounty and the stakes lost) stays in the contract (the paper's
design: burned), so the contract's balance ends at exactly that amount; nothing a participant may
claim stays locked.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ape_decai._ape import managers
from ape_decai.datasets import load_training_data, train_test_split
from ape_decai.deployment import deploy
from ape_decai.errors import DecaiError
from ape_decai.market import MarketClient, MarketSecrets, balances, encode_samples, error_counts, payouts, split
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.simulate import write_json_lines, write_table
from ape_decai.trainers import MarketTrainer
from ape_decai.training import train_model

HOUR, DAY = 3600, 86400
ETHER = 10**18
PROVIDER = "provider"
BAD_LABELS = ("flip", "targeted")
# What `sweep_market` can vary (each an integer field of `MarketScenario`).
SWEEP_FIELDS = ("bad", "honest", "rounds", "contributions")
OUTPUT_FILES = ("steps.csv", "accuracy.csv", "rounds.csv", "contributions.csv", "events.jsonl", "summary.json")

Progress = Callable[[int, int, str], None]


@dataclass
class MarketScenario:
    """Everything a market simulation depends on (amounts in wei, times in seconds)."""

    dataset: str | None = "rotten-tomatoes"
    data_file: str | None = None
    vocab_size: int = 1000
    initial_fraction: float = 0.02  # of the training split: the provider's initial model
    test_fraction: float = 0.2  # the held-out split: accuracy is measured on it, the market never sees it
    test_samples: int = 200  # the provider's hidden test set (taken from the training split)
    reveal_fraction: float = 0.1  # share of the parts drawn for the early reveal (at least one part)
    honest: int = 4
    bad: int = 2
    contributions: int = 4  # each participant's
    bad_labels: str = "flip"
    stake: int = ETHER // 100
    rounds: int = 10  # the bounty is rounds x stake
    duration: int = 3 * DAY  # participation
    reveal_window: int = 2 * DAY
    seed: int = 0
    gas_price: int = 10**9  # the stated price of the gas columns (wei per gas)

    @property
    def bounty(self) -> int:
        return self.rounds * self.stake

    @property
    def names(self) -> list[str]:
        """The participants' names, honest ones first."""
        return _names("honest", self.honest) + _names("bad", self.bad)

    def validate(self, accounts: int | None = None) -> None:
        """DecaiError (one line) if the scenario cannot run (with `accounts` test accounts)."""
        if (self.dataset is None) == (self.data_file is None):
            raise DecaiError("give a dataset or a data file, not both")
        if not 0 < self.initial_fraction < 1 or not 0 < self.test_fraction < 1:
            raise DecaiError("the initial and test fractions must be in (0, 1)")
        if not 0 < self.reveal_fraction <= 1:
            raise DecaiError("the reveal fraction must be in (0, 1]")
        if self.honest < 0 or self.bad < 0 or self.honest + self.bad == 0:
            raise DecaiError("no participants: at least one honest or bad participant")
        if accounts is not None and self.honest + self.bad + 1 > accounts:
            raise DecaiError(f"{self.honest + self.bad} participants and the provider need {self.honest + self.bad + 1} "
                             f"accounts; the chain has {accounts}")
        if self.contributions < 1 or self.test_samples < 1 or self.rounds < 1 or self.stake < 1:
            raise DecaiError("contributions, test samples, rounds and the stake must be at least 1")
        if self.duration < 1 or self.reveal_window < 1:
            raise DecaiError("the participation time and the reveal window must be at least one second")
        if self.bad_labels not in BAD_LABELS:
            raise DecaiError(f"bad labels are one of {', '.join(BAD_LABELS)}, not {self.bad_labels!r}")
        if self.gas_price < 0:
            raise DecaiError("the gas price cannot be negative")


def _names(kind: str, n: int) -> list[str]:
    return [f"{kind}-{k + 1}" for k in range(n)]


@dataclass
class Account:
    """One account's books: money out and in (stakes or the bounty, payouts) and gas."""

    address: str
    paid: int = 0  # stakes (participants) or the bounty (the provider)
    received: int = 0  # payouts claimed
    gas_used: int = 0
    fees: int = 0  # what the chain charged (gas x the effective gas price)
    transactions: int = 0

    @property
    def net(self) -> int:
        return self.received - self.paid


@dataclass
class Contribution:
    """One staked contribution as the simulation sent it."""

    index: int
    participant: str
    honest: bool
    x: list[int]
    label: int
    true_label: int
    updated: bool  # the model changed
    block: int
    transaction: str
    payout: int | None = None


@dataclass
class MarketSimulationResult:
    """What a market simulation measured (see `write` for the files)."""

    scenario: dict
    trainer: str
    steps: list[dict]
    accuracy: list[dict]
    rounds: list[dict]
    contributions: list[Contribution]
    events: list[dict]
    accounts: dict[str, Account]
    summary: dict = field(default_factory=dict)

    def contribution_rows(self) -> list[dict]:
        return [{**asdict(c), "x": " ".join(map(str, c.x))} for c in self.contributions]

    def write(self, out_dir: str | Path, overwrite: bool = False) -> list[Path]:
        """`OUTPUT_FILES` in `out_dir`; FileExistsError (nothing written) if one exists and not `overwrite`."""
        out = Path(out_dir)
        paths = [out / name for name in OUTPUT_FILES]
        existing = [str(p) for p in paths if p.exists()]
        if existing and not overwrite:
            raise FileExistsError(f"{existing[0]} exists; pass --overwrite or choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        tables = (self.steps, self.accuracy, self.rounds, self.contribution_rows())
        for path, rows in zip(paths[:4], tables, strict=True):
            write_table(path, rows)
        write_json_lines(paths[4], self.events)
        paths[5].write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")
        return paths


def balance_rounds(e: Sequence[int], rounds: int, big_m: int) -> list[list[int]]:
    """Fig. 2's balances (units of stake / M) after each of the `rounds` rounds, one by one
    (row 0: before the first). `market.balances` (the contract's jumps) must equal the last row."""
    n = len(e) - 1
    bal = [big_m] * n
    alive = list(range(n))
    out = [list(bal)]
    for _ in range(rounds):
        prev = e[0]
        for t in alive:
            bal[t] += prev - e[t + 1]
            prev = e[t + 1]
        alive = [t for t in alive if bal[t] >= big_m]
        out.append(list(bal))
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes | bytearray):
        return "0x" + bytes(v).hex()
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


class MarketSimulation:
    """One run of a `MarketScenario` on the connected local Anvil (see the module doc)."""

    def __init__(self, scenario: MarketScenario, on_progress: Progress | None = None):
        self.provider = managers.provider
        if int(self.provider.chain_id) != 31337 or not hasattr(self.provider, "web3"):
            raise DecaiError("simulate-market runs on a local Anvil only (chain id 31337)")
        test_accounts = managers.account_manager.test_accounts
        scenario.validate(len(test_accounts))
        self.scenario = scenario
        self.on_progress = on_progress or (lambda done, total, what: None)
        self.chain = managers.chain_manager
        names = [PROVIDER, *scenario.names]
        self.signer = {name: test_accounts[k] for k, name in enumerate(names)}
        self.books = {name: Account(str(self.signer[name].address)) for name in names}
        self.steps: list[dict] = []
        self.events: list[dict] = []
        self.done = 0
        self.total = 0

    # --- the run ---------------------------------------------------------------------------------
    def run(self) -> MarketSimulationResult:
        s = self.scenario
        wall = time.monotonic()
        data = load_training_data(s.data_file, s.dataset, 2)
        if len(data.classes) != 2:
            raise DecaiError(f"a market takes two classes; {data.name} has {len(data.classes)}")
        train, held_out = train_test_split(data.samples, s.test_fraction, s.seed)
        n_initial = max(1, int(len(train) * s.initial_fraction))
        initial, rest = train[:n_initial], train[n_initial:]
        model = train_model(initial, data.classes, vocab_size=s.vocab_size, name=f"{data.name} market simulation"[:64],
                            description=f"Initial model of a market simulation: {s.initial_fraction:.1%} of {data.source}.",
                            test_fraction=0.0, dataset=data.source, feature_names=data.feature_names)
        n_contributions = (s.honest + s.bad) * s.contributions
        self.total = 7 + 2 * n_contributions  # deploy, open, draw, reveal, end, reveal, settle; adds; claims
        self._progress("deploying")
        deployment = deploy(model, "market", sender=self.signer[PROVIDER])
        trainer = MarketTrainer(deployment.address)
        market = trainer.market
        self.trainer, self.market = trainer, market
        self.start = {n: int(self.provider.get_balance(a.address)) for n, a in self.books.items()}
        self.deploy_gas = sum(deployment.gas_used) + (deployment.implementation_gas or 0)
        self.done += 1

        test = market.encode_test_set(rest[: s.test_samples])
        stream = [(x, y) for x, y in ((self._encode(t), y) for t, y in rest[s.test_samples :]) if x]
        held = [(x, y) for x, y in ((self._encode(t), y) for t, y in held_out) if x]
        if len(stream) < n_contributions:
            raise DecaiError(f"{len(stream)} samples left for contributions; the scenario needs {n_contributions}")
        secrets = MarketSecrets.create(test, self._n_parts(test))
        n_reveal = max(1, round(len(secrets.parts) * s.reveal_fraction))  # at least one part (the client reveals some)
        twin = trainer.reference_model()
        if not isinstance(twin, SparsePerceptron):
            raise DecaiError(f"a market trainer of a {trainer.model_id} model: the simulation knows sparse perceptrons only")
        self.twin = twin
        h0 = copy.deepcopy(self.twin)
        self.held, self.test = held, test
        self.acc = (self.twin.accuracy(held), self.twin.accuracy(test))
        accuracy = [self._accuracy_row(0, None)]

        with tempfile.TemporaryDirectory() as keep:  # the provider's secrets file (never overwritten)
            receipt, _ = market.open(secrets, n_reveal, s.bounty, s.stake, s.duration, n_contributions, s.reveal_window,
                                     Path(keep) / "secrets.json", self.signer[PROVIDER])
        self.books[PROVIDER].paid += s.bounty
        self._step("open", PROVIDER, [receipt])
        self._step("draw", PROVIDER, [market.draw(self.signer[PROVIDER])])
        self._step("reveal drawn parts", PROVIDER, market.reveal(secrets, self.signer[PROVIDER]))

        contributions = self._participate(stream, n_contributions, accuracy)
        self._step("end", PROVIDER, [market.end(self.signer[PROVIDER])])
        self._step("reveal the rest", PROVIDER, market.reveal(secrets, self.signer[PROVIDER]))
        self._step("settle", PROVIDER, market.settle(self.signer[PROVIDER]))
        market_id = market.market_id
        rows = market.participants(market_id)
        for c, row in zip(contributions, rows, strict=True):
            c.payout = row["amount"]
        for name in s.names:
            receipts = market.claim(self.signer[name], market_id)
            for r in receipts:
                self.books[name].received += sum(int(log.amount) for log in r.events if log.event_name == "PayoutClaimed")
            self._step("claim", name, receipts, advance=len(receipts))

        e = error_counts(h0, [(c.x, c.label) for c in contributions], test)
        per_round = balance_rounds(e, s.rounds, len(test))
        result = MarketSimulationResult(
            scenario=asdict(s), trainer=trainer.address, steps=self.steps, accuracy=accuracy,
            rounds=self._round_rows(per_round, contributions, len(test)), contributions=contributions,
            events=self.events, accounts=self.books,
        )
        result.summary = self._summary(result, model, secrets, n_reveal, e, time.monotonic() - wall)
        result.summary["check"] = check_market_books(result, market, market_id, e, len(test), self.start)
        return result

    def _participate(self, stream: list, n_contributions: int, accuracy: list[dict]) -> list[Contribution]:
        """Each participant in turn, `contributions` rounds, one stake each time, at evenly spaced chain times."""
        s = self.scenario
        gap = max(1, s.duration // (n_contributions + 1))
        honest = set(_names("honest", s.honest))
        contributions: list[Contribution] = []
        next_sample = 0
        for _ in range(s.contributions):
            for name in s.names:
                self.chain.mine(deltatime=gap)
                targeted = name not in honest and s.bad_labels == "targeted"
                next_sample = self._next_sample(stream, next_sample, targeted)
                x, y = stream[next_sample]
                next_sample += 1
                label = y if name in honest else 1 - y
                receipt = self.trainer.add_words(self.twin.pack_input(x), label, self.signer[name])
                self.books[name].paid += s.stake
                updated = self.twin.update(x, label)
                onchain = self.trainer.reference_model()
                if onchain.to_dict() != self.twin.to_dict():
                    raise DecaiError("the model on chain differs from the simulation's twin: the books are wrong")
                self.acc = (onchain.accuracy(self.held), onchain.accuracy(self.test))
                contributions.append(Contribution(len(contributions), name, name in honest, list(x), label, y, updated,
                                                  int(receipt.block_number), str(receipt.txn_hash)))
                accuracy.append(self._accuracy_row(len(contributions), contributions[-1]))
                self._step(f"add ({'true' if label == y else 'flipped'} label)", name, [receipt])
        return contributions

    # --- helpers ---------------------------------------------------------------------------------
    def _next_sample(self, stream: list, start: int, targeted: bool) -> int:
        """The index of the next sample from `start` (targeted: the next the live model gets right)."""
        for k in range(start, len(stream)):
            x, y = stream[k]
            if not targeted or self.twin.predict(x) == y:
                return k
        raise DecaiError(f"the {len(stream)} samples left for contributions ran out: ask for fewer contributions")

    def _encode(self, text: Any) -> list[int]:
        """The features a contribution (or a prediction) of this text carries ([]: none known)."""
        try:
            return list(self.trainer.encoder.encode(text))
        except ValueError:
            return []

    def _n_parts(self, test: list) -> int:
        """The fewest parts (each of at least one sample) whose largest holds at most MAX_PART_FEATURES."""
        limits = self.market.limits()
        cap, most = limits.get("MAX_PART_FEATURES", 10**9), limits["MAX_PARTS"]
        if not test:
            raise DecaiError("the provider's test set is empty: no sample has a known word")
        if len(test) > limits["MAX_TEST_SAMPLES"]:
            raise DecaiError(f"{len(test)} test samples: the contract takes at most {limits['MAX_TEST_SAMPLES']}")
        n = max(1, -(-sum(len(x) for x, _ in test) // cap))
        while n <= min(most, len(test)):
            if max(sum(len(x) for x, _ in part) for part in split(test, n)) <= cap:
                return n
            n += 1
        raise DecaiError(f"the test set does not fit in {most} parts of at most {cap} feature occurrences: use fewer samples")

    def _progress(self, what: str) -> None:
        self.on_progress(self.done, self.total, what)

    def _step(self, action: str, actor: str, receipts: list, advance: int = 1) -> None:
        """Account for the receipts of one step and record its row and events."""
        book = self.books[actor]
        for r in receipts:
            book.gas_used += int(r.gas_used)
            book.fees += int(r.gas_used) * int(r.gas_price)
            book.transactions += 1
            for log in r.events:
                self.events.append({"step": len(self.steps), "action": action, "block": int(r.block_number),
                                    "transaction": str(r.txn_hash), "event": log.event_name,
                                    **{k: _jsonable(v) for k, v in log.event_arguments.items()}})
        head = self.chain.blocks.head
        row: dict[str, Any] = {
            "step": len(self.steps), "action": action, "actor": actor, "transactions": len(receipts),
            "gas_used": sum(int(r.gas_used) for r in receipts), "block": int(head.number), "time": int(head.timestamp),
            "held_out_accuracy": round(self.acc[0], 6), "test_set_accuracy": round(self.acc[1], 6),
        }
        for name, b in self.books.items():
            row[f"{name}_money_wei"] = b.net
            row[f"{name}_gas_used"] = b.gas_used
            row[f"{name}_gas_cost_wei"] = b.gas_used * self.scenario.gas_price
        self.steps.append(row)
        self.done += advance
        self._progress(action if actor == PROVIDER else f"{action}: {actor}")

    def _accuracy_row(self, t: int, c: Contribution | None) -> dict:
        return {"contributions": t, "participant": c.participant if c else "", "updated": int(c.updated) if c else 0,
                "held_out_accuracy": round(self.acc[0], 6), "test_set_accuracy": round(self.acc[1], 6)}

    def _round_rows(self, per_round: list[list[int]], contributions: list[Contribution], big_m: int) -> list[dict]:
        """Per round, each participant's money (its contributions' balances in wei) and % of its stakes."""
        s = self.scenario
        rows = []
        for r, bal in enumerate(per_round):
            row: dict[str, Any] = {"round": r}
            for name in s.names:
                mine = [bal[c.index] * s.stake // big_m for c in contributions if c.participant == name]
                row[f"{name}_wei"] = sum(mine)
                row[f"{name}_pct"] = round(100 * sum(mine) / (len(mine) * s.stake), 4)
            rows.append(row)
        return rows

    def _summary(self, result: MarketSimulationResult, model: dict, secrets: MarketSecrets, n_reveal: int,
                 e: list[int], seconds: float) -> dict:
        s = self.scenario
        agents = {}
        for name, b in self.books.items():
            row = {**asdict(b), "net_wei": b.net, "gas_cost_wei": b.gas_used * s.gas_price}
            row["net_with_gas_wei"] = b.net - row["gas_cost_wei"]
            row["net_pct"] = round(100 * b.net / b.paid, 4)  # the provider's: -100, its bounty is spent
            if name == PROVIDER:
                row["kind"] = "provider"
                row["deploy_gas_used"] = self.deploy_gas
                row["deploy_gas_cost_wei"] = self.deploy_gas * s.gas_price
            else:
                mine = [c for c in result.contributions if c.participant == name]
                row["kind"] = "honest" if mine[0].honest else "bad"
                row["contributions"] = len(mine)
                row["updates"] = sum(c.updated for c in mine)
            agents[name] = row
        paid = sum(c.payout or 0 for c in result.contributions)
        transactions = sum(b.transactions for b in self.books.values())
        return {
            "trainer": result.trainer,
            "network_chain_id": int(self.provider.chain_id),
            "scenario": result.scenario,
            "initial_training_samples": model["training"]["train_samples"],
            "held_out_samples": len(self.held),
            "test_samples": len(self.test),
            "parts": len(secrets.parts),
            "drawn_parts": n_reveal,
            "contributions": len(result.contributions),
            "model_updates": sum(c.updated for c in result.contributions),
            "accuracy_initial": result.accuracy[0]["held_out_accuracy"],
            "accuracy_final": result.accuracy[-1]["held_out_accuracy"],
            "test_set_accuracy_initial": result.accuracy[0]["test_set_accuracy"],
            "test_set_accuracy_final": result.accuracy[-1]["test_set_accuracy"],
            "errors_initial": e[0],
            "errors_final": e[-1],
            "bounty_wei": s.bounty,
            "stakes_wei": len(result.contributions) * s.stake,
            "paid_out_wei": paid,
            "burned_wei": s.bounty + len(result.contributions) * s.stake - paid,  # stays in the contract
            "gas_price_wei": s.gas_price,
            "transactions": transactions,
            "wall_seconds": round(seconds, 2),
            "agents": agents,
        }


def check_market_books(result: MarketSimulationResult, market: MarketClient, market_id: int, e: list[int], big_m: int,
                       start: dict[str, int]) -> dict:
    """Compare the simulation with the chain and the Python reference: every payout equals
    `market.payouts` (the contract's rows and the PayoutClaimed events), the contract's error
    counts equal `market.error_counts`, Fig. 2 round by round ends where `market.balances` does,
    every account's balance moved by its books (money and fees), every payout is claimed and the
    contract holds exactly what was not paid out (bounty and stakes: burned). Returns counts and mismatches."""
    s = result.scenario
    provider = managers.provider
    mismatches: list[str] = []
    expected = payouts(e, big_m, s["rounds"] * s["stake"], s["stake"])
    rows = market.participants(market_id)
    onchain = [r["amount"] for r in rows]
    if onchain != expected:
        mismatches.append(f"payouts on chain {onchain} differ from the reference {expected}")
    claimed = [int(ev["amount"]) for ev in sorted((ev for ev in result.events if ev["event"] == "PayoutClaimed"),
                                                   key=lambda ev: int(ev["index"]))]
    if claimed != expected:
        mismatches.append(f"claimed {claimed}, the reference pays {expected}")
    if not all(r["claimed"] for r in rows):
        mismatches.append("a payout is still unclaimed")
    words = [int(market.contract.error_counts(market_id, k)) for k in range((len(e) + 15) // 16)]
    chain_e = [(words[t // 16] >> (16 * (t % 16))) & 0xFFFF for t in range(len(e))]
    if chain_e != e:
        mismatches.append(f"error counts on chain {chain_e} differ from the reference {e}")
    last = balance_rounds(e, s["rounds"], big_m)[-1]
    if last != balances(e, s["rounds"], big_m):
        mismatches.append("Fig. 2 round by round ends elsewhere than market.balances")
    for name, b in result.accounts.items():
        change = int(provider.get_balance(b.address)) - start[name]
        if change != b.net - b.fees:
            mismatches.append(f"{name}: balance changed by {change}, the books say {b.net - b.fees}")
    held = int(provider.get_balance(market.trainer.address))
    burned = s["rounds"] * s["stake"] + len(result.contributions) * s["stake"] - sum(expected)
    if held != burned:
        mismatches.append(f"the contract holds {held} wei, bounty and stakes minus payouts is {burned}")
    if encode_samples([(c.x, c.label) for c in result.contributions]) != encode_samples(market.contributions(market_id)):
        mismatches.append("the contributions on chain differ from the ones sent")
    return {"payouts": len(expected), "accounts": len(result.accounts), "contract_balance_wei": held,
            "mismatches": mismatches[:20], "ok": not mismatches}


def simulate_market(scenario: MarketScenario | None = None, on_progress: Progress | None = None) -> MarketSimulationResult:
    """Run `scenario` (default: 4 honest and 2 bad participants on rotten-tomatoes reviews) on the
    connected local Anvil."""
    return MarketSimulation(scenario or MarketScenario(), on_progress).run()


def sweep_market(base: MarketScenario, key: str, values: Sequence[int],
                 on_cell: Callable[[int, int, int], None] | None = None) -> list[dict[str, Any]]:
    """Run `base` once per value of `key` (one of `SWEEP_FIELDS`; a fresh trainer each) and return
    one row per cell: mean net % of honest and of bad participants, the provider's net, the
    accuracy before and after, whether the books held."""
    if key not in SWEEP_FIELDS:
        raise DecaiError(f"cannot sweep {key!r}; choose from {', '.join(SWEEP_FIELDS)}")
    scenarios = []
    for v in values:
        scenario = copy.deepcopy(base)
        setattr(scenario, key, int(v))
        scenario.validate()
        scenarios.append(scenario)
    rows = []
    for k, scenario in enumerate(scenarios):
        if on_cell:
            on_cell(k, len(scenarios), int(values[k]))
        summary = simulate_market(scenario).summary
        agents = summary["agents"]
        row: dict[str, Any] = {key: int(values[k])}
        for kind in ("honest", "bad"):
            pct = [a["net_pct"] for a in agents.values() if a["kind"] == kind]
            row[f"{kind}_net_pct"] = round(sum(pct) / len(pct), 3) if pct else None
        row.update(
            provider_net_eth=agents[PROVIDER]["net_wei"] / ETHER,
            burned_eth=summary["burned_wei"] / ETHER,
            accuracy_initial=summary["accuracy_initial"],
            accuracy_final=summary["accuracy_final"],
            model_updates=summary["model_updates"],
            books_ok=summary["check"]["ok"],
            wall_seconds=summary["wall_seconds"],
        )
        rows.append(row)
    return rows
