"""A state machine over the points mechanism (paper III-A) against a Python model of it.

Four accounts (the creator among them) add good or bad data for free, validate their own
contributions, try to validate someone else's, try to send value along, while time passes in
steps of hours to 40 days (so contributions fall in the same week or in later ones). The
machine predicts every call's outcome from its model of the tallies, of the records and of the
perceptron (the bit-exact reference), and the invariants check after every step:

- the tallies on chain (contributions, labels contributed, active weeks, good data, their
  total) and every record match the model;
- every account's badges on chain equal the badge rules applied to the model's tallies;
- a contribution is validated only after the wait and only when the model agreed;
- nobody validates twice (one DataValidated per contribution, at most);
- no value ever enters or leaves: the balance stays 0, and every payable attempt (add_data or
  validate with value, a plain transfer) reverts.

Each run is 30 steps; the "ci" profile runs 100 of them, "deep" 1,000 (see
`stateful_settings` in tests/conftest.py). Timestamps are pinned one second apart per call, the
chain is snapshot in `@initialize` and restored in `teardown` (Ape isolates per test only).
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

import ape
import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from web3.exceptions import ContractLogicError as Web3ContractLogicError

from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices
from fast_chain import read_views
from strategies import durations

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

MAX_CONTRIBUTIONS = 12
WEEK = 7 * 24 * 60 * 60

# The same kind of small model as the deposit machine: right about the pool at first, pushed
# around by bad data and back by good data, so validations both succeed and fail.
N_FEATURES = 16
_rng = random.Random(31337)
WEIGHTS = [_rng.choice([-4, -3, -1, 1, 3, 4]) for _ in range(N_FEATURES)]
del _rng
POOL = [[0], [1, 2], [3, 4, 5], [0, 6, 7], [8, 9], [10, 11, 12], [13, 14, 15], [2, 5, 8, 11]]
TRUTH = [int(sum(WEIGHTS[i] for i in sample) > 0) for sample in POOL]

CONTRIBUTORS = ["contributor", "other_contributor", "reporter", "creator"]
CONTRIBUTION_ARGS = dict(
    who=st.sampled_from(CONTRIBUTORS),
    sample=st.integers(0, len(POOL) - 1),
    good=st.booleans(),
)
NO_REASON = ""  # a revert without a reason string (value sent to a non-payable function)


# The badge rules of contracts/incentives/points.vy, written again here from its documented
# thresholds (bit k: badge k; the order of ape_decai.trainers.BADGES).
CONTRIBUTION_BADGES = (1, 10, 100, 1000)  # bits 0-3
GOOD_DATA_BADGES = (1, 10, 100)  # bits 4-6
LABEL_BADGE_BIT = 7  # two distinct labels contributed
WEEK_BADGES = (2, 4, 12)  # bits 8-10


def expected_badges(contributions: int, good: int, labels: int, weeks: int) -> int:
    """The badge bitmask the rules give for these tallies (`labels`: the bitmask of labels)."""
    earned = [contributions >= n for n in CONTRIBUTION_BADGES] + [good >= n for n in GOOD_DATA_BADGES]
    earned += [bin(labels).count("1") >= 2] + [weeks >= n for n in WEEK_BADGES]
    return sum(1 << k for k, yes in enumerate(earned) if yes)


@dataclass
class Contribution:
    """What the machine knows of one record."""

    indices: list
    words: list
    label: int
    added_at: int
    contributor: str
    key: bytes
    validated: bool = False


class PointsMachine(RuleBasedStateMachine):
    """The fixtures arrive through the class attribute `env` (set by the test below)."""

    env: SimpleNamespace = None

    def __init__(self):
        super().__init__()
        self.snapshot = None
        self.trainer = None

    @initialize(first=st.lists(st.tuples(*CONTRIBUTION_ARGS.values()), min_size=2, max_size=5))
    def deploy(self, first):
        env = self.env
        self.snapshot = env.chain.snapshot()
        self.trainer = env.trainer  # deployed once by the test: every example starts from it
        self.wait = env.t
        self.accounts = {getattr(env, name).address: getattr(env, name) for name in CONTRIBUTORS}
        self.model = SparsePerceptron(n_features=N_FEATURES, learning_rate=1, intercept=0, weights=list(WEIGHTS))
        self.clock = env.chain.blocks.head.timestamp
        self.records: dict[bytes, Contribution] = {}
        # The tallies as the machine expects them.
        self.contributions = defaultdict(int)
        self.labels = defaultdict(int)  # bitmask of labels contributed
        self.weeks = defaultdict(int)
        self.last_week = {}
        self.good = defaultdict(int)
        # Observed at each successful validation, and DataValidated events per key.
        self.validation_checks = []  # (model agreed, age)
        self.validations = Counter()
        self.state_changes = 0
        self.checked_at = None
        self.badges_checked_at = None
        for args in first:
            self._add(*args)

    def teardown(self):
        if self.snapshot is not None:
            self.env.chain.restore(self.snapshot)

    # --- helpers ----------------------------------------------------------------------------------

    def _tick(self):
        """Pin the next transaction's timestamp: one second after the previous one."""
        self.clock += 1
        self.env.chain.pending_timestamp = self.clock

    def _agrees(self, c: Contribution) -> bool:
        prediction = self.model.predict(c.indices)
        assert self.trainer.predict(c.words) == prediction, "contract and reference disagree"
        return prediction == c.label

    def _expect_revert(self, reason, tx: dict, send):
        """The call must revert with `reason` (NO_REASON: without one). The first time a reason
        comes up through `ape.reverts` (the full path: sign, send, trace), then through
        `eth_estimateGas` on the pending block, which is the same execution in ~4 ms."""
        event(f"reverts: {reason or 'value refused'}")
        if reason not in self.env.reasons_checked_by_ape:
            self.env.reasons_checked_by_ape.add(reason)
            with ape.reverts(reason or None):
                send()
            return
        with pytest.raises(Web3ContractLogicError) as reverted:
            self.env.chain.provider.web3.eth.estimate_gas(tx, "pending")
        expected = f"execution reverted: {reason}" if reason else "execution reverted"
        assert reverted.value.message == expected

    def _tx(self, sender, method=None, args=(), value=0) -> dict:
        data = method.encode_input(*args) if method is not None else b""
        return {"from": sender.address, "to": self.trainer.address, "data": data, "value": value}

    def _pick(self, data, likely) -> Contribution:
        """Any contribution, or (when `likely`) one that its author can validate once the wait
        is over, and then the clock jumps to that age (or a little more) if needed."""
        candidates = []
        if likely:
            candidates = [
                c for c in self.records.values() if not c.validated and self.model.predict(c.indices) == c.label
            ]
        if not candidates:
            return data.draw(st.sampled_from(list(self.records.values())), label="contribution")
        c = data.draw(st.sampled_from(candidates), label="likely contribution")
        due = c.added_at + self.wait + data.draw(st.sampled_from([0, 1, 3600]), label="extra wait")
        if self.clock + 1 < due:
            self.clock = due - 1  # the next tick pins the transaction at `due`
        return c

    # --- rules ------------------------------------------------------------------------------------

    @rule(**CONTRIBUTION_ARGS)
    def add(self, who, sample, good):
        if len(self.records) < MAX_CONTRIBUTIONS:
            self._add(who, sample, good)

    def _add(self, who, sample, good):
        sender = getattr(self.env, who)
        indices = POOL[sample]
        label = TRUTH[sample] if good else 1 - TRUTH[sample]
        words = pack_indices(indices)
        self._tick()
        key = self.env.record_key(words, label, self.clock, sender)
        receipt = self.trainer.add_data(words, label, sender=sender)
        assert receipt.timestamp == self.clock
        assert receipt.events == [
            self.trainer.DataAdded(contributor=sender.address, label=label, deposit=0, added_at=self.clock, data=words)
        ]
        self.state_changes += 1
        changed = self.model.update(indices, label)
        event(f"add_data: {'good' if good else 'bad'} data, model changed: {changed}")
        who = sender.address
        self.contributions[who] += 1
        self.labels[who] |= 1 << label
        week = self.clock // WEEK
        if self.last_week.get(who) != week:
            self.last_week[who] = week
            self.weeks[who] += 1
        self.records[key] = Contribution(indices, words, label, self.clock, who, key)

    @rule(data=st.data(), likely=st.booleans())
    def validate(self, data, likely):
        c = self._pick(data, likely)
        sender = self.accounts[c.contributor]
        self._tick()
        age = self.clock - c.added_at
        agrees = self._agrees(c)
        if c.validated:
            reason = "points: already validated"
        elif age < self.wait:
            reason = "points: validation wait not over"
        elif not agrees:
            reason = "points: model disagrees"
        else:
            reason = None
        args = (c.words, c.label, c.added_at)
        if reason is not None:
            self._expect_revert(
                reason, self._tx(sender, self.trainer.validate, args), lambda: self.trainer.validate(*args, sender=sender)
            )
            return
        receipt = self.trainer.validate(*args, sender=sender)
        assert receipt.timestamp == self.clock
        assert receipt.events == [self.trainer.DataValidated(contributor=c.contributor, key=c.key)]
        event("validate: point earned")
        self.state_changes += 1
        self.validations[c.key] += 1
        self.validation_checks.append((agrees, age))
        c.validated = True
        self.good[c.contributor] += 1

    @rule(data=st.data(), who=st.sampled_from([*CONTRIBUTORS, "stranger"]))
    def validate_someone_elses(self, data, who):
        """The key includes msg.sender: a contribution validated by another address is unknown."""
        c = data.draw(st.sampled_from(list(self.records.values())), label="contribution")
        sender = getattr(self.env, who)
        if sender.address == c.contributor:
            sender = self.env.stranger
        self._tick()
        args = (c.words, c.label, c.added_at)
        self._expect_revert(
            "data_handler: unknown contribution",
            self._tx(sender, self.trainer.validate, args),
            lambda: self.trainer.validate(*args, sender=sender),
        )

    @rule(
        data=st.data(),
        who=st.sampled_from([*CONTRIBUTORS, "stranger"]),
        how=st.sampled_from(["add_data", "validate", "transfer"]),
        amount=st.sampled_from([1, 10**18]),
    )
    def send_value(self, data, who, how, amount):
        """Nothing is payable: value sent along any call, or alone, is refused."""
        sender = getattr(self.env, who)
        self._tick()
        if how == "transfer":
            tx = self._tx(sender, value=amount)
            self._expect_revert(NO_REASON, tx, lambda: sender.transfer(self.trainer, amount))
            return
        if how == "add_data":
            sample = data.draw(st.integers(0, len(POOL) - 1), label="sample")
            args = (pack_indices(POOL[sample]), TRUTH[sample])
            method = self.trainer.add_data
        else:
            c = data.draw(st.sampled_from(list(self.records.values())), label="contribution")
            sender = self.accounts[c.contributor]
            args = (c.words, c.label, c.added_at)
            method = self.trainer.validate
        self._expect_revert(
            NO_REASON, self._tx(sender, method, args, amount), lambda: method(*args, sender=sender, value=amount)
        )

    @rule(seconds=st.one_of(durations, st.integers(1, 3).map(lambda k: k * WEEK)))
    def time_passes(self, seconds):
        event("time passes")
        self.clock += seconds
        self.env.chain.mine(timestamp=self.clock)
        assert self.env.chain.blocks.head.timestamp == self.clock

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def no_value_enters_or_leaves(self):
        if self.trainer is not None:
            assert self.trainer.balance == 0

    @invariant()
    def tallies_and_records_match_the_model(self):
        # Reverted calls and passing time change no state: the reads are skipped then.
        if self.trainer is None or self.checked_at == self.state_changes:
            return
        self.checked_at = self.state_changes
        t = self.trainer
        views = [
            (t, view, address)
            for address in self.accounts
            for view in ("contributions", "labels_contributed", "active_weeks", "good_data_count")
        ]
        values = read_views([*views, (t, "total_good_data"), *((t, "records", key) for key in self.records)])
        expected = [
            tally[address]
            for address in self.accounts
            for tally in (self.contributions, self.labels, self.weeks, self.good)
        ]
        assert values[: len(views)] == expected
        assert values[len(views)] == sum(self.good.values())
        records = values[len(views) + 1 :]
        for (key, c), packed in zip(self.records.items(), records, strict=True):
            assert self.env.unpack_record(packed) == (True, c.validated, 0, 0), key

    @invariant()
    def badges_follow_the_rules_on_the_models_tallies(self):
        # Skipped like the tallies when no state changed since the last check.
        if self.trainer is None or self.badges_checked_at == self.state_changes:
            return
        self.badges_checked_at = self.state_changes
        values = read_views([(self.trainer, "badges", address) for address in self.accounts])
        expected = [
            expected_badges(self.contributions[a], self.good[a], self.labels[a], self.weeks[a]) for a in self.accounts
        ]
        assert values == expected
        event(f"badges: most earned by one account: {max(bin(v).count('1') for v in values)}")

    @invariant()
    def validated_only_after_the_wait_when_the_model_agreed(self):
        assert all(agreed and age >= self.wait for agreed, age in self.validation_checks)

    @invariant()
    def nobody_validates_twice(self):
        assert all(n == 1 for n in self.validations.values())
        assert sum(self.validations.values()) == sum(self.good.values())


def test_points_mechanism(
    deploy_points_trainer,
    chain,
    creator,
    contributor,
    other_contributor,
    reporter,
    stranger,
    record_key,
    unpack_record,
    t,
    stateful_settings,
):
    PointsMachine.env = SimpleNamespace(**locals(), reasons_checked_by_ape=set())
    # One deployment per test, before the examples' snapshots: each example restores to it.
    PointsMachine.env.trainer = deploy_points_trainer(
        n_features=N_FEATURES, weights=WEIGHTS, learning_rate=1, intercept=0, validation_wait=t
    )
    run_state_machine_as_test(PointsMachine, settings=stateful_settings)
