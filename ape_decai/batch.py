"""Many texts at once: predict a file, score the on-chain model on a labelled file, contribute one.

- `predict_texts`: every prediction comes from the contract's own `predict`, as `eth_call`s sent
  in JSON-RPC batches (`chain_reads.call_many`): one round trip per `PREDICT_BATCH` texts instead
  of one per text. At a past block (`block=N`) it is the model as it was then: the chain keeps
  every version (the paper's versioning, section V-B).
- `evaluate`: accuracy, per-class precision and recall, and the confusion matrix of those
  predictions against the file's labels.
- `contribute`: `add_data` for each sample in order (the mechanism's deposit quoted for each), or
  for a points trainer `add_data_batch` for up to `MAX_BATCH` samples at a time (about half the
  gas per sample; never the same sample twice in one batch, which the contract would refuse as
  a duplicate: the batch is split there), skipping what the sender already contributed (recognised from the trainer's `DataAdded` events
  by data, label and contributor, so a re-run continues where the last one stopped), and stopping
  at the first refusal with what was sent and what was not.

Texts are encoded with the trainer's own encoder (`Trainer.encode`). Nothing here prints.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import eth_abi
from ape.exceptions import ApeException
from eth_utils import function_signature_to_4byte_selector

from ape_decai._ape import managers
from ape_decai.chain_reads import CallFailed, call_many
from ape_decai.datasets import FileText
from ape_decai.errors import DecaiError, one_line
from ape_decai.units import to_hex

if TYPE_CHECKING:
    from ape_decai.trainers import Trainer

# Texts per JSON-RPC batch of predictions: large enough that the round trips do not matter,
# small enough that a progress bar moves on a file of a few hundred texts.
PREDICT_BATCH = 100

_PREDICT_SELECTOR = function_signature_to_4byte_selector("predict(uint256[])")

# The longest `contribute` waits for the chain's clock to move on before sending a sample it
# has just sent (see `_wait_for_a_later_block_time`), in seconds.
DUPLICATE_WAIT = 30
# Most packed input words (16 sparse features each) one `add-data --file` batch carries: 64 words,
# 1,024 features. A batch trains on every sample, so its gas grows with the features it carries;
# the worst case, every feature in a cold weight word of the sparse perceptron while it updates,
# costs ~23.9k gas a feature (docs/gas.md, `max_input_*`: 6.12M for 256), so a batch stays under
# ~24.5M gas, inside a 30M block: long texts go in smaller batches, never in a transaction no block
# can hold. (Short texts are one word each: the 50-sample batches are unchanged.)
BATCH_WORDS = 64

# `on_progress(done, total, what)`, as the CLI's progress bar takes it.
Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, what: str = "") -> None:
    """The default `on_progress`: nothing."""


def as_input(text: Any) -> str:
    """A file's input as `Trainer.encode` takes it: a text, or a vector of numbers as one text."""
    if isinstance(text, list):
        return ", ".join(repr(float(x)) for x in text)
    return text


def encode_or_reason(trainer: Trainer, text: Any) -> list[int] | str:
    """The packed words of `text`, or why the model cannot read it (a one-line reason)."""
    try:
        return trainer.encode(as_input(text))
    except DecaiError as err:
        return str(err)


def check_block(trainer: Trainer, block: int | None) -> None:
    """DecaiError (one line) unless `block` is None or a block in which the trainer existed."""
    if block is None:
        return
    head = int(managers.chain_manager.blocks.head.number)
    if block > head:
        raise DecaiError(f"block {block} is beyond the head of this chain (block {head})")
    deployed = int(trainer.deployment["block"])
    if block < deployed:
        raise DecaiError(f"block {block} is before this trainer existed (it was deployed in block {deployed})")


def predict_words_many(
    trainer: Trainer, inputs: Sequence[list[int]], block: int | None = None, on_progress: Progress = _no_progress
) -> list[int]:
    """The contract's `predict` of each encoded input, at `block` (None: the latest), in batches."""
    total = len(inputs)
    calldatas = [_PREDICT_SELECTOR + eth_abi.encode(["uint256[]"], [words]) for words in inputs]
    on_progress(0, total, "")
    try:
        results = call_many(
            trainer.address, calldatas, block=block, batch_size=PREDICT_BATCH, on_batch=lambda done: on_progress(done, total, "")
        )
    except CallFailed as err:
        raise DecaiError(f"the model's predict failed on input {err.position + 1}: {err.message}") from None
    labels = []
    for position, data in enumerate(results):
        if len(data) != 32:
            raise DecaiError(f"the model's predict returned {len(data)} bytes for input {position + 1}, not one word")
        labels.append(int.from_bytes(data, "big"))
    return labels


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one input: its label index and name, or why it cannot read it."""

    index: int  # position among the inputs, from 0
    label_index: int | None
    label: str | None
    error: str | None = None

    def row(self, number: int | None = None, where: str = "line") -> dict[str, Any]:
        """As a JSON line: index, label, label index (and where it is in its file, and the error)."""
        out: dict[str, Any] = {"index": self.index}
        if number is not None:
            out[where] = number
        out.update(label=self.label, label_index=self.label_index)
        if self.error is not None:
            out["error"] = self.error
        return out


def predict_texts(
    trainer: Trainer, texts: Sequence[Any], block: int | None = None, on_progress: Progress = _no_progress
) -> list[Prediction]:
    """The model's prediction for every text (a vector of numbers for a dense model), in order.

    A text the model cannot read (empty, no word of the vocabulary, wrong dimension) gets a
    Prediction with `error` set and no label; the others are predicted by the contract.
    """
    check_block(trainer, block)
    encoded = [encode_or_reason(trainer, text) for text in texts]
    readable = {k: e for k, e in enumerate(encoded) if isinstance(e, list)}
    labels = predict_words_many(trainer, list(readable.values()), block, on_progress)
    by_position = dict(zip(readable, labels, strict=True))
    classes = trainer.classes
    out = []
    for k, e in enumerate(encoded):
        if k in by_position:
            out.append(Prediction(k, by_position[k], classes[by_position[k]]))
        else:
            out.append(Prediction(k, None, None, str(e)))
    return out


@dataclass
class Evaluation:
    """How the model (at `block`, None: the latest) labels a labelled file's samples.

    `confusion[true][predicted]` counts the scored samples; `skipped` lists the samples the model
    cannot read, as (line or item number, reason): they are not scored.
    """

    classes: list[str]
    confusion: list[list[int]]
    block: int | None = None
    where: str = "line"
    skipped: list[tuple[int, str]] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return sum(map(sum, self.confusion))

    @property
    def correct(self) -> int:
        return sum(self.confusion[k][k] for k in range(len(self.classes)))

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    def precision(self, k: int) -> float | None:
        """Of the samples predicted as class k, the share that are k (None if none predicted k)."""
        predicted = sum(row[k] for row in self.confusion)
        return self.confusion[k][k] / predicted if predicted else None

    def recall(self, k: int) -> float | None:
        """Of the samples of class k, the share predicted as k (None if the file has none)."""
        support = sum(self.confusion[k])
        return self.confusion[k][k] / support if support else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "samples": self.scored + len(self.skipped),
            "scored": self.scored,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "classes": [
                {"class": name, "precision": self.precision(k), "recall": self.recall(k), "support": sum(self.confusion[k])}
                for k, name in enumerate(self.classes)
            ],
            "confusion": {"rows": "true class", "columns": "predicted class", "matrix": self.confusion},
            "skipped": [{self.where: n, "reason": reason} for n, reason in self.skipped],
        }


def evaluate(
    trainer: Trainer,
    samples: Sequence[FileText],
    block: int | None = None,
    where: str = "line",
    on_progress: Progress = _no_progress,
) -> Evaluation:
    """Score the on-chain model (at `block`) on labelled samples (`datasets.load_labelled_rows`
    with the trainer's classes): every prediction is the contract's `predict`."""
    predictions = predict_texts(trainer, [s.text for s in samples], block, on_progress)
    n = len(trainer.classes)
    confusion = [[0] * n for _ in range(n)]
    skipped = []
    for sample, prediction in zip(samples, predictions, strict=True):
        if prediction.label_index is None:
            skipped.append((sample.number, str(prediction.error)))
        elif sample.label is not None:
            confusion[sample.label][prediction.label_index] += 1
    return Evaluation(list(trainer.classes), confusion, block, where, skipped)


# --- contributing a file ---------------------------------------------------------------------------


@dataclass
class Sent:
    """A sample of the file that was added: where it is in the file, and its transaction
    (`gas_used`: its share of the transaction's gas when several samples shared one)."""

    number: int
    transaction: str
    gas_used: int
    deposit: int


@dataclass
class Contributed:
    """What `contribute` did: the samples sent, those skipped because the sender had already
    contributed them, and, if it stopped early, at which sample and why (nothing after it sent)."""

    total: int
    where: str = "line"
    sent: list[Sent] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    stopped_at: int | None = None
    reason: str | None = None
    not_sent: int = 0

    @property
    def complete(self) -> bool:
        return self.stopped_at is None

    @property
    def transaction_count(self) -> int:
        """How many transactions carried the samples sent (fewer than samples when batched)."""
        return len({s.transaction for s in self.sent})

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": self.total,
            "sent": len(self.sent),
            "already_contributed": len(self.already),
            "not_sent": self.not_sent,
            "complete": self.complete,
            "stopped_at": None if self.stopped_at is None else {self.where: self.stopped_at, "reason": self.reason},
            "last_transaction": self.sent[-1].transaction if self.sent else None,
            "transaction_count": self.transaction_count,
            "gas_used": sum(s.gas_used for s in self.sent),
            "deposits": sum(s.deposit for s in self.sent),
            "transactions": [{self.where: s.number, "transaction": s.transaction, "gas_used": s.gas_used, "deposit": s.deposit} for s in self.sent],
        }

    def summary(self) -> str:
        """One line: what was sent, what was skipped, and where and why it stopped."""
        parts = [f"sent {len(self.sent)} of {self.total} sample(s)"]
        if self.sent:
            parts[0] += f" (last transaction {self.sent[-1].transaction})"
        if self.already:
            parts.append(f"{len(self.already)} already contributed by this account, skipped")
        if not self.complete:
            parts.append(
                f"stopped at {self.where} {self.stopped_at}: {self.reason}; {self.not_sent} not sent "
                "(run the same command again to continue: what was sent is skipped)"
            )
        return "; ".join(parts)


def contributed_by(trainer: Trainer, contributor: str) -> dict[tuple, list[int]]:
    """When `contributor` added each (packed words, label): its `added_at` times, from the
    trainer's `DataAdded` events."""
    head = int(managers.chain_manager.blocks.head.number)
    logs = trainer.contract.DataAdded.range(
        int(trainer.deployment["block"]), head + 1, search_topics={"contributor": contributor}
    )
    out: dict[tuple, list[int]] = {}
    for log in logs:
        args = log.event_arguments
        out.setdefault((tuple(int(w) for w in args["data"]), int(args["label"])), []).append(int(args["added_at"]))
    return out


def encode_samples(trainer: Trainer, samples: Sequence[FileText], where: str = "line") -> list[list[int]]:
    """The packed words of every labelled sample, or a DecaiError naming the first the model
    cannot read (before anything is sent)."""
    out = []
    for sample in samples:
        encoded = encode_or_reason(trainer, sample.text)
        if isinstance(encoded, str):
            raise DecaiError(f"{where} {sample.number}: {encoded}; nothing sent (fix or remove it)")
        if sample.label is None or not 0 <= sample.label < len(trainer.classes):
            raise DecaiError(f"{where} {sample.number}: no label this model knows; nothing sent")
        out.append(encoded)
    return out


def contribute(
    trainer: Trainer,
    samples: Sequence[FileText],
    sender: Any,
    where: str = "line",
    max_deposit: int | None = None,
    deposit: int | None = None,
    on_progress: Progress = _no_progress,
) -> Contributed:
    """Add every labelled sample that `sender` has not contributed yet, in order: one transaction
    each (the deposit quoted for each, see `Trainer.add_words`; `deposit` and `max_deposit` apply
    to each), or for a points trainer batches of up to `max_batch` (`PointsTrainer.add_batch`).
    Every sample is encoded before anything is sent. At the first refusal (the contract, funds,
    `max_deposit`, an interruption) it stops: the result says what was sent and what not (a
    refused batch sends none of its samples)."""
    trainer.require("add-data")
    encoded = encode_samples(trainer, samples, where)
    earlier = contributed_by(trainer, sender.address)
    done = Counter({key: len(times) for key, times in earlier.items()})
    added_at = {key: max(times) for key, times in earlier.items()}  # when each was last added
    result = Contributed(total=len(samples), where=where)
    pending = []
    for sample, words in zip(samples, encoded, strict=True):
        key = _key(sample, words)
        if done[key] > 0:
            done[key] -= 1
            result.already.append(sample.number)
        else:
            pending.append((sample, words))
    batch_size = int(getattr(trainer, "max_batch", 1))  # points trainers take batches
    on_progress(0, len(pending), "")
    for group in batches(pending, batch_size, BATCH_WORDS):
        keys = [_key(sample, words) for sample, words in group]
        try:
            last_added = [added_at[key] for key in keys if key in added_at]
            if last_added:
                _wait_for_a_later_block_time(max(last_added))
            receipt = _send_group(trainer, group, sender, deposit, max_deposit)
        except KeyboardInterrupt:
            reason = "interrupted"
        except (DecaiError, ApeException, ValueError) as err:
            reason = one_line(err)
        else:
            events = receipt.events.filter(trainer.contract.DataAdded)
            shares = _shares(int(receipt.gas_used), len(group))
            for (sample, _), key, event, gas in zip(group, keys, events, shares, strict=True):
                result.sent.append(Sent(sample.number, to_hex(receipt.txn_hash), gas, int(event.deposit)))
                added_at[key] = int(event.added_at)
            on_progress(len(result.sent), len(pending), "")
            continue
        result.stopped_at, result.reason = group[0][0].number, reason
        result.not_sent = len(pending) - len(result.sent)
        break
    return result


def batches(
    pending: Sequence[tuple[FileText, list[int]]], size: int, max_words: int | None = None
) -> list[list[tuple[FileText, list[int]]]]:
    """The samples in order, cut into batches of at most `size` samples and (if given) at most
    `max_words` input words in all (a sample larger than that goes alone), a new batch starting
    wherever a sample (its words and label) is already in the current one: one batch is one
    block, and the contract refuses the same sample from the same account twice in one second."""
    out: list[list[tuple[FileText, list[int]]]] = []
    keys: set[tuple] = set()
    words_in_batch = 0
    for sample, words in pending:
        key = _key(sample, words)
        too_many_words = max_words is not None and words_in_batch + len(words) > max_words
        if not out or len(out[-1]) == size or key in keys or too_many_words:
            out.append([])
            keys, words_in_batch = set(), 0
        out[-1].append((sample, words))
        keys.add(key)
        words_in_batch += len(words)
    return out


def _key(sample: FileText, words: list[int]) -> tuple:
    """What the contract tells contributions apart by (besides contributor and time)."""
    return (tuple(words), int(sample.label or 0))


def _send_group(trainer: Trainer, group: list[tuple[FileText, list[int]]], sender: Any, deposit: int | None, max_deposit: int | None):
    """One sample with `add_words`, several with `add_batch`: the receipt."""
    if len(group) == 1:
        sample, words = group[0]
        return trainer.add_words(words, int(sample.label or 0), sender, deposit=deposit, max_deposit=max_deposit)
    words_list = [words for _, words in group]
    return trainer.add_batch(words_list, [int(sample.label or 0) for sample, _ in group], sender, deposit=deposit)  # type: ignore[attr-defined]


def _shares(gas_used: int, n: int) -> list[int]:
    """A transaction's gas split over its `n` samples (the first takes the remainder): they sum to it."""
    share, rest = divmod(gas_used, n)
    return [share + rest] + [share] * (n - 1)


def _wait_for_a_later_block_time(timestamp: int) -> None:
    """Wait (at most `DUPLICATE_WAIT` seconds) until the next block's time is after `timestamp`.

    The contract keys a contribution by (data, label, time, contributor): the same sample twice
    from one account in one second is refused as a duplicate. A file that holds a sample twice
    (or two texts with the same features) waits for the chain's clock between them; past the
    limit, the contract's refusal stops the run."""
    deadline = time.monotonic() + DUPLICATE_WAIT
    while int(managers.chain_manager.pending_timestamp) <= timestamp and time.monotonic() < deadline:
        time.sleep(0.25)


