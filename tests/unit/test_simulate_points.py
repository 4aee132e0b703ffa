"""The paper's scenario on the points mechanism (`ape_decai.simulate_points`) on the test chain:
short runs on real review data through the real points trainer.

What is checked against the chain, independently of the simulation's own `check_points_books`:
every record (validated or not, by key), each account's tallies, points and badges (the
contract's `badges` view against the rules of `badge_bits`), the balances (gas fees only), and the
ledger rebuilt from events alone.
"""

import pytest

from ape_decai.errors import DecaiError
from ape_decai.ledger import read_ledger, read_records
from ape_decai.parameters import DepositParameters
from ape_decai.simulate import DAY, HOUR, MINUTE, Agent, Scenario, simulate
from ape_decai.simulate_points import PointsResult, PointsSimulation, badge_bits, check_points_books
from ape_decai.trainers import BADGES, PointsTrainer


def points_scenario(**overrides) -> Scenario:
    """Rotten-tomatoes reviews, an honest agent every 10 minutes and an adversary every hour, a
    validation wait of a day."""
    settings = {
        "mechanism": "points",
        "samples": 30,
        "vocab_size": 200,
        "parameters": DepositParameters(refund_wait=DAY, creator_wait=DAY, anyone_wait=DAY),
        "agents": [Agent("honest", True, 10 * MINUTE), Agent("adversary", False, HOUR)],
        "eval_every": 6 * HOUR,
        **overrides,
    }
    return Scenario(**settings)


@pytest.fixture
def run(chain):
    """Run a points scenario; returns (result, trainer, balances before the run, addresses)."""

    def go(scenario, per_turn=1):
        simulation = PointsSimulation(scenario, per_turn=per_turn)
        before = {a.name: int(chain.provider.get_balance(simulation.address[a.name])) for a in scenario.agents}
        result = simulation.run()
        return result, PointsTrainer(result.trainer), before, simulation.address

    return go


def test_points_simulation__books_equal_chain(run, chain):
    result, trainer, before, address = run(points_scenario())
    contributions = result.contributions
    assert len(contributions) == 30
    assert result.summary["check"] == {"accounts": 2, "records": 30, "mismatches": [], "ok": True}
    # Every record: exists, no money, validated exactly when the books say so.
    records = read_records(trainer, [c.key for c in contributions])
    for c, r in zip(contributions, records, strict=True):
        assert r.exists and r.deposit == 0 and r.claimable == 0
        assert r.refunded == (c.validated_at is not None)
        assert c.validated_at is None or c.validated_at - c.added_at >= DAY
        assert (c.label == c.true_label) == (c.agent == "honest")
    # Each account: its tallies, points and badges on chain; its balance moved by its fees alone.
    for name, books in result.tallies.items():
        who = address[name]
        mine = [c for c in contributions if c.agent == name]
        assert int(trainer.contract.contributions(who)) == books.added == len(mine)
        assert int(trainer.contract.good_data_count(who)) == books.points == sum(c.validated_at is not None for c in mine)
        assert int(trainer.contract.badges(who)) == badge_bits(
            len(mine), books.points, {c.label for c in mine}, len({c.added_at // (7 * DAY) for c in mine})
        )
        assert int(chain.provider.get_balance(who)) - before[name] == -books.fees  # the test chain: base fee 0 or more
    assert result.tallies["honest"].points > 0
    assert int(trainer.contract.total_good_data()) == sum(b.points for b in result.tallies.values())
    assert int(chain.provider.get_balance(trainer.address)) == 0
    # The ledger from events alone says the same.
    ledger = read_ledger(trainer)
    assert [(e.key, e.contributor, e.label, e.added_at) for e in ledger.entries] == [
        (c.key, c.contributor, c.label, c.added_at) for c in contributions
    ]
    assert [e.validated for e in ledger.entries] == [c.validated_at is not None for c in contributions]
    # Steps: one row per mined block, the last one equal to the books.
    last = result.steps[-1]
    assert all(last[f"{n}_points"] == b.points and last[f"{n}_badges"] == b.badges() for n, b in result.tallies.items())
    assert result.summary["accuracy_final"] == result.accuracy[-1]["accuracy"]


def test_points_simulation__batches(run):
    result, trainer, _, _ = run(points_scenario(samples=24), per_turn=6)
    books = result.tallies
    assert sum(b.added for b in books.values()) == 24
    # Six samples a turn in one add_data_batch each: four transactions for the 24 samples.
    assert sum(b.add_transactions for b in books.values()) == 4
    assert result.summary["check"]["ok"] and result.summary["per_turn"] == 6


def test_check_points_books__finds_a_wrong_entry(run):
    result, trainer, _, _ = run(points_scenario(samples=6))
    assert check_points_books(result, trainer)["ok"]
    result.contributions[0].validated_at = None if result.contributions[0].validated_at else 1
    result.tallies["honest"].points += 100  # past the 10- and 100-validated badges
    check = check_points_books(result, trainer)
    assert not check["ok"]
    assert any(m.startswith("honest: points on chain") for m in check["mismatches"])
    assert any(m.startswith("honest: badges on chain") for m in check["mismatches"])
    assert any(m.startswith("contribution 0:") for m in check["mismatches"])


def test_simulate__dispatches_on_the_mechanism(chain):
    result = simulate(points_scenario(samples=3))
    assert isinstance(result, PointsResult) and result.summary["mechanism"] == "points"
    assert len(result.contributions) == 3 and result.summary["check"]["ok"]


@pytest.mark.parametrize(
    "made, good, labels, weeks, names",
    [
        (0, 0, set(), 0, []),
        (1, 0, {1}, 1, ["1 contribution"]),
        (9, 1, {0, 1}, 1, ["1 contribution", "1 validated", "every side (2 labels)"]),
        (10, 10, {0}, 2, ["1 contribution", "10 contributions", "1 validated", "10 validated", "2 weeks"]),
        (1000, 100, {0, 1}, 12, list(BADGES)),
        (999, 99, {1}, 11, ["1 contribution", "10 contributions", "100 contributions", "1 validated", "10 validated",
                            "2 weeks", "4 weeks"]),
    ],
)
def test_badge_bits__the_contract_rules(made, good, labels, weeks, names):
    bits = badge_bits(made, good, labels, weeks)
    assert [name for k, name in enumerate(BADGES) if bits >> k & 1] == names


@pytest.mark.parametrize("mechanism", ["market", "Points", ""])
def test_scenario__bad_mechanism__refused(mechanism):
    with pytest.raises(DecaiError, match="unknown mechanism"):
        points_scenario(mechanism=mechanism).validate()


def test_points_simulation__bad_per_turn__refused():
    with pytest.raises(DecaiError, match="--per-turn"):
        PointsSimulation(points_scenario(), per_turn=0)
