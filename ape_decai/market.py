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

import eth_abi
from ape.exceptions import ApeException
from eth_utils import keccak

from ape_decai._ape import managers
from ape_decai.encoders import truncate
from ape_decai.errors import DecaiError
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices, unpack_indices
from ape_decai.units import countdown, iso_time, to_hex, when

Sample = tuple[Sequence[int], int]
# The most feature indices one test-set sample holds: its header counts at most 8 packed words of
# 16. The market's own bound (what one evaluation transaction is sized for), which may be lower
# than the trainer's per-contribution maximum: a longer test sample is cut by the encoders' same
# policy (`encoders.truncate`: its lowest indices).
MAX_SAMPLE_FEATURES = 128

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
# The contract's caps (MAX_PARTS, MAX_TEST_WORDS, ...) are not repeated here: `MarketClient.limits`
# reads them from the trainer, whose constants are the only authority.
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
    """N parts of (almost) equal size, in order; each part needs at least one sample.
    Off chain only: the contract's cap on N (MAX_PARTS) is checked by `MarketClient.open`."""
    if not 1 <= n_parts <= len(samples):
        raise ValueError(f"need 1 <= parts <= number of samples ({len(samples)})")
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
                "commitment": to_hex(self.commitment),
                "salts": [to_hex(s) for s in self.salts],
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
# Phases in which `abort_market` is allowed once `deadline` has passed. A contract with a
# settlement deadline (the public constant SETTLEMENT_WINDOW) also allows it after every part
# is revealed, while the market is not settled.
ABORTABLE = ("committed", "drawn", "ended")
ABORTABLE_WITH_SETTLEMENT_WINDOW = (*ABORTABLE, "revealed", "evaluated")
# The contract's caps, read by name (`MarketClient.limits`).
LIMITS = ("MAX_PARTS", "MAX_PARTICIPANTS", "MAX_TEST_SAMPLES", "MAX_TEST_WORDS", "MAX_PART_WORDS",
          "MAX_PART_FEATURES", "MAX_CONTRIBUTION_DATA_WORDS", "MAX_MODEL_WORDS", "MAX_WINDOW")


def evaluate_args(part_hashes: Sequence[bytes], salts: Sequence[bytes], part_words: Sequence[Sequence[int]],
                  first: int = 0, count: int | None = None) -> tuple:
    """The test-set arguments of `evaluate_market` for parts first .. first + count - 1."""
    end = len(salts) if count is None else first + count
    data = [int(w) for words in part_words[first:end] for w in words]
    return (list(part_hashes), first, list(salts[first:end]), [len(w) for w in part_words[first:end]], data)


def default_secrets_path(trainer_address: str, commitment: bytes) -> Path:
    """Where `open_market` keeps the provider's secrets unless told otherwise:
    <ape data folder>/decai/markets/<trainer>-<first 8 bytes of the commitment>.json."""
    configured = managers.config_manager.get_config("decai").state_dir
    base = Path(configured).expanduser() if configured else managers.config_manager.DATA_FOLDER / "decai"
    return base / "markets" / f"{trainer_address}-{commitment[:8].hex()}.json"


def model_hash(intercept: int, words: Sequence[int]) -> bytes:
    """keccak256(abi_encode(int256 intercept, uint256[] words)): the contract's snapshot of h0."""
    return keccak(eth_abi.encode(["int256", "uint256[]"], [int(intercept), [int(w) for w in words]]))


class MarketClient:
    """The market of a market trainer (`ape_decai.client.Trainer` with mechanism "market")."""

    def __init__(self, trainer):
        if trainer.mechanism != "market":
            raise DecaiError(f"{trainer.address} is a {trainer.mechanism} trainer, not a market trainer")
        self.trainer = trainer
        self.contract = trainer.contract

    # --- reads ------------------------------------------------------------------------------

    @property
    def market_id(self) -> int:
        return int(self.contract.market_count())

    def state(self, market_id: int | None = None) -> dict:
        """The fields of `markets(id)` by name (the ABI's names, so a contract with more or other
        fields reads right; bytes as 0x-hex). Read optional fields with `.get`."""
        market_id = self.market_id if market_id is None else market_id
        result = self.contract.markets(market_id)
        if hasattr(result, "items"):
            raw = dict(result.items())
        else:
            raw = dict(zip(MARKET_FIELDS, result, strict=True))
        return {k: (v if not isinstance(v, bytes | bytearray) else to_hex(v)) for k, v in raw.items()}

    def _has(self, name: str) -> bool:
        return any(m.name == name for m in self.contract.contract_type.view_methods)

    def constant(self, name: str) -> int | None:
        """A public constant of the trainer (e.g. "MAX_TEST_WORDS"), or None if it has none."""
        return int(getattr(self.contract, name)()) if self._has(name) else None

    def limits(self) -> dict[str, int]:
        """The contract's caps it exports (`LIMITS`), by name."""
        out = {}
        for name in LIMITS:
            v = self.constant(name)
            if v is not None:
                out[name] = v
        return out

    def now(self) -> int:
        """The chain's time: the latest block's timestamp (what a dry run sees)."""
        return int(self.trainer.chain.blocks.head.timestamp)

    def abortable_phases(self) -> tuple[str, ...]:
        return ABORTABLE_WITH_SETTLEMENT_WINDOW if self._has("SETTLEMENT_WINDOW") else ABORTABLE

    def deadline_kind(self, phase: str) -> str | None:
        """What `deadline` means in this phase: "reveal", "settlement" or None."""
        if phase in ABORTABLE:
            return "reveal"
        if phase in self.abortable_phases():
            return "settlement"
        return None

    def abort_problem(self, s: dict | None = None) -> str | None:
        """Why `abort_market` is not possible now (one line), or None if it is."""
        market_id = self.market_id
        s = self.state(market_id) if s is None else s
        phase = PHASES.get(s["phase"], str(s["phase"]))
        if market_id == 0 or phase == "none":
            return "there is no market to abort"
        if phase in ("settled", "aborted"):
            return f"market {market_id} is already {phase}"
        if phase not in self.abortable_phases():
            return f"market {market_id} cannot be aborted in phase {phase!r}: {self.next_action(s)[0]}"
        now, deadline = self.now(), int(s["deadline"])
        if now <= deadline:
            kind = self.deadline_kind(phase)
            return (f"market {market_id} cannot be aborted yet (phase {phase!r}): the {kind} deadline is "
                    f"{when(deadline, now)}; abort is possible after it if the provider misses it")
        return None

    def _deadline_missed(self, s: dict) -> str | None:
        """'the reveal deadline passed on <date> (<ago>)' if the market may be aborted now."""
        phase = PHASES.get(s["phase"], "")
        if phase not in self.abortable_phases():
            return None
        now, deadline = self.now(), int(s["deadline"])
        if now <= deadline:
            return None
        return f"the {self.deadline_kind(phase)} deadline passed on {iso_time(deadline)} ({countdown(deadline, now)})"

    def next_action(self, s: dict | None = None, participants: list[dict] | None = None) -> tuple[str, str | None]:
        """(what to do next, in one line; the command that does it, or None)."""
        market_id = self.market_id
        s = self.state(market_id) if s is None else s
        phase = PHASES.get(s["phase"], str(s["phase"]))
        now = self.now()
        missed = self._deadline_missed(s)
        if missed:
            return (f"{missed}: anyone may `ape decai market abort`, then `ape decai claim` returns each "
                    "participant's stake", "ape decai market abort")
        if market_id == 0 or phase == "none":
            return ("no market yet: the provider opens one with `ape decai market open --test-set FILE "
                    "--bounty B --stake S`", "ape decai market open")
        if phase == "committed":
            return (f"draw: `ape decai market draw` (anyone); the provider then reveals the drawn parts with "
                    f"`ape decai reveal` before {when(s['deadline'], now)}", "ape decai market draw")
        if phase == "drawn":
            return (f"the provider reveals the drawn parts with `ape decai reveal` before "
                    f"{when(s['deadline'], now)}", "ape decai reveal")
        if phase == "participation":
            if s["contributions"] >= s["max_contributions"] or now >= s["ends_at"]:
                return "participation is over: end it with `ape decai market end` (anyone)", "ape decai market end"
            return (f"participation open until {when(s['ends_at'], now)}, {s['contributions']} of "
                    f"{s['max_contributions']} contributions so far: `ape decai add-data TEXT --label LABEL` stakes "
                    "one unit", "ape decai add-data")
        if phase == "ended":
            return (f"the provider reveals the rest of the test set with `ape decai reveal` before "
                    f"{when(s['deadline'], now)}", "ape decai reveal")
        if phase in ("revealed", "evaluated"):
            before = f" before {when(s['deadline'], now)}" if self.deadline_kind(phase) == "settlement" else ""
            verb = "settle" if phase == "revealed" else "finish settling"
            return f"{verb}: `ape decai market settle` (anyone){before}", "ape decai market settle"
        if participants is None:
            participants = self.participants(market_id)
        if any(not r["claimed"] for r in participants):
            what = "their payout" if phase == "settled" else "their stake back (the bounty is burned)"
            return f"claim: each participant takes {what} with `ape decai claim`", "ape decai claim"
        return f"market {market_id} is {phase} and fully claimed: a new market may be opened", "ape decai market open"

    def status(self, account: str | None = None) -> dict:
        """Phase, counts, deadlines (Unix and UTC ISO), drawn parts, the participants' balances,
        and the next possible action."""
        market_id = self.market_id
        now = self.now()
        if market_id == 0:
            text, command = self.next_action({"phase": 0})
            return {"market_id": 0, "phase": "none", "now": now, "now_iso": iso_time(now),
                    "next_action": text, "next_command": command}
        s = self.state(market_id)
        n_parts = s["n_parts"]
        phase = PHASES.get(s["phase"], str(s["phase"]))
        out = {
            "market_id": market_id,
            "phase": phase,
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
            "now": now,
            "now_iso": iso_time(now),
            "participation_ends_at_iso": iso_time(s["ends_at"]),
            "deadline": s["deadline"],
            "deadline_iso": iso_time(s["deadline"]),
            "deadline_kind": self.deadline_kind(phase),
            "deadline_passed": self.deadline_kind(phase) is not None and now > s["deadline"],
            "abortable": self.abort_problem(s) is None,
        }
        everyone = self.participants(market_id)
        out["next_action"], out["next_command"] = self.next_action(s, everyone)
        out["participants"] = [r for r in everyone if not account or r["participant"].lower() == str(account).lower()]
        return out

    def participants(self, market_id: int, account: str | None = None) -> list[dict]:
        s = self.state(market_id)
        phase = PHASES[s["phase"]]
        rows = []
        for t in range(s["contributions"]):
            entry = int(self.contract.participants(market_id, t))
            address = to_hex((entry & (2**160 - 1)).to_bytes(20, "big"))
            if account and address.lower() != str(account).lower():
                continue
            claimable = (entry >> 160) & (2**95 - 1) if phase == "settled" else s["stake"] if phase == "aborted" else None
            rows.append({"index": t, "participant": address, "claimed": bool(entry >> 255), "amount": claimable})
        return rows

    # --- provider ---------------------------------------------------------------------------

    def check_open_parameters(self, n_parts: int, n_reveal: int, bounty: int, stake: int, duration: int,
                              max_contributions: int, reveal_window: int) -> None:
        """The market's parameters against the contract's caps and rules: DecaiError (one line)."""
        lim = self.limits()
        market_id = self.market_id
        phase = PHASES.get(self.state(market_id)["phase"], "?") if market_id else "none"
        if phase not in ("none", "settled", "aborted"):
            raise DecaiError(f"market {market_id} is still running (phase {phase!r}): a new market opens once it is "
                             f"settled or aborted; next: {self.next_action()[0]}")
        if not self.contract.sealed():
            raise DecaiError("the trainer's model is not sealed: its owner seals it before a market opens")
        n_features = int(self.contract.n_features())
        if "MAX_MODEL_WORDS" in lim and n_features > lim["MAX_MODEL_WORDS"] * 16:
            raise DecaiError(f"this model has {n_features} features: a market replays at most "
                             f"{lim['MAX_MODEL_WORDS'] * 16} (MAX_MODEL_WORDS)")
        if not 1 <= n_parts <= lim["MAX_PARTS"]:
            raise DecaiError(f"{n_parts} parts: the contract takes 1 to {lim['MAX_PARTS']} (MAX_PARTS)")
        if not 0 <= n_reveal <= n_parts:
            raise DecaiError(f"{n_reveal} parts to reveal early: at most the number of parts ({n_parts})")
        if stake <= 0:
            raise DecaiError("the stake must be more than 0 wei")
        if bounty <= 0 or bounty % stake:
            raise DecaiError(f"the bounty ({bounty} wei) must be a positive multiple of the stake ({stake} wei): "
                             "it pays bounty / stake rounds")
        longest = lim.get("MAX_WINDOW")
        if duration <= 0 or (longest and duration > longest):
            raise DecaiError(f"participation needs a time limit of 1 second to {longest} seconds (MAX_WINDOW)"
                             if longest else "participation needs a time limit of more than 0 seconds")
        if reveal_window <= 0 or (longest and reveal_window > longest):
            raise DecaiError(f"the reveal window must be 1 second to {longest} seconds (MAX_WINDOW)"
                             if longest else "the reveal window must be more than 0 seconds")
        if not 1 <= max_contributions <= lim["MAX_PARTICIPANTS"]:
            raise DecaiError(f"{max_contributions} contributions at most: the contract takes 1 to "
                             f"{lim['MAX_PARTICIPANTS']} (MAX_PARTICIPANTS)")

    def check_test_set(self, secrets: MarketSecrets) -> None:
        """The test set against the contract's caps and the model (what the reveal will check)."""
        lim = self.limits()
        n_features = int(self.contract.n_features())
        samples = secrets.samples
        if len(samples) > lim["MAX_TEST_SAMPLES"]:
            raise DecaiError(f"{len(samples)} test samples: the contract takes at most {lim['MAX_TEST_SAMPLES']} "
                             "(MAX_TEST_SAMPLES)")
        for j, (indices, label) in enumerate(samples):
            bad = [i for i in indices if not 0 <= int(i) < n_features]
            if bad:
                raise DecaiError(f"test sample {j} has feature index {bad[0]}: this model has {n_features} "
                                 f"features (0 to {n_features - 1})")
            if len(set(indices)) != len(indices):
                raise DecaiError(f"test sample {j} repeats a feature index")
            try:
                encode_sample(sorted(indices), int(label))
            except ValueError as err:
                raise DecaiError(f"test sample {j}: {err}") from None
        if any(not part for part in secrets.parts):
            raise DecaiError("every part needs at least one sample")
        sizes = [len(secrets.part_words(k)) for k in range(len(secrets.parts))]
        if sum(sizes) > lim["MAX_TEST_WORDS"]:
            raise DecaiError(f"the test set takes {sum(sizes)} words (a header and the packed indices of each sample): "
                             f"the contract takes at most {lim['MAX_TEST_WORDS']} (MAX_TEST_WORDS); use fewer or "
                             "shorter samples")
        features = [sum(len(x) for x, _ in part) for part in secrets.parts]
        if "MAX_PART_FEATURES" in lim and max(features) > lim["MAX_PART_FEATURES"]:
            k = features.index(max(features))
            raise DecaiError(f"part {k} holds {features[k]} feature occurrences: the contract takes at most "
                             f"{lim['MAX_PART_FEATURES']} a part (MAX_PART_FEATURES, what one evaluation "
                             "transaction can take); use more parts")

    def encode_test_set(self, samples: Sequence[tuple[str, int]]) -> list[Sample]:
        """Labelled texts -> the samples a market takes: each text encoded with the trainer's
        encoder (sorted, unique indices), at most its `MAX_SAMPLE_FEATURES` lowest indices kept
        (what a sample's header can say; the encoders' truncation policy); texts with no known
        word are left out."""
        encoded: list[Sample] = []
        for text, label in samples:
            indices = truncate(self.trainer.encoder.encode(text), MAX_SAMPLE_FEATURES)
            if indices:
                encoded.append((indices, int(label)))
        return encoded

    def secrets_for(self, samples: Sequence[tuple[str, int]], n_parts: int) -> MarketSecrets:
        """A provider's new secrets: `samples` (labelled texts) encoded, split in `n_parts` parts
        and salted. DecaiError if fewer than `n_parts` texts are usable."""
        encoded = self.encode_test_set(samples)
        if len(encoded) < n_parts:
            raise DecaiError(f"{len(encoded)} usable samples (with at least one known word): fewer than --parts {n_parts}")
        return MarketSecrets.create(encoded, n_parts)

    def open(self, secrets: MarketSecrets, n_reveal: int, bounty: int, stake: int, duration: int,
             max_contributions: int, reveal_window: int, secrets_path: str | Path | None, sender):
        """Check everything (the contract's caps, then a dry run of the commit), save the secrets
        (never overwriting), then commit. Returns (receipt, path). Nothing is saved or sent if a
        check fails."""
        self.check_open_parameters(len(secrets.parts), n_reveal, bounty, stake, duration, max_contributions,
                                   reveal_window)
        self.check_test_set(secrets)
        args = (stake, secrets.commitment, len(secrets.parts), n_reveal, duration, max_contributions, reveal_window)
        if sender.balance <= bounty:
            raise DecaiError(f"insufficient funds: {sender.address} holds {sender.balance} wei, the bounty is {bounty} wei")
        self.contract.open_market.call(*args, sender=sender, value=bounty, skip_trace=True)  # a refusal: one line, nothing saved
        path = Path(secrets_path) if secrets_path else default_secrets_path(self.trainer.address, secrets.commitment)
        path = secrets.save(path)
        receipt = self.trainer._send(self.contract.open_market, *args, sender=sender, value=bounty)
        return receipt, path

    def draw(self, sender):
        """Draw the parts (anyone). The contract wants a block after the commit; the dry run
        runs on the latest block, so on a local dev chain (which mines only on demand) one
        empty block is mined first; elsewhere, wait for the next block."""
        market_id = self.market_id
        s = self.state(market_id)
        phase = PHASES.get(s["phase"], str(s["phase"]))
        if phase != "committed":
            if market_id and phase not in ("none", "settled", "aborted"):
                drawn = [k for k in range(s["n_parts"]) if s["drawn"] >> k & 1]
                raise DecaiError(f"market {market_id} is already drawn (parts {drawn}, phase {phase!r}); "
                                 f"next: {self.next_action(s)[0]}")
            raise DecaiError(f"there is no market to draw (phase {phase!r}): the provider opens one with "
                             "`ape decai market open`")
        if self.trainer.chain.blocks.head.number <= s["committed_block"]:
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

    def check_reveal(self, secrets: MarketSecrets, allow_committed: bool = False) -> None:
        """DecaiError (one line) if these secrets cannot reveal anything now; with
        `allow_committed`, a market still to be drawn passes (the caller draws first)."""
        s = self.state()
        if to_hex(secrets.commitment) != s["commitment"]:
            raise DecaiError("these secrets do not match the market's commitment")
        missed = self._deadline_missed(s)
        if missed:
            raise DecaiError(f"{missed}: the market can only be aborted now (`ape decai market abort`)")
        if not self.pending_reveal() and not (allow_committed and PHASES[s["phase"]] == "committed"):
            raise DecaiError(f"nothing to reveal in phase {PHASES[s['phase']]!r}")

    def reveal(self, secrets: MarketSecrets, sender, per_tx: int = 30, progress=None) -> list:
        """Reveal what the phase requires; `progress(done, total)` after each transaction."""
        self.check_reveal(secrets)
        s = self.state()
        todo = self.pending_reveal()
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

    def abort(self, sender):
        """Abort the market after a missed deadline (anyone): every participant can then claim
        the stake back; the bounty is burned (stays in the contract). DecaiError (nothing sent) saying why not, if
        it is not possible now."""
        problem = self.abort_problem()
        if problem:
            raise DecaiError(problem)
        return self.trainer._send(self.contract.abort_market, sender=sender)

    def _logs(self, event, market_id: int):
        start = int(self.contract.deployed_at_block())
        return [log for log in event.range(start, self.trainer.chain.blocks.head.number + 1) if log.market_id == market_id]

    def _reveal_inputs(self, txn_hash) -> list[bytes]:
        """The calldata of every successful `reveal` call to the trainer in a transaction: its own
        input if sent to the trainer, else (a contract wallet, a multisig) the calls found in its
        call trace (`debug_traceTransaction` with the callTracer)."""
        tx = self.trainer.provider.web3.eth.get_transaction(txn_hash)
        trainer = self.trainer.address.lower()
        if tx["to"] is not None and str(tx["to"]).lower() == trainer:
            return [bytes(tx["input"])]
        selector = bytes(self.contract.reveal.encode_input([], [], [], [], [])[:4])
        try:
            trace = self.trainer.provider.make_request("debug_traceTransaction", [to_hex(txn_hash), {"tracer": "callTracer"}])
        except Exception as err:  # noqa: BLE001  (any provider error: say what is needed)
            raise DecaiError(
                f"the reveal transaction {to_hex(txn_hash)} was sent through a contract ({tx['to']}): reading the test set "
                f"from it needs a node that supports debug_traceTransaction with the callTracer ({err})"
            ) from None
        found: list[bytes] = []

        def walk(frame: dict) -> None:
            if frame.get("error"):
                return  # reverted: nothing in it happened
            data = bytes.fromhex(str(frame.get("input", "0x"))[2:])
            if frame.get("type") == "CALL" and str(frame.get("to", "")).lower() == trainer and data[:4] == selector:
                found.append(data)
            for sub in frame.get("calls") or []:
                walk(sub)

        walk(dict(trace))
        return found

    def revealed_test_set(self, market_id: int) -> tuple[list[bytes], list[int], list[int]]:
        """(salts, sizes, words) of every part, read back from the reveal calls' calldata (the
        transactions' input, or the inner call when the provider is a contract)."""
        parts: dict[int, tuple[bytes, list[int]]] = {}
        seen = set()
        for log in self._logs(self.contract.TestSetRevealed, market_id):
            key = str(log.transaction_hash).lower()
            if key in seen:
                continue
            seen.add(key)
            for calldata in self._reveal_inputs(log.transaction_hash):
                args = self.contract.reveal.decode_input(calldata)[1]
                i = 0
                for k, salt, size in zip(args["parts"], args["salts"], args["sizes"], strict=True):
                    parts[int(k)] = (bytes(salt), [int(w) for w in args["data"][i : i + size]])
                    i += size
        s = self.state(market_id)
        missing = [k for k in range(s["n_parts"]) if k not in parts]
        if missing:
            raise DecaiError(f"the reveal calls of parts {missing} were not found in the revealing transactions")
        ordered = [parts[k] for k in sorted(parts)]
        return [s for s, _ in ordered], [len(w) for _, w in ordered], [w for _, ws in ordered for w in ws]

    def contributions(self, market_id: int) -> list[tuple[list[int], int]]:
        """The market's contributions in order (from `DataAdded`, between opening and end)."""
        opened = self._logs(self.contract.ParticipationOpened, market_id)[0].block_number
        ended = self._logs(self.contract.MarketEnded, market_id)
        last = ended[0].block_number if ended else self.trainer.chain.blocks.head.number
        return [(unpack_indices(log.data), int(log.label)) for log in self.contract.DataAdded.range(opened, last + 1)]

    def initial_model(self, market_id: int) -> tuple[int, list[int]]:
        """h0: the weights when participation opened, checked against the event's hash.

        Read at the end of the block *before* the reveal that opened participation: a market
        trainer's model is sealed before any market opens, and then only contributions change
        it, which the contract takes only during participation. So nothing changes it between
        that block and the reveal, whereas contributions may follow the reveal in its own block.
        """
        opened = self._logs(self.contract.ParticipationOpened, market_id)[0]
        block = int(opened.block_number) - 1
        n_words = (int(self.contract.n_features()) + 15) // 16
        intercept = int(self.contract.intercept(block_id=block))
        words = [int(self.contract.weight_words(k, block_id=block)) for k in range(n_words)]
        expected = bytes(opened.initial_model_hash)
        if model_hash(intercept, words) != expected:
            raise DecaiError(
                f"wrong initial model: the weights read at block {block} (before participation opened in block "
                f"{opened.block_number}) do not hash to the snapshot 0x{expected.hex()}; does this node keep the "
                "state of old blocks (an archive node)?"
            )
        return intercept, words

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
                except ApeException:  # out of gas at this size: fewer parts
                    pass
                count //= 2
            yield (intercept, words, flat, *evaluate_args(hashes, salts, part_words, first, count))

    def settle(self, sender, per_tx: int = 128, progress=None, max_gas: int = EVALUATE_GAS_CAP) -> list:
        """Evaluate (the parts not evaluated yet, in calls of at most `max_gas`) and write every
        payout; resumable. `progress(done, total)` counts parts, then payouts."""
        market_id = self.market_id
        s = self.state(market_id)
        phase = PHASES[s["phase"]]
        receipts = []
        total = s["contributions"]
        if phase == "revealed":
            for args in self.evaluate_calls(market_id, max_gas, sender):
                receipts.append(self.trainer._send(self.contract.evaluate_market, *args, sender=sender))
                if progress:
                    progress(args[4] + len(args[5]), s["n_parts"])  # (.., first, salts, ..)
            if progress:
                progress(0, total)
        elif phase not in ("evaluated",):
            raise DecaiError(f"cannot settle in phase {phase!r}")
        while PHASES[self.state(market_id)["phase"]] != "settled":
            receipts.append(self.trainer._send(self.contract.settle_market, per_tx, sender=sender))
            if progress:
                progress(self.state(market_id)["settled_count"], total)
        return receipts


    def settle_problem(self) -> str | None:
        """Why `settle` cannot run now, as one actionable line (None if it can)."""
        market_id = self.market_id
        s = self.state(market_id)
        phase = PHASES.get(s["phase"], str(s["phase"]))
        if phase in ("revealed", "evaluated"):
            return None
        if market_id == 0 or phase == "none":
            return "there is no market to settle"
        if phase == "settled":
            return f"market {market_id} is already settled: each participant claims with `ape decai claim`"
        if phase == "aborted":
            return f"market {market_id} was aborted: `ape decai claim` returns each participant's stake"
        missed = self._deadline_missed(s)
        if missed:
            return (f"cannot settle market {market_id}: {missed} before the test set was revealed: run "
                    "`ape decai market abort`, then `ape decai claim` returns each participant's stake")
        return f"cannot settle market {market_id} in phase {phase!r} yet; next: {self.next_action(s)[0]}"

    def claim(self, sender, market_id: int | None = None) -> list:
        """Claim every unclaimed payout (or returned stake) of `sender` in a market."""
        market_id = self.market_id if market_id is None else market_id
        rows = [r for r in self.participants(market_id, sender.address) if not r["claimed"]]
        if not rows:
            raise DecaiError(f"nothing to claim for {sender.address} in market {market_id}")
        if rows[0]["amount"] is None:
            s = self.state(market_id)
            missed = self._deadline_missed(s)
            if missed:
                raise DecaiError(f"market {market_id} is not settled: {missed}: run `ape decai market abort`, then "
                                 "`ape decai claim` returns your stake")
            phase = PHASES.get(s["phase"], str(s["phase"]))
            raise DecaiError(f"market {market_id} is not settled yet (phase {phase!r}); next: {self.next_action(s)[0]}")
        return [self.trainer._send(self.contract.claim, market_id, r["index"], sender=sender) for r in rows]
