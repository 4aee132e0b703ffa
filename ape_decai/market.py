"""The prediction market (paper III-B, Fig. 2): encodings, commitments and reference computations.

Mirrors `contracts/incentives/prediction_market.vy` bit for bit:

- a *sample* is encoded as a header word ``2 * len(packed) + label`` followed by its packed
  index words (`ape_decai.packing.pack_indices`); a part of the test set, and the list of a
  market's contributions, are runs of such samples;
- ``fold(h, w) = keccak256(h ++ uint256(w))``; a part's hash folds its words starting from its
  salt; the commitment folds the N part hashes starting from 32 zero bytes; the contract folds
  each contribution into ``replay_hash`` the same way;
- the loss is the error rate on the test set; `payouts` runs Fig. 2's B-round loop in exact
  integers with the contract's jumps over rounds in which nobody drops out.

The provider's secrets (salts and parts) are kept by `MarketSecrets` in a JSON file that is
never overwritten.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices, unpack_indices

Sample = tuple[Sequence[int], int]

# Phases, as `markets(id).phase` reports them.
PHASES = {
    0: "none",
    1: "committed",
    2: "drawn",
    3: "participation",
    4: "ended",
    5: "revealed",
    6: "evaluated",
    7: "settled",
    8: "aborted",
}
MAX_PARTS = 256
MAX_PARTICIPANTS = 128
MAX_TEST_SAMPLES = 1024
MAX_TEST_WORDS = 4096
# The fields of `markets(id)`, in order.
MARKET_FIELDS = [
    "provider", "phase", "bounty", "stake", "commitment", "n_parts", "n_reveal", "duration",
    "max_contributions", "reveal_window", "committed_block", "deadline", "ends_at", "drawn", "revealed",
    "n_samples", "n_test_words", "h0_hash", "replay_hash", "contributions", "settled_count", "paid",
    "evaluated_parts",
]


def fold(h: bytes, w: int) -> bytes:
    """keccak256(h ++ w as a 32-byte big-endian word)."""
    return keccak(bytes(h) + int(w).to_bytes(32, "big"))


def encode_sample(indices: Sequence[int], label: int) -> list[int]:
    """Header word then packed indices."""
    words = pack_indices(indices)
    if not 1 <= len(words) <= 8:
        raise ValueError("a sample has 1 to 128 feature indices")
    if label not in (0, 1):
        raise ValueError("label out of range")
    return [2 * len(words) + label, *words]


def encode_samples(samples: Sequence[Sample]) -> list[int]:
    """A run of encoded samples (a part, or a market's contributions)."""
    out: list[int] = []
    for indices, label in samples:
        out += encode_sample(indices, label)
    return out


def decode_samples(words: Sequence[int]) -> list[tuple[list[int], int]]:
    """Inverse of `encode_samples`."""
    out, i = [], 0
    while i < len(words):
        n, label = words[i] >> 1, words[i] & 1
        out.append((unpack_indices(words[i + 1 : i + 1 + n]), label))
        i += 1 + n
    return out


def part_hash(salt: bytes, words: Sequence[int]) -> bytes:
    h = bytes(salt)
    for w in words:
        h = fold(h, w)
    return h


def commitment(part_hashes: Sequence[bytes]) -> bytes:
    c = bytes(32)
    for h in part_hashes:
        c = keccak(c + bytes(h))
    return c


def replay_hash(contribution_words: Sequence[int]) -> bytes:
    """What the contract folds while contributions arrive (over `encode_samples` of them)."""
    return part_hash(bytes(32), contribution_words)


def split(samples: Sequence[Sample], n_parts: int) -> list[list[Sample]]:
    """N parts of (almost) equal size, in order; each part needs at least one sample."""
    if not 1 <= n_parts <= min(MAX_PARTS, len(samples)):
        raise ValueError(f"need 1 <= parts <= min({MAX_PARTS}, number of samples)")
    q, r = divmod(len(samples), n_parts)
    parts, i = [], 0
    for k in range(n_parts):
        size = q + (1 if k < r else 0)
        parts.append(list(samples[i : i + size]))
        i += size
    return parts


def errors(model: SparsePerceptron, samples: Sequence[Sample]) -> int:
    """Number of test samples the model gets wrong (the loss is this over len(samples))."""
    return sum(model.predict(x) != y for x, y in samples)


def error_counts(model: SparsePerceptron, contributions: Sequence[Sample], test: Sequence[Sample]) -> list[int]:
    """E_0..E_T: errors of h_0 (a copy of `model`) and after each contribution."""
    m = SparsePerceptron(model.n_features, model.learning_rate, model.intercept, list(model.weights))
    out = [errors(m, test)]
    for x, y in contributions:
        m.update(x, y)
        out.append(errors(m, test))
    return out


def balances(e: Sequence[int], rounds: int, big_m: int) -> list[int]:
    """Fig. 2's balances in units of stake / M (M = `big_m` test samples), as the contract:
    b_t = M at first; each round b_t += E_t' - E_t (t' the previous participant still in S);
    those under M leave S after the round; rounds in which nobody leaves are jumped over."""
    n = len(e) - 1
    bal = [big_m] * n
    alive = list(range(n))
    while rounds > 0 and alive:
        prev = e[0]
        delta = []
        k = rounds
        for t in alive:
            d = prev - e[t + 1]
            prev = e[t + 1]
            delta.append(d)
            if d < 0:
                k = min(k, (bal[t] - big_m) // (-d) + 1)
        for j, t in enumerate(alive):
            bal[t] += k * delta[j]
        alive = [t for t in alive if bal[t] >= big_m]
        rounds -= k
    return bal


def payouts(e: Sequence[int], n_samples: int, bounty: int, stake: int) -> list[int]:
    """Each participant's payout in wei, as the contract computes it."""
    bal = balances(e, bounty // stake, n_samples)
    return [b * stake // n_samples for b in bal]


@dataclass
class MarketSecrets:
    """What only the provider knows until the reveal: the parts and their salts."""

    parts: list[list[Sample]]
    salts: list[bytes]

    @classmethod
    def create(cls, samples: Sequence[Sample], n_parts: int) -> MarketSecrets:
        parts = split(samples, n_parts)
        return cls(parts=parts, salts=[secrets.token_bytes(32) for _ in parts])

    def part_words(self, k: int) -> list[int]:
        return encode_samples(self.parts[k])

    @property
    def part_hashes(self) -> list[bytes]:
        return [part_hash(s, self.part_words(k)) for k, s in enumerate(self.salts)]

    @property
    def commitment(self) -> bytes:
        return commitment(self.part_hashes)

    @property
    def samples(self) -> list[Sample]:
        return [s for part in self.parts for s in part]

    def reveal_args(self, parts: Sequence[int]) -> tuple:
        """Arguments of the trainer's `reveal` for these parts."""
        sizes, data = [], []
        for k in parts:
            words = self.part_words(k)
            sizes.append(len(words))
            data += words
        return self.part_hashes, list(parts), [self.salts[k] for k in parts], sizes, data

    def evaluate_args(self, first: int = 0, count: int | None = None) -> tuple:
        """(part_hashes, first, salts, sizes, data) of `evaluate_market` for parts
        first .. first + count - 1 (default: from `first` to the last part)."""
        return evaluate_args(self.part_hashes, self.salts, [self.part_words(k) for k in range(len(self.parts))],
                             first, count)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "ape-decai-market-secrets/1",
                "commitment": "0x" + self.commitment.hex(),
                "salts": ["0x" + s.hex() for s in self.salts],
                "parts": [[[list(map(int, x)), int(y)] for x, y in part] for part in self.parts],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> MarketSecrets:
        obj = json.loads(text)
        return cls(
            parts=[[(list(x), int(y)) for x, y in part] for part in obj["parts"]],
            salts=[bytes.fromhex(s.removeprefix("0x")) for s in obj["salts"]],
        )

    def save(self, path: str | Path) -> Path:
        """Write the secrets to `path`; never overwrites (FileExistsError)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.to_json())
        return path

    @classmethod
    def load(cls, path: str | Path) -> MarketSecrets:
        """Read a secrets file; ValueError (one line) if it is missing, unreadable or malformed."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"secrets file {path} does not exist (`ape decai market open` writes it)")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            reason = err.msg if isinstance(err, json.JSONDecodeError) else f"{type(err).__name__}: {err}"
            raise ValueError(
                f"{path} is not a secrets file written by `ape decai market open` ({reason}); "
                "restore the file you kept when you opened the market"
            ) from None


def hostile_parts(caps: dict, features: Sequence[int], sample_size: int) -> list[list[Sample]]:
    """The most expensive test set the market's caps admit against contributions of `features`:
    parts of exactly MAX_PART_FEATURES occurrences, all among `features` (so every update walks
    all of them), in samples of `sample_size` features (the last of a part smaller), as many parts
    as MAX_PARTS, MAX_TEST_WORDS and MAX_TEST_SAMPLES allow. `caps` maps those names (and
    MAX_PART_FEATURES) to the contract's values. Used by the worst-case test and the gas report."""
    parts: list[list[Sample]] = []
    words = samples = k = 0
    while len(parts) < caps["MAX_PARTS"]:
        part: list[Sample] = []
        left = caps["MAX_PART_FEATURES"]
        while left:
            size = min(sample_size, left, len(features))
            part.append((sorted(features[(k + j) % len(features)] for j in range(size)), k % 2))
            k += 1
            left -= size
        part_words = len(encode_samples(part))
        if words + part_words > caps["MAX_TEST_WORDS"] or samples + len(part) > caps["MAX_TEST_SAMPLES"]:
            break
        parts.append(part)
        words += part_words
        samples += len(part)
    return parts


# --- on chain -------------------------------------------------------------------------------------

# The largest evaluation transaction the client sends (the contract bounds one part's cost below it).
EVALUATE_GAS_CAP = 10_000_000

DONE = 7  # phase id of a settled market


def evaluate_args(part_hashes: Sequence[bytes], salts: Sequence[bytes], part_words: Sequence[Sequence[int]],
                  first: int = 0, count: int | None = None) -> tuple:
    """The test-set arguments of `evaluate_market` for parts first .. first + count - 1."""
    end = len(salts) if count is None else first + count
    data = [int(w) for words in part_words[first:end] for w in words]
    return (list(part_hashes), first, list(salts[first:end]), [len(w) for w in part_words[first:end]], data)


def default_secrets_path(trainer_address: str, commitment: bytes) -> Path:
    """Where `open_market` keeps the provider's secrets unless told otherwise:
    <ape data folder>/decai/markets/<trainer>-<first 8 bytes of the commitment>.json."""
    from ape.utils import ManagerAccessMixin

    configured = ManagerAccessMixin.config_manager.get_config("decai").state_dir
    base = Path(configured).expanduser() if configured else ManagerAccessMixin.config_manager.DATA_FOLDER / "decai"
    return base / "markets" / f"{trainer_address}-{commitment[:8].hex()}.json"


class MarketClient:
    """The market of a market trainer (`ape_decai.client.Trainer` with mechanism "market")."""

    def __init__(self, trainer):
        from ape_decai.client import DecaiError

        if trainer.mechanism != "market":
            raise DecaiError(f"{trainer.address} is a {trainer.mechanism} trainer, not a market trainer")
        self.trainer = trainer
        self.contract = trainer.contract

    # --- reads ------------------------------------------------------------------------------

    @property
    def market_id(self) -> int:
        return int(self.contract.market_count())

    def state(self, market_id: int | None = None) -> dict:
        market_id = self.market_id if market_id is None else market_id
        raw = dict(zip(MARKET_FIELDS, self.contract.markets(market_id), strict=True))
        return {k: (v if not isinstance(v, bytes | bytearray) else "0x" + bytes(v).hex()) for k, v in raw.items()}

    def status(self, account: str | None = None) -> dict:
        """Phase, counts, deadlines, drawn parts, and the participants' balances."""
        market_id = self.market_id
        if market_id == 0:
            return {"market_id": 0, "phase": "none"}
        s = self.state(market_id)
        n_parts = s["n_parts"]
        out = {
            "market_id": market_id,
            "phase": PHASES[s["phase"]],
            "provider": s["provider"],
            "bounty": s["bounty"],
            "stake": s["stake"],
            "rounds": s["bounty"] // s["stake"],
            "parts": n_parts,
            "drawn_parts": [k for k in range(n_parts) if s["drawn"] >> k & 1],
            "revealed_parts": sum(1 for k in range(n_parts) if s["revealed"] >> k & 1),
            "test_samples": s["n_samples"],
            "contributions": s["contributions"],
            "max_contributions": s["max_contributions"],
            "participation_ends_at": s["ends_at"],
            "reveal_deadline": s["deadline"],
            "payouts_written": s["settled_count"],
            "paid": s["paid"],
            "balance": int(self.trainer.provider.get_balance(self.trainer.address)),
        }
        out["participants"] = self.participants(market_id, account)
        return out

    def participants(self, market_id: int, account: str | None = None) -> list[dict]:
        s = self.state(market_id)
        phase = PHASES[s["phase"]]
        rows = []
        for t in range(s["contributions"]):
            entry = int(self.contract.participants(market_id, t))
            address = "0x" + (entry & (2**160 - 1)).to_bytes(20, "big").hex()
            if account and address.lower() != str(account).lower():
                continue
            claimable = (entry >> 160) & (2**95 - 1) if phase == "settled" else s["stake"] if phase == "aborted" else None
            rows.append({"index": t, "participant": address, "claimed": bool(entry >> 255), "amount": claimable})
        return rows

    # --- provider ---------------------------------------------------------------------------

    def open(self, secrets: MarketSecrets, n_reveal: int, bounty: int, stake: int, duration: int,
             max_contributions: int, reveal_window: int, secrets_path: str | Path | None, sender):
        """Save the secrets (never overwriting), then commit. Returns (receipt, path)."""
        path = Path(secrets_path) if secrets_path else default_secrets_path(self.trainer.address, secrets.commitment)
        path = secrets.save(path)
        receipt = self.trainer._send(
            self.contract.open_market, stake, secrets.commitment, len(secrets.parts), n_reveal, duration,
            max_contributions, reveal_window, sender=sender, value=bounty,
        )
        return receipt, path

    def draw(self, sender):
        """Draw the parts (anyone). The contract wants a block after the commit; the dry run
        runs on the latest block, so on a local dev chain (which mines only on demand) one
        empty block is mined first; elsewhere, wait for the next block."""
        from ape_decai.client import DecaiError

        if self.trainer.chain.blocks.head.number <= self.state()["committed_block"]:
            if self.trainer.provider.chain_id != 31337:
                raise DecaiError("the draw needs a block after the commit: try again in a few seconds")
            self.trainer.chain.mine(1)
        return self.trainer._send(self.contract.draw_parts, sender=sender)

    def pending_reveal(self) -> list[int]:
        """The parts the phase asks for: the drawn ones, or every part not revealed yet."""
        s = self.state()
        if PHASES[s["phase"]] == "drawn":
            return [k for k in range(s["n_parts"]) if s["drawn"] >> k & 1]
        if PHASES[s["phase"]] == "ended":
            return [k for k in range(s["n_parts"]) if not s["revealed"] >> k & 1]
        return []

    def reveal(self, secrets: MarketSecrets, sender, per_tx: int = 30, progress=None) -> list:
        """Reveal what the phase requires; `progress(done, total)` after each transaction."""
        from ape_decai.client import DecaiError

        s = self.state()
        if "0x" + secrets.commitment.hex() != s["commitment"]:
            raise DecaiError("these secrets do not match the market's commitment")
        todo = self.pending_reveal()
        if not todo:
            raise DecaiError(f"nothing to reveal in phase {PHASES[s['phase']]!r}")
        if PHASES[s["phase"]] == "drawn":
            per_tx = len(todo)  # all at once
        receipts = []
        for i in range(0, len(todo), per_tx):
            receipts.append(self.trainer._send(self.contract.reveal, *secrets.reveal_args(todo[i : i + per_tx]), sender=sender))
            if progress:
                progress(min(i + per_tx, len(todo)), len(todo))
        return receipts

    # --- anyone -----------------------------------------------------------------------------

    def end(self, sender):
        return self.trainer._send(self.contract.end_market, sender=sender)

    def _logs(self, event, market_id: int):
        start = int(self.contract.deployed_at_block())
        return [log for log in event.range(start, self.trainer.chain.blocks.head.number + 1) if log.market_id == market_id]

    def revealed_test_set(self, market_id: int) -> tuple[list[bytes], list[int], list[int]]:
        """(salts, sizes, words) of every part, read back from the reveal transactions' calldata."""
        parts: dict[int, tuple[bytes, list[int]]] = {}
        for log in self._logs(self.contract.TestSetRevealed, market_id):
            tx = self.trainer.provider.web3.eth.get_transaction(log.transaction_hash)
            args = self.contract.decode_input(bytes(tx["input"]))[1]
            i = 0
            for k, salt, size in zip(args["parts"], args["salts"], args["sizes"], strict=True):
                parts[int(k)] = (bytes(salt), [int(w) for w in args["data"][i : i + size]])
                i += size
        ordered = [parts[k] for k in sorted(parts)]
        return [s for s, _ in ordered], [len(w) for _, w in ordered], [w for _, ws in ordered for w in ws]

    def contributions(self, market_id: int) -> list[tuple[list[int], int]]:
        """The market's contributions in order (from `DataAdded`, between opening and end)."""
        opened = self._logs(self.contract.ParticipationOpened, market_id)[0].block_number
        ended = self._logs(self.contract.MarketEnded, market_id)
        last = ended[0].block_number if ended else self.trainer.chain.blocks.head.number
        return [(unpack_indices(log.data), int(log.label)) for log in self.contract.DataAdded.range(opened, last + 1)]

    def initial_model(self, market_id: int) -> tuple[int, list[int]]:
        """h0: the weights when participation opened (historical state at that block)."""
        block = self._logs(self.contract.ParticipationOpened, market_id)[0].block_number
        n_words = (int(self.contract.n_features()) + 15) // 16
        return (
            int(self.contract.intercept(block_id=block)),
            [int(self.contract.weight_words(k, block_id=block)) for k in range(n_words)],
        )

    def evaluate_calls(self, market_id: int, max_gas: int = EVALUATE_GAS_CAP, sender=None):
        """Yield the argument tuples of the `evaluate_market` calls still needed, each for as
        many parts as fit in `max_gas` (halving from all the rest; one part always fits the
        contract's own bound), estimated against the current state."""
        intercept, words = self.initial_model(market_id)
        flat = encode_samples(self.contributions(market_id))
        salts, sizes, data = self.revealed_test_set(market_id)
        part_words, at = [], 0
        for size in sizes:
            part_words.append(data[at : at + size])
            at += size
        hashes = [part_hash(salt, w) for salt, w in zip(salts, part_words, strict=True)]
        while (first := int(self.state(market_id)["evaluated_parts"])) < len(salts):
            count = len(salts) - first
            while count > 1:
                args = (intercept, words, flat, *evaluate_args(hashes, salts, part_words, first, count))
                try:
                    if int(self.contract.evaluate_market.estimate_gas_cost(*args, sender=sender)) <= max_gas:
                        break
                except Exception:  # out of gas at this size: fewer parts
                    pass
                count //= 2
            yield (intercept, words, flat, *evaluate_args(hashes, salts, part_words, first, count))

    def settle(self, sender, per_tx: int = 128, progress=None, max_gas: int = EVALUATE_GAS_CAP) -> list:
        """Evaluate (the parts not evaluated yet, in calls of at most `max_gas`) and write every
        payout; resumable. `progress(done, total)` counts parts, then payouts."""
        from ape_decai.client import DecaiError

        market_id = self.market_id
        s = self.state(market_id)
        phase = PHASES[s["phase"]]
        receipts = []
        total = s["contributions"]
        if phase == "revealed":
            for args in self.evaluate_calls(market_id, max_gas, sender):
                receipts.append(self.trainer._send(self.contract.evaluate_market, *args, sender=sender))
                if progress:
                    progress(args[3] + len(args[4]), s["n_parts"])
            if progress:
                progress(0, total)
        elif phase not in ("evaluated",):
            raise DecaiError(f"cannot settle in phase {phase!r}")
        while PHASES[self.state(market_id)["phase"]] != "settled":
            receipts.append(self.trainer._send(self.contract.settle_market, per_tx, sender=sender))
            if progress:
                progress(self.state(market_id)["settled_count"], total)
        return receipts

    def claim(self, sender, market_id: int | None = None) -> list:
        """Claim every unclaimed payout (or returned stake) of `sender` in a market."""
        from ape_decai.client import DecaiError

        market_id = self.market_id if market_id is None else market_id
        rows = [r for r in self.participants(market_id, sender.address) if not r["claimed"]]
        if not rows:
            raise DecaiError(f"nothing to claim for {sender.address} in market {market_id}")
        if rows[0]["amount"] is None:
            raise DecaiError(f"market {market_id} is not settled yet")
        return [self.trainer._send(self.contract.claim, market_id, r["index"], sender=sender) for r in rows]
