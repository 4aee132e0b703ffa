"""The data handler's records, as the chain stores them, and the verdicts built on them.

A contribution is keyed by keccak(abi(keccak(abi(data)), label, added_at, contributor)); its
record packs (exists, refunded, deposit, claimable) in one word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode as abi_encode
from eth_utils import keccak

from ape_decai.packing import unpack_indices

EXISTS_BIT = 1 << 255
REFUNDED_BIT = 1 << 254
DOUBTED_BIT = 1 << 253  # the model disagreed with the label when it was added (doubt wait on)
AMOUNT_MASK = (1 << 96) - 1


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
    doubted: bool = False

    @classmethod
    def unpack(cls, packed: int) -> Record:
        return cls(
            exists=bool(packed & EXISTS_BIT),
            refunded=bool(packed & REFUNDED_BIT),
            deposit=(packed >> 96) & AMOUNT_MASK,
            claimable=packed & AMOUNT_MASK,
            doubted=bool(packed & DOUBTED_BIT),
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

    def row(self) -> dict:
        """The verdict as one JSON-able row (what `--json` prints)."""
        return {
            "transaction": self.contribution.transaction_hash,
            "label": self.contribution.label,
            "contributor": self.contribution.contributor,
            "possible": self.possible,
            "reason": self.reason,
            "amount": self.amount,
        }
