"""The ledger of a trainer from its events alone: every contribution with its fate, and every
account's result (paper section V: the dataset is public through events).

Any client on any node rebuilds it with no local state: `DataAdded` gives the data, label,
contributor, time and deposit; `DepositRefunded` and `DepositTaken` (deposit trainers) or
`DataValidated` (points trainers) say what became of it, joined on the data handler's key
(`records.contribution_key`). `read_records` reads the records themselves (batched calls), which
the ledger must equal.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from ape_decai._ape import managers
from ape_decai.batch import Progress, evaluate
from ape_decai.datasets import FileText
from ape_decai.errors import DecaiError
from ape_decai.packing import unpack_dense, unpack_indices
from ape_decai.records import Record, contribution_key

EVENTS = {
    "DataAdded": "DataAdded(address,uint8,uint256,uint256,uint256[])",
    "DepositRefunded": "DepositRefunded(address,bytes32,uint256)",
    "DepositTaken": "DepositTaken(address,address,bytes32,uint256)",
    "DataValidated": "DataValidated(address,bytes32)",
}
TOPICS = {name: "0x" + keccak(text=signature).hex() for name, signature in EVENTS.items()}
_BY_TOPIC = {topic: name for name, topic in TOPICS.items()}
# Blocks per eth_getLogs request (public nodes cap the range; Anvil does not mind).
LOG_PAGE = 5000
EXPORT_FORMATS = ("csv", "jsonl")


@dataclass
class Take:
    """Part of a deposit someone took: a reporter's share, or what was left after a long wait."""

    taker: str
    amount: int
    time: int
    transaction: str
    claim: bool  # after creator_wait (the creator) or anyone_wait (anyone): not a report


@dataclass
class Entry:
    """One contribution and what became of it."""

    contributor: str
    label: int
    added_at: int
    deposit: int
    data_words: list[int]
    transaction: str
    block: int
    key: bytes
    refunded: int | None = None  # the amount, or None
    refunded_at: int | None = None
    validated: bool = False
    takes: list[Take] = field(default_factory=list)

    @property
    def claimable(self) -> int:
        """What is left of the deposit (what the data handler's record says)."""
        return self.deposit - (self.refunded or 0) - sum(t.amount for t in self.takes)

    @property
    def fate(self) -> str:
        if self.validated:
            return "validated"
        if self.refunded is not None:
            return "refunded"
        if not self.takes:
            return "open" if self.deposit else "kept"
        kinds = {"claimed" if t.claim else "taken" for t in self.takes}
        what = "taken and claimed" if len(kinds) == 2 else kinds.pop()
        return what if self.claimable == 0 else f"partly {what}"


@dataclass
class Ledger:
    """A trainer's contributions, from its events."""

    trainer: str
    classes: list[str]
    entries: list[Entry]
    to_block: int

    def rows(self, encoder: Any = None, input_kind: str = "sparse", n_features: int = 0) -> list[dict]:
        """One JSON-able dict per contribution: the features as the encoder gives them (and the
        vocabulary words, if the encoder has a vocabulary), label, contributor, time, deposit, fate."""
        vocabulary = list(getattr(encoder, "vocabulary", None) or [])
        out = []
        for e in self.entries:
            features = unpack_dense(e.data_words, n_features) if input_kind == "dense" else unpack_indices(e.data_words)
            row: dict[str, Any] = {
                "contributor": e.contributor,
                "label": self.classes[e.label] if e.label < len(self.classes) else e.label,
                "label_index": e.label,
                "added_at": e.added_at,
                "block": e.block,
                "transaction": e.transaction,
                "deposit": e.deposit,
                "fate": e.fate,
                "refunded": e.refunded or 0,
                "taken": sum(t.amount for t in e.takes if not t.claim),
                "claimed": sum(t.amount for t in e.takes if t.claim),
                "claimable": e.claimable,
                "taken_by": [{"taker": t.taker, "amount": t.amount, "claim": t.claim, "time": t.time} for t in e.takes],
                "features": features,
            }
            if vocabulary and input_kind == "sparse":
                row["words"] = " ".join(vocabulary[i] for i in features if i < len(vocabulary))
            out.append(row)
        return out

    def history(self) -> list[dict]:
        """Per account: contributions, deposits paid, refunds, takes, losses and the net deposit
        result (refunds + takes - deposits; open deposits counted apart), best first."""
        accounts: dict[str, dict[str, int]] = {}

        def account(address: str) -> dict[str, int]:
            return accounts.setdefault(
                address,
                {"contributions": 0, "deposits": 0, "refunds": 0, "refunded": 0, "validated": 0, "takes": 0,
                 "taken": 0, "claims": 0, "claimed": 0, "lost": 0, "open": 0},
            )

        for e in self.entries:
            a = account(e.contributor)
            a["contributions"] += 1
            a["deposits"] += e.deposit
            a["open"] += e.claimable
            if e.refunded is not None:
                a["refunds"] += 1
                a["refunded"] += e.refunded
            a["validated"] += int(e.validated)
            for t in e.takes:
                taker = account(t.taker)
                taker["claims" if t.claim else "takes"] += 1
                taker["claimed" if t.claim else "taken"] += t.amount
                a["lost"] += t.amount
        rows: list[dict[str, Any]] = []
        for address, a in accounts.items():
            net = a["refunded"] + a["taken"] + a["claimed"] - a["deposits"]
            rows.append({"account": address, **a, "net": net, "net_if_open_refunded": net + a["open"]})
        rows.sort(key=lambda r: (-r["net"], -r["contributions"], r["account"]))
        for rank, r in enumerate(rows, 1):
            r["rank"] = rank
        return rows


def _logs(address: str, from_block: int, to_block: int) -> list[dict]:
    provider = managers.provider
    topics = [[TOPICS[n] for n in EVENTS]]
    logs: list[dict] = []
    for start in range(from_block, to_block + 1, LOG_PAGE):
        end = min(to_block, start + LOG_PAGE - 1)
        logs.extend(
            provider.make_request(
                "eth_getLogs", [{"address": address, "fromBlock": hex(start), "toBlock": hex(end), "topics": topics}]
            )
        )
    return logs


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def read_ledger(trainer: Any, to_block: int | None = None) -> Ledger:
    """The ledger of `trainer` (a `Trainer`) from its events up to `to_block` (default: head)."""
    trainer.require("contributions")
    chain = managers.chain_manager
    to_block = chain.blocks.head.number if to_block is None else to_block
    params = trainer.parameters()
    creator_wait, anyone_wait = params.get("creator_wait"), params.get("anyone_wait")
    owner = trainer.owner.lower()
    entries: dict[bytes, Entry] = {}
    later: list[tuple[str, dict, int]] = []
    timestamps: dict[int, int] = {}
    for log in _logs(trainer.address, trainer.deployment["block"], to_block):
        topics = [_hex(t) for t in log["topics"]]
        name = _BY_TOPIC.get(topics[0])
        data = bytes.fromhex(_hex(log["data"])[2:])
        who = [to_checksum_address("0x" + t[-40:]) for t in topics[1:]]
        block = _int(log["blockNumber"])
        if name == "DataAdded":
            label, deposit, added_at, words = abi_decode(["uint8", "uint256", "uint256", "uint256[]"], data)
            words = [int(w) for w in words]
            key = contribution_key(words, label, added_at, who[0])
            entries[key] = Entry(who[0], label, added_at, deposit, words, _hex(log["transactionHash"]), block, key)
        elif name is not None:
            later.append((name, {"who": who, "data": data, "tx": _hex(log["transactionHash"])}, block))
    for name, log, block in later:
        if block not in timestamps:
            timestamps[block] = int(chain.provider.get_block(block).timestamp)
        when = timestamps[block]
        if name == "DataValidated":
            (key,) = abi_decode(["bytes32"], log["data"])
            entries[key].validated = True
            continue
        key, amount = abi_decode(["bytes32", "uint256"], log["data"])
        entry = entries.get(key)
        if entry is None:
            raise DecaiError(f"event {name} in transaction {log['tx']} names a contribution no DataAdded event added")
        if name == "DepositRefunded":
            entry.refunded, entry.refunded_at = amount, when
        else:
            taker = log["who"][0]
            age = when - entry.added_at
            claim = (anyone_wait is not None and age >= anyone_wait) or (
                creator_wait is not None and taker.lower() == owner and age >= creator_wait
            )
            entry.takes.append(Take(taker, amount, when, log["tx"], claim))
    ordered = sorted(entries.values(), key=lambda e: (e.block, e.added_at, e.transaction))
    return Ledger(trainer.address, trainer.classes, ordered, to_block)


@dataclass
class AccuracyPoint:
    """The model's accuracy on a test set as it was at one block."""

    block: int
    timestamp: int
    contributions: int  # DataAdded events up to and including this block
    accuracy: float | None  # None if no sample could be scored
    correct: int
    scored: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "timestamp": self.timestamp,
            "contributions": self.contributions,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "scored": self.scored,
        }


def history_blocks(deployed: int, changed: list[int], head: int, points: int = 20) -> list[int]:
    """The blocks to score: at most `points` of the blocks where the model `changed` (evenly
    chosen, the first and last always among them), plus the deploy block and the head, in order."""
    if points < 1:
        raise DecaiError(f"points must be at least 1, not {points}")
    distinct = sorted(set(changed))
    if len(distinct) > points:
        if points == 1:
            distinct = [distinct[-1]]
        else:
            last, gaps = len(distinct) - 1, points - 1  # index i * last / gaps, rounded half up
            distinct = [distinct[(2 * i * last + gaps) // (2 * gaps)] for i in range(points)]
    return sorted({deployed, head, *distinct})


def accuracy_history(
    trainer: Any,
    samples: list[FileText],
    points: int = 20,
    to_block: int | None = None,
    on_progress: Progress | None = None,
) -> list[AccuracyPoint]:
    """The on-chain model's accuracy on labelled `samples` at the blocks where it changed
    (`history_blocks` of the DataAdded events' blocks, the deploy block and `to_block`, default
    the head): each the same `batch.evaluate` as `ape decai evaluate --block N`."""
    ledger = read_ledger(trainer, to_block)
    added = [e.block for e in ledger.entries]
    blocks = history_blocks(int(trainer.deployment["block"]), added, ledger.to_block, points)
    out: list[AccuracyPoint] = []
    for done, block in enumerate(blocks):
        if on_progress:
            on_progress(done, len(blocks), "blocks")
        result = evaluate(trainer, samples, block=block)
        timestamp = int(managers.chain_manager.provider.get_block(block).timestamp)
        contributions = sum(1 for b in added if b <= block)
        out.append(AccuracyPoint(block, timestamp, contributions, result.accuracy, result.correct, result.scored))
    if on_progress:
        on_progress(len(blocks), len(blocks), "blocks")
    return out


def read_records(trainer: Any, keys: list[bytes], batch: int = 500) -> list[Record]:
    """The data handler's records for `keys` (JSON-RPC batches of `records(bytes32)` calls)."""
    web3 = managers.provider.web3
    selector = function_signature_to_4byte_selector("records(bytes32)")
    out: list[Record] = []
    for k in range(0, len(keys), batch):
        requests = [
            ("eth_call", [{"to": str(trainer.address), "data": "0x" + (selector + key).hex()}, "latest"])
            for key in keys[k : k + batch]
        ]
        for response in web3.provider.make_batch_request(requests):
            if "error" in response:
                raise DecaiError(f"records(): {response['error'].get('message')}")
            out.append(Record.unpack(int(response["result"], 16)))
    return out


def export_format(path: str | Path, fmt: str | None = None) -> str:
    """The export format: `fmt`, else from the file's extension (.csv, .jsonl/.json/.ndjson)."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    raise DecaiError(f"cannot tell the format of {path}: name it .csv or .jsonl, or pass --format")


def write_rows(rows: list[dict], path: str | Path, fmt: str, overwrite: bool = False) -> Path:
    """Write the export rows as CSV (lists as JSON text) or JSON lines; FileExistsError if the
    file exists and not `overwrite` (nothing written)."""
    out = Path(path)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite or choose another file")
    if fmt == "jsonl":
        out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        return out
    columns = list(rows[0]) if rows else ["contributor", "label", "added_at", "deposit", "fate"]
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v for k, v in r.items()})
    return out
