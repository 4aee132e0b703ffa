"""A state machine over the deposit mechanism (paper III-C) against a Python model of it.

Actors add good or bad data, claim refunds, report bad data for a share, and the creator
(after tc) or anyone (after ta) takes what is left, while time passes in steps of hours to
40 days. The machine predicts every call's outcome (the amount, or the revert reason) from
its model of the records, of the good-data tallies and of the trained model (its bit-exact
twin), and the invariants check the mechanism's properties after every step:

- the contract's balance is the sum of what every record still has claimable;
- no contribution pays out more than its deposit;
- nobody is paid twice for one contribution (one share per taker, one refund);
- a refund happens only when the model agreed and t had passed;
- a share is taken only when the model disagreed (after t, by someone else);
- good-data counts only grow;
- conservation, after every step: the ETH sent in (the msg.value of every successful
  add_data) equals the ETH paid out (the DepositRefunded and DepositTaken amounts, which must
  equal what the payees' balances gained) plus the contract's balance;
- the contract predicts every sample of the pool as the twin does (checked after every
  add_data, the only call that changes the model).

The mechanism's outcomes depend on the model, so the machine runs over three of them, each a
`Scenario` (the initial model, the pool of samples, how its trainer is deployed); the test is
parametrised over them:

- sparse-perceptron (`SparsePerceptronDepositTrainer`): binary, changes only on a mistake;
- sparse-ncc and naive-bayes (`SparseNearestCentroid` / `NaiveBayes`, 3 classes): count models
  that every contribution updates (class sizes and totals too, so a contribution moves the
  predictions of other samples), whose deposit trainers are EIP-1167 clones of a shared
  implementation (deployed once per test, before the first snapshot). A bad contribution
  gives its sample one of the two wrong labels.

Each model is small enough that bad data flips predictions and good data flips them back, so
refunds and reports both succeed and fail during a run (the `event`s show which happened).

Four accounts contribute (the creator among them), any of them reports, the creator claims
after tc and a stranger after ta. Each run is 30 steps; the "ci" profile runs 100 of them,
"deep" 1,000 (see `stateful_settings` in tests/conftest.py).

Every transaction's timestamp is pinned (the machine's clock ticks one second per call), so
ages are exact. The chain is snapshot in `@initialize` and restored in `teardown`: Ape
isolates per test, not per Hypothesis example.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Any

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

from ape_decai import clones
from ape_decai.models.base import ReferenceModel
from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices
from sparse_models import TA, TC, T
from sparse_models import deploy as deploy_sparse_model
from fast_chain import read_views
from strategies import durations

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

MAX_CONTRIBUTIONS = 12  # with the up to 6 of @initialize: most steps act on them or let time pass
# Every scenario's pool has this many samples: the rules' strategies are fixed when the class
# is defined, and the perceptron's runs stay what they were before the machine had scenarios.
POOL_SIZE = 8

HOUR = 60 * 60
COST_WEIGHT = 10**18
MIN_DEPOSIT = 10**15
MIN_SHARE = 10**13

CONTRIBUTORS = ["contributor", "other_contributor", "reporter", "creator"]
CONTRIBUTION_ARGS = dict(
    who=st.sampled_from(CONTRIBUTORS),
    sample=st.integers(0, POOL_SIZE - 1),
    good=st.booleans(),
    overpay=st.sampled_from([0, 1, 10**15]),
)


@dataclass(frozen=True)
class Scenario:
    """What the machine needs to know of one model; the rest of the machine is the mechanism.

    `new_model()` is the twin of the initial model, fresh (the machine predicts with it and
    trains it as the contract does); `deploy(env, model)` deploys its deposit trainer with
    the machine's terms; `prepare(env)` runs once per test, before the first snapshot. A good
    contribution gives a pool sample the initial model's label, a bad one another label.
    """

    id: str
    new_model: Callable[[], ReferenceModel]
    pool: tuple[tuple[int, ...], ...]
    deploy: Callable[[SimpleNamespace, ReferenceModel], Any]
    prepare: Callable[[SimpleNamespace], None] = lambda env: None

    def __post_init__(self):
        assert len(self.pool) == POOL_SIZE

    @cached_property
    def labels(self) -> range:
        return range(self.new_model().n_classes)

    @cached_property
    def truth(self) -> list[int]:
        """The initial model's label of each pool sample: what a good contribution says."""
        model = self.new_model()
        return [model.predict(x) for x in self.pool]

    def label(self, sample: int, good: bool) -> int:
        """The truth, or (bad data) one of the other labels, which one depending on the sample."""
        n, truth = len(self.labels), self.truth[sample]
        return truth if good else (truth + 1 + sample % (n - 1)) % n


# The sparse perceptron: a small model that changes its mind. 16 features (one packed word),
# weights of +-1, 3 or 4; the pool's labels are its initial predictions, so a bad contribution
# (flipped label) pushes it towards the wrong answer and good ones push it back, and refunds
# and reports both succeed and fail as the run goes.
N_FEATURES = 16
_rng = random.Random(31337)
WEIGHTS = [_rng.choice([-4, -3, -1, 1, 3, 4]) for _ in range(N_FEATURES)]
del _rng


def _deploy_perceptron(env, model):
    return env.deploy_deposit_trainer(
        n_features=model.n_features,
        weights=model.weights,
        learning_rate=model.learning_rate,
        intercept=model.intercept,
        cost_weight=COST_WEIGHT,
        min_deposit=MIN_DEPOSIT,
        min_share=MIN_SHARE,
    )


SPARSE_PERCEPTRON = Scenario(
    id=SparsePerceptron.model_id,
    new_model=lambda: SparsePerceptron(n_features=N_FEATURES, learning_rate=1, intercept=0, weights=list(WEIGHTS)),
    pool=((0,), (1, 2), (3, 4, 5), (0, 6, 7), (8, 9), (10, 11, 12), (13, 14, 15), (2, 5, 8, 11)),
    deploy=_deploy_perceptron,
)

# The count models (every contribution updates them): 16 features, 3 classes of 3 samples.
# Class k's samples have its five core features 5k .. 5k + 4 two or three times, every other
# feature at most once (feature 15 belongs to no class); the last two pool samples straddle two
# classes. With counts that small about one bad contribution in five flips its sample's
# prediction and about one good one in ten flips it back. (With 2 samples a class, flips are
# twice as frequent, but the model then agrees with bad data so often that shares are rarer.)
COUNT_FEATURES = 16
CLASS_SIZES = [3, 3, 3]
COUNTS = [[2 + i % 2 if i // 5 == k else (i + k) % 2 for i in range(COUNT_FEATURES)] for k in range(3)]
COUNT_POOL = ((0, 1), (2, 3, 4), (5, 6), (7, 8, 9), (10, 11), (12, 13, 14), (4, 5, 15), (9, 10, 15))


def _count_scenario(cls) -> Scenario:
    name = f"{cls.contract_prefix}DepositTrainer"

    def deploy_clone(env, model):
        terms = {"cost_weight": COST_WEIGHT, "min_deposit": MIN_DEPOSIT, "min_share": MIN_SHARE}
        return deploy_sparse_model(env.project, env.chain, env.creator, model, "deposit", **terms)

    return Scenario(
        id=cls.model_id,
        new_model=lambda: cls(
            n_features=COUNT_FEATURES, class_sizes=list(CLASS_SIZES), counts=[list(row) for row in COUNTS]
        ),
        pool=COUNT_POOL,
        deploy=deploy_clone,
        # The shared implementation, once per test: the machine's snapshots then include it.
        prepare=lambda env: clones.ensure_implementation(name, env.creator),
    )


SCENARIOS = [SPARSE_PERCEPTRON, _count_scenario(SparseNearestCentroid), _count_scenario(NaiveBayes)]


@dataclass
class Contribution:
    """What the machine knows of one record."""

    indices: list
    words: list
    label: int
    added_at: int
    contributor: str
    key: bytes
    deposit: int
    claimable: int
    refunded: bool = False


class DepositMachine(RuleBasedStateMachine):
    """The fixtures arrive through the class attribute `env` (set by the test below)."""

    env: SimpleNamespace = None

    def __init__(self):
        super().__init__()
        self.snapshot = None
        self.trainer = None

    @initialize(
        seed_sample=st.integers(0, POOL_SIZE - 1),
        first=st.lists(st.tuples(*CONTRIBUTION_ARGS.values()), min_size=2, max_size=5),
    )
    def deploy(self, seed_sample, first):
        """Deploy; the reporter adds good data and is refunded (n = 1, so shares can be taken
        from the start); then a few contributions: rules can be switched off for a whole
        example (Hypothesis' swarm testing), so every example starts with something to act on."""
        env = self.env
        self.scenario = scenario = env.scenario
        self.snapshot = env.chain.snapshot()
        self.trainer = env.trainer  # deployed once by the test: every example starts from it
        self.t, self.tc, self.ta = env.t, env.tc, env.ta
        self.creator = env.creator.address
        self.accounts = {getattr(env, name).address: getattr(env, name) for name in CONTRIBUTORS}
        self.model = scenario.new_model()
        self.clock = env.chain.blocks.head.timestamp
        self.last_update = 0
        self.records: dict[bytes, Contribution] = {}
        self.good = defaultdict(int)  # n(c), as the machine expects it
        self.taken: set[tuple[bytes, str]] = set()  # (key, taker) of shares taken
        # Observed from events and at the time of each successful call:
        self.paid_out = defaultdict(int)  # key -> wei paid out (refunds and takes)
        self.refunds = Counter()  # key -> number of refunds
        self.shares = Counter()  # (key, taker) -> number of shares taken
        self.refund_checks = []  # (model agreed, age) at each refund
        self.share_checks = []  # (model agreed, age, taker is the author) at each share
        self.seen_good = {}  # address -> last good_data_count read on chain
        # Conservation: wei sent in by add_data, and paid out as the events say and as the
        # payees' balances show.
        self.eth_in = 0
        self.eth_out_by_events = 0
        self.eth_out_by_balances = 0
        # Successful transactions so far, and the number each on-chain invariant last saw:
        # reverted calls and passing time change no state, so those reads are skipped then.
        self.state_changes = 0
        self.checked_at = {}
        self.model_updates = 0  # successful add_data calls: the model changes only then
        self.predictions_checked_at = None
        seed = self._add("reporter", seed_sample, True, 0)
        self.clock += self.t
        self._refund(seed)
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

    def _age(self, c: Contribution) -> int:
        """The contribution's age in the next transaction (after its tick)."""
        return self.clock + 1 - c.added_at

    def _agrees(self, c: Contribution) -> bool:
        """The model's opinion now, from the reference, checked against the contract's."""
        prediction = self.model.predict(c.indices)
        assert self.trainer.predict(c.words) == prediction, "contract and reference disagree"
        return prediction == c.label

    def _pick(self, data, likely, eligible, min_age) -> Contribution:
        """The contribution a rule acts on: any of them, or (when `likely`) one that should
        pay out once it is `min_age` old, and then the clock jumps forward to that age (or a
        little more) if needed. Uniform picks at random times would make the paying paths
        rare; the exact boundaries (age == t, tc, ta) come up this way too."""
        candidates = [c for c in self.records.values() if eligible(c)] if likely else []
        if not candidates:
            return data.draw(st.sampled_from(list(self.records.values())), label="contribution")
        c = data.draw(st.sampled_from(candidates), label="likely contribution")
        due = c.added_at + min_age + data.draw(st.sampled_from([0, 1, 3600]), label="extra wait")
        if self.clock + 1 < due:
            self.clock = due - 1  # the next tick pins the transaction at `due`
        return c

    def _send(self, reason, method, args, sender):
        """Make the call; if the model says it must revert, check that it does, with `reason`.

        The first time a reason comes up in the test, through `ape.reverts`. After that
        through `eth_estimateGas` on the pending block: the same execution at the same pinned
        timestamp in ~4 ms instead of ~300 ms (ape-foundry fetches, enriches and prints a
        call trace on every revert), which keeps the machine fast enough to run many steps.
        """
        if reason is not None:
            event(f"{method.abis[0].name}: {reason}")
            if reason not in self.env.reasons_checked_by_ape:
                self.env.reasons_checked_by_ape.add(reason)
                with ape.reverts(reason):
                    method(*args, sender=sender)
            else:
                tx = {"from": sender.address, "to": self.trainer.address, "data": method.encode_input(*args)}
                with pytest.raises(Web3ContractLogicError) as reverted:
                    self.env.chain.provider.web3.eth.estimate_gas(tx, "pending")
                assert reverted.value.message == f"execution reverted: {reason}"
            return None
        before = sender.balance
        receipt = method(*args, sender=sender)
        assert receipt.timestamp == self.clock
        self._observe(receipt)
        self.eth_out_by_balances += sender.balance - before + receipt.total_fees_paid
        return receipt, before

    def _observe(self, receipt):
        self.state_changes += 1
        for log in receipt.events:
            if log.event_name == "DepositRefunded":
                self.paid_out[bytes(log.key)] += log.amount
                self.refunds[bytes(log.key)] += 1
                self.eth_out_by_events += log.amount
            elif log.event_name == "DepositTaken":
                self.paid_out[bytes(log.key)] += log.amount
                self.eth_out_by_events += log.amount

    def _pool_predictions_on_chain(self) -> list[int]:
        """The contract's prediction of every pool sample: the eth_calls in one batched request."""
        return read_views((self.trainer, "predict", pack_indices(x)) for x in self.scenario.pool)

    def _unchanged_since_last_check(self, invariant_name: str) -> bool:
        if self.trainer is None or self.checked_at.get(invariant_name) == self.state_changes:
            return True
        self.checked_at[invariant_name] = self.state_changes
        return False

    # --- rules ------------------------------------------------------------------------------------

    @rule(**CONTRIBUTION_ARGS)
    def add(self, who, sample, good, overpay):
        # A cap rather than a precondition: a rule whose precondition fails while the others
        # are switched off makes the whole example invalid (wasted), which costs more.
        if len(self.records) < MAX_CONTRIBUTIONS:
            self._add(who, sample, good, overpay)

    def _add(self, who, sample, good, overpay):
        sender = getattr(self.env, who)
        indices = list(self.scenario.pool[sample])
        label = self.scenario.label(sample, good)
        self._tick()
        deposit = max(MIN_DEPOSIT, COST_WEIGHT // max(1, self.clock - self.last_update)) + overpay
        words = pack_indices(indices)
        key = self.env.record_key(words, label, self.clock, sender)
        assert key not in self.records  # one tick per call: never a duplicate
        before = sender.balance
        receipt = self.trainer.add_data(words, label, sender=sender, value=deposit)
        assert receipt.timestamp == self.clock
        assert sender.balance == before - deposit - receipt.total_fees_paid
        self.eth_in += deposit
        assert receipt.events == [
            self.trainer.DataAdded(
                contributor=sender.address, label=label, deposit=deposit, added_at=self.clock, data=words
            )
        ]
        self.state_changes += 1
        self.model_updates += 1
        self.last_update = self.clock
        kind = "good" if good else "bad"
        if self.model.learns_from_every_sample:  # it always changes: does the sample's label?
            before = self.model.predict(indices)
            self.model.update(indices, label)
            event(f"add_data: {kind} data, its prediction flipped: {self.model.predict(indices) != before}")
        else:
            changed = self.model.update(indices, label)
            event(f"add_data: {kind} data, model changed: {changed}")
        c = Contribution(indices, words, label, self.clock, sender.address, key, deposit, deposit)
        self.records[key] = c
        return c

    @rule(data=st.data(), likely=st.booleans())
    def refund(self, data, likely):
        c = self._pick(
            data,
            likely,
            lambda c: c.claimable == c.deposit and self.model.predict(c.indices) == c.label,
            self.t,
        )
        self._refund(c)

    def _refund(self, c):
        sender = self.accounts[c.contributor]
        self._tick()
        age = self.clock - c.added_at
        agrees = self._agrees(c)
        if c.refunded:
            reason = "stakeable: already refunded"
        elif c.claimable != c.deposit:
            reason = "stakeable: deposit was taken"
        elif age < self.t:
            reason = "stakeable: refund wait not over"
        elif not agrees:
            reason = "stakeable: model disagrees"
        else:
            reason = None
        sent = self._send(reason, self.trainer.refund, (c.words, c.label, c.added_at), sender)
        if sent is None:
            return
        receipt, before = sent
        assert receipt.events == [self.trainer.DepositRefunded(contributor=c.contributor, key=c.key, amount=c.deposit)]
        assert sender.balance == before + c.deposit - receipt.total_fees_paid
        event("refund: paid")
        self.refund_checks.append((agrees, age))
        c.refunded, c.claimable = True, 0
        self.good[c.contributor] += 1

    def _report(self, sender, c):
        """report() by `sender`: what is left after tc (creator) / ta (anyone), else a share."""
        self._tick()
        age = self.clock - c.added_at
        taker = sender.address
        reason, share = None, False
        if age >= self.ta or (taker == self.creator and age >= self.tc):
            amount = c.claimable
            if amount == 0:
                reason = "stakeable: nothing left to take"
        else:
            share = True
            agrees = self._agrees(c)
            n, total = self.good[taker], sum(self.good.values())
            if taker == c.contributor:
                reason = "stakeable: cannot take own deposit"
            elif age < self.t:
                reason = "stakeable: refund wait not over"
            elif agrees:
                reason = "stakeable: model agrees"
            elif c.claimable == 0:
                reason = "stakeable: nothing left to take"
            elif n == 0:
                reason = "stakeable: no refunded data"
            elif (c.key, taker) in self.taken:
                reason = "data_handler: already taken by sender"
            else:
                amount = min(max(c.deposit * n // total, MIN_SHARE), c.claimable)
        sent = self._send(reason, self.trainer.report, (c.words, c.label, c.added_at, c.contributor), sender)
        if sent is None:
            return
        receipt, before = sent
        assert receipt.events == [
            self.trainer.DepositTaken(taker=taker, contributor=c.contributor, key=c.key, amount=amount)
        ]
        assert sender.balance == before + amount - receipt.total_fees_paid
        c.claimable -= amount
        if share:
            event("report: share taken")
            self.taken.add((c.key, taker))
            self.shares[(c.key, taker)] += 1
            self.share_checks.append((agrees, age, taker == c.contributor))
        else:
            event(f"report: {'creator' if taker == self.creator else 'anyone'} took what was left")
        assert self.trainer.taken_by(c.key, taker) == ((c.key, taker) in self.taken)

    @rule(data=st.data(), likely=st.booleans(), who=st.sampled_from(CONTRIBUTORS))
    def report(self, data, likely, who):
        sender = getattr(self.env, who)
        with_good_data = [name for name in CONTRIBUTORS if self.good[getattr(self.env, name).address] > 0]
        if likely and with_good_data and who not in with_good_data:  # a reporter who can take a share
            sender = getattr(self.env, data.draw(st.sampled_from(with_good_data), label="reporter"))
        c = self._pick(
            data,
            likely,
            lambda c: (
                c.contributor != sender.address
                # a share, not yet what is left (the creator's from tc on, anyone's from ta on)
                and self._age(c) < (self.tc if sender.address == self.creator else self.ta) - HOUR
                and c.claimable > 0
                and (c.key, sender.address) not in self.taken
                and self.model.predict(c.indices) != c.label
            ),
            self.t,
        )
        self._report(sender, c)

    # A likely claim makes time jump to tc (the creator) or ta (anyone). Past ta there are no
    # more shares, so that jump is rare: one time in eight.
    @rule(data=st.data(), likely=st.booleans())
    def creator_claims(self, data, likely):
        self._report(self.env.creator, self._pick(data, likely, lambda c: c.claimable > 0, self.tc))

    @rule(data=st.data(), likely=st.integers(0, 7).map(lambda k: k == 0))
    def anyone_claims(self, data, likely):
        self._report(self.env.stranger, self._pick(data, likely, lambda c: c.claimable > 0, self.ta))

    @rule(seconds=durations)
    def time_passes(self, seconds):
        # An absolute timestamp (not `deltatime=`, which adds to the wall-clock-based pending
        # time): ages, and so every draw that depends on them, stay reproducible.
        event("time passes")
        self.clock += seconds
        self.env.chain.mine(timestamp=self.clock)
        assert self.env.chain.blocks.head.timestamp == self.clock

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def balance_equals_sum_of_claimable(self):
        if self._unchanged_since_last_check("balance"):
            return
        on_chain = [self.env.unpack_record(packed) for packed in read_views((self.trainer, "records", key) for key in self.records)]
        for record, c in zip(on_chain, self.records.values()):
            assert record == (True, c.refunded, c.deposit, c.claimable)
        assert self.trainer.balance == sum(r.claimable for r in on_chain)

    @invariant()
    def eth_in_equals_eth_out_plus_eth_held(self):
        # After every step, time passing and reverted calls included: one balance read.
        if self.trainer is None:
            return
        assert self.eth_out_by_events == self.eth_out_by_balances
        assert self.eth_in == self.eth_out_by_events + self.trainer.balance

    @invariant()
    def no_contribution_pays_out_more_than_its_deposit(self):
        for key, paid in self.paid_out.items():
            c = self.records[key]
            assert paid <= c.deposit
            assert paid + c.claimable == c.deposit

    @invariant()
    def nobody_is_paid_twice_for_one_contribution(self):
        assert all(n == 1 for n in self.refunds.values())
        assert all(n == 1 for n in self.shares.values())

    @invariant()
    def refunds_only_when_model_agreed_after_wait(self):
        assert all(agreed and age >= self.t for agreed, age in self.refund_checks)

    @invariant()
    def shares_only_when_model_disagreed(self):
        assert all(not agreed and age >= self.t and not own for agreed, age, own in self.share_checks)

    @invariant()
    def contract_predicts_as_the_twin(self):
        # The model changes only in add_data: after each, the contract predicts every pool
        # sample as the twin does (which also checks the twin of the model stays bit-exact).
        if self.trainer is None or self.predictions_checked_at == self.model_updates:
            return
        self.predictions_checked_at = self.model_updates
        assert self._pool_predictions_on_chain() == [self.model.predict(x) for x in self.scenario.pool]

    @invariant()
    def good_data_counts_only_grow(self):
        if self._unchanged_since_last_check("good data"):
            return
        *counts, total = read_views(
            [*((self.trainer, "good_data_count", address) for address in self.accounts), (self.trainer, "total_good_data")]
        )
        for address, count in zip(self.accounts, counts, strict=True):
            assert count >= self.seen_good.get(address, 0)
            assert count == self.good[address]
            self.seen_good[address] = count
        assert total >= self.seen_good.get("total", 0)
        assert total == sum(self.good.values())
        self.seen_good["total"] = total


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_deposit_mechanism(
    scenario,
    project,
    deploy_deposit_trainer,
    chain,
    creator,
    contributor,
    other_contributor,
    reporter,
    stranger,
    record_key,
    unpack_record,
    t,
    tc,
    ta,
    stateful_settings,
):
    assert (t, tc, ta) == (T, TC, TA)  # the waits of sparse_models.deploy (the count models)
    env = SimpleNamespace(**locals(), reasons_checked_by_ape=set())
    scenario.prepare(env)
    # One deployment per test, before the examples' snapshots: each example restores to it.
    env.trainer = scenario.deploy(env, scenario.new_model())
    DepositMachine.env = env
    run_state_machine_as_test(DepositMachine, settings=stateful_settings)
