"""The incentive mechanisms' deployment parameters (paper III-A and III-C)."""

from __future__ import annotations

from dataclasses import dataclass

from ape_decai.errors import DecaiError
from ape_decai.units import MAX_UINT256

MAX_DEPOSIT = 2**96 - 1  # what a contribution record holds
MAX_CLONE_WAIT = 2**64  # a clone packs t and td in 64 bits each (stakeable_terms_stored)


@dataclass
class DepositParameters:
    """The deposit mechanism's parameters (paper III-C)."""

    refund_wait: int = 86400  # t: one day
    creator_wait: int = 60 * 86400  # tc = ta: the creator takes nothing before anyone may (docs/experiment.md)
    anyone_wait: int = 60 * 86400  # ta
    cost_weight: int = 10**15 * 60  # wei * seconds: 0.001 ether if the last contribution was a minute ago
    min_deposit: int = 10**12
    min_share: int = 10**12
    # td (paper III-C1): the refund wait of a contribution the model disagreed with when it was
    # added; None: t (off)
    doubt_wait: int | None = None

    @property
    def effective_doubt_wait(self) -> int:
        """td in seconds: `doubt_wait`, or t when it is off."""
        return self.refund_wait if self.doubt_wait is None else self.doubt_wait

    def wait_for(self, doubted: bool) -> int:
        """A contribution's refund wait: td if the model disagreed with it when it was added, else t."""
        return self.effective_doubt_wait if doubted else self.refund_wait

    def validate(self) -> None:
        if not self.refund_wait <= self.creator_wait <= self.anyone_wait:
            raise DecaiError("wait times must satisfy refund-wait <= creator-wait <= anyone-wait")
        if not self.refund_wait <= self.effective_doubt_wait <= self.creator_wait:
            raise DecaiError("doubt-wait must satisfy refund-wait <= doubt-wait <= creator-wait")
        if self.effective_doubt_wait >= MAX_CLONE_WAIT:
            raise DecaiError("refund-wait and doubt-wait must be below 2**64 seconds")
        if not 0 <= self.cost_weight <= MAX_UINT256:
            raise DecaiError("cost-weight is too large (at most 2**256 - 1 wei*s) or negative")
        if not 0 <= self.min_deposit <= MAX_DEPOSIT:
            raise DecaiError("min-deposit is too large (at most 2**96 - 1 wei) or negative")
        if not 0 <= self.min_share <= MAX_DEPOSIT:
            raise DecaiError("min-share is too large (at most 2**96 - 1 wei) or negative")

    def constructor_args(self) -> list[int]:
        """The mechanism's part of the trainer's constructor."""
        self.validate()
        return [
            self.refund_wait, self.creator_wait, self.anyone_wait, self.cost_weight, self.min_deposit, self.min_share,
            self.effective_doubt_wait,
        ]  # fmt: skip


@dataclass
class PointsParameters:
    """The points mechanism's parameters (paper III-A)."""

    validation_wait: int = 86400

    def validate(self) -> None:
        return None

    def constructor_args(self) -> list[int]:
        return [self.validation_wait]


@dataclass
class MarketParameters:
    """A market trainer takes no mechanism parameters at deployment: each market is opened
    later with its own (`MarketTrainer.market.open`)."""

    def validate(self) -> None:
        return None

    def constructor_args(self) -> list[int]:
        return []


Parameters = DepositParameters | PointsParameters | MarketParameters


def default_parameters(mechanism: str) -> Parameters:
    """The defaults of a mechanism's parameters."""
    return {"deposit": DepositParameters, "points": PointsParameters, "market": MarketParameters}[mechanism]()
