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
MARKET_FIELDS = (
    "provider phase bounty stake commitment n_parts n_reveal duration max_contributions reveal_window "
    "committed_block deadline ends_at drawn revealed n_samples n_test_words h0_hash replay_hash "
    "contributions settled_count paid"
).split()


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

    def evaluate_args(self) -> tuple:
        """(salts, sizes, data) of `evaluate_market`: the whole test set, in part order."""
        sizes, data = [], []
        for k in range(len(self.parts)):
            words = self.part_words(k)
            sizes.append(len(words))
            data += words
        return list(self.salts), sizes, data

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
        return cls.from_json(Path(path).read_text())
