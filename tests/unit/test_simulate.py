"""The simulation of the paper's Fig. 3 (`ape_decai.simulate`) and the ledger (`ape_decai.ledger`)
on the test chain: a short scenario on real review data through the real deposit trainer.

What is checked against the chain, independently of the simulation's own `check_books`:
every account's balance, the trainer's balance, every record (read by key), and the ledger
rebuilt from events alone.
"""

import pytest

from ape_decai._cli.simulate import parse_sweep
from ape_decai.errors import DecaiError
from ape_decai.ledger import read_ledger, read_records
from ape_decai.parameters import DepositParameters
from ape_decai.simulate import (
    DAY,
    HOUR,
    MINUTE,
    Agent,
    Scenario,
    Simulation,
    aggregate_sweep,
    check_books,
    sweep,
    sweep_scenarios,
)
from ape_decai.trainers import DepositTrainer

ETHER = 10**18


def small_scenario(**overrides) -> Scenario:
    """30 contributions of rotten-tomatoes reviews, an honest agent and an adversary, short waits,
    the creator taking what is left after tc once a day."""
    settings = {
        "samples": 30,
        "vocab_size": 200,
        "parameters": DepositParameters(refund_wait=DAY, creator_wait=2 * DAY, anyone_wait=3 * DAY),
        "agents": [
            Agent("honest", True, 10 * MINUTE, ETHER // 20, ETHER // 100),
            Agent("adversary", False, HOUR, ETHER // 10, ETHER // 300),
        ],
        "eval_every": 6 * HOUR,
        "creator_every": DAY,
        **overrides,
    }
    return Scenario(**settings)


@pytest.fixture
def run(accounts, chain):
    """Run a scenario; returns (result, trainer, balances before the run per agent name)."""

    def go(scenario):
        simulation = Simulation(scenario)
        before = {name: int(chain.provider.get_balance(address)) for name, address in simulation.address.items()}
        result = simulation.run()
        return result, DepositTrainer(result.trainer), before, simulation.address

    return go


def test_simulation__books_equal_chain(run, chain):
    result, trainer, before, address = run(small_scenario())
    deposits = result.deposits
    assert len(deposits) == 30
    # The run lasts until no deposit is left: the trainer holds nothing, every record is settled.
    assert int(chain.provider.get_balance(trainer.address)) == 0
    records = read_records(trainer, [d.key for d in deposits])
    for d, r in zip(deposits, records, strict=True):
        assert r.exists and r.claimable == 0 and r.deposit == d.deposit
        assert r.refunded == (d.fate() == "refunded")
        assert d.fate() in ("refunded", "taken")
        assert (d.label == d.true_label) == (d.agent == "honest")
    # Each agent's balance moved by its deposits' result minus the fees the chain charged (and
    # the creator's by the deployment's fees too: it deployed the trainer in the run).
    deployment_fees = int(trainer.contract.creation_metadata.receipt.total_fees_paid)
    for name, books in result.books.items():
        change = int(chain.provider.get_balance(address[name])) - before[name]
        if name == "creator":
            change += deployment_fees
        assert change == books.refunded + books.taken - books.paid - books.fees
    # What was paid in was paid out: refunds and takes of all add up to all deposits.
    total_in = sum(b.paid for b in result.books.values())
    total_out = sum(b.refunded + b.taken for b in result.books.values())
    assert total_in == total_out == sum(d.deposit for d in deposits)
    assert result.summary["check"] == {"accounts": 3, "records": 30, "mismatches": [], "ok": True}
    # Accuracy of the model read back from the chain, from the start to the end.
    assert result.accuracy[0]["day"] == 0 and len(result.accuracy) >= 3
    assert all(0 < a["accuracy"] < 1 for a in result.accuracy)
    assert result.summary["accuracy_final"] == result.accuracy[-1]["accuracy"]


def test_simulation__doubt_wait__books_equal_chain_and_doubted_contributions_wait_td(run):
    td = 2 * DAY
    waits = DepositParameters(refund_wait=DAY, creator_wait=2 * DAY, anyone_wait=3 * DAY, doubt_wait=td)
    result, trainer, _, _ = run(small_scenario(samples=20, parameters=waits))
    deposits = result.deposits
    doubted = [d for d in deposits if d.doubted]
    assert 0 < len(doubted) < len(deposits)  # the adversary's flips, mostly
    records = read_records(trainer, [d.key for d in deposits])
    assert [r.doubted for r in records] == [d.doubted for d in deposits]
    assert result.summary["check"]["ok"], result.summary["check"]["mismatches"]
    # No refund or reporter's share of a doubted contribution before td (claims after tc may).
    by_key = {"0x" + d.key.hex(): d for d in deposits}
    early = [
        e for e in result.events
        if e["event"] in ("DepositRefunded", "DepositTaken") and by_key[e["key"]].doubted
        and e["time"] - by_key[e["key"]].added_at < td
    ]  # fmt: skip
    assert early == []
    doubted[0].doubted = False
    check = check_books(result, trainer)
    assert not check["ok"] and check["mismatches"][0].startswith(f"contribution {doubted[0].index}:")


def test_check_books__finds_a_wrong_entry(run):
    result, trainer, _, _ = run(small_scenario(samples=6))
    assert check_books(result, trainer)["ok"]
    result.deposits[0].claimable += 1
    result.books["honest"].paid += 1
    check = check_books(result, trainer)
    assert not check["ok"]
    assert any(m.startswith("honest: balance changed by") for m in check["mismatches"])
    assert any(m.startswith("contribution 0:") for m in check["mismatches"])


def test_ledger__from_events_equals_the_books_and_the_records(run):
    result, trainer, _, address = run(small_scenario())
    ledger = read_ledger(trainer)
    names = {a: n for n, a in address.items()}
    assert [e.key for e in ledger.entries] == [d.key for d in result.deposits]
    for e, d in zip(ledger.entries, result.deposits, strict=True):
        assert (e.contributor, e.label, e.added_at, e.deposit, e.transaction) == (
            d.contributor, d.label, d.added_at, d.deposit, d.txn_hash,
        )
        assert e.claimable == d.claimable == 0
        assert (e.refunded is not None) == d.refunded
        taken: dict[str, int] = {}
        for t in e.takes:
            taken[names[t.taker]] = taken.get(names[t.taker], 0) + t.amount
        assert taken == d.taken
        # The creator's takes come after tc: claims, not reports; nobody else claims here.
        assert all(t.claim == (names[t.taker] == "creator") for t in e.takes)
    records = read_records(trainer, [e.key for e in ledger.entries])
    assert [(r.refunded, r.deposit, r.claimable) for r in records] == [
        (e.refunded is not None, e.deposit, e.claimable) for e in ledger.entries
    ]
    history = {names[r["account"]]: r for r in ledger.history()}
    for name, books in result.books.items():
        assert history[name]["net"] == books.refunded + books.taken - books.paid
        assert history[name]["contributions"] == books.added
    assert [r["rank"] for r in ledger.history()] == list(range(1, len(history) + 1))


def test_simulation__agent_out_of_budget_adds_nothing(run):
    scenario = small_scenario(samples=12)
    scenario.agents[1].budget = ETHER // 20  # less than one of its deposits (~0.1 ETH)
    result, _, _, _ = run(scenario)
    books = result.books["adversary"]
    assert books.added == 0 and books.paid == 0 and books.skipped_budget >= 1
    assert result.books["honest"].added == 12


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"initial_fraction": 0.0}, "initial fraction"),
        ({"agents": []}, "at least one agent"),
        ({"samples": 0}, "--samples"),
        ({"parameters": DepositParameters(refund_wait=DAY, creator_wait=HOUR, anyone_wait=2 * DAY)}, "wait times"),
    ],
)
def test_scenario__bad_values__refused_before_anything_is_sent(overrides, message, chain):
    height = chain.blocks.height
    with pytest.raises(Exception, match=message):
        Simulation(small_scenario(**overrides))
    assert chain.blocks.height == height


def test_sweep__over_models__each_cell_runs_its_model_and_the_books_hold(chain):
    rows = sweep(small_scenario(samples=12, creator_every=0), {"model": ["naive-bayes", "sparse-ncc"]})
    assert [r["model"] for r in rows] == ["naive-bayes", "sparse-ncc"]
    assert all(r["books_ok"] and r["contributions"] == 12 for r in rows)


def test_sweep__unknown_model__refused_before_anything_is_sent(chain):
    height = chain.blocks.height
    with pytest.raises(DecaiError, match="unknown model 'nope'"):
        sweep(small_scenario(), {"model": ["nope"]})
    assert chain.blocks.height == height


def test_parse_sweep__models_by_name__a_wrong_name_is_refused():
    assert parse_sweep(("model=naive-bayes, sparse-ncc",)) == {"model": ["naive-bayes", "sparse-ncc"]}
    with pytest.raises(DecaiError, match="'nope' is not a model"):
        parse_sweep(("model=naive-bayes,nope",))


def test_aggregate_sweep__mean_and_spread_per_cell_runs_kept_apart():
    def run(cell, seed, honest, accuracy_change, ok=True):
        return {"refund-wait": cell, "seed": seed, "honest_result_eth": honest, "accuracy_change": accuracy_change,
                "ended": f"end {seed % 2}", "books_ok": ok}

    runs = [run(HOUR, 0, 1.0, -0.01), run(HOUR, 1, -3.0, 0.03), run(DAY, 0, 2.0, 0.0), run(DAY, 1, 2.0, 0.0, ok=False)]
    first, second = aggregate_sweep(runs, ["refund-wait"])
    assert (first["refund-wait"], first["seeds"], first["honest_result_eth"]) == (HOUR, 2, -1.0)
    assert (first["honest_result_eth_min"], first["honest_result_eth_max"]) == (-3.0, 1.0)
    assert first["honest_result_eth_sd"] == pytest.approx(8**0.5, abs=1e-6)
    assert (first["honest_profits"], first["accuracy_below_initial"]) == (1, 1)
    assert first["books_ok"] and first["ended"] == "end 0; end 1"
    assert (second["honest_result_eth"], second["honest_result_eth_sd"], second["honest_profits"]) == (2.0, 0.0, 2)
    assert not second["books_ok"]
    assert "seed" not in first and "seed_min" not in first


def test_sweep_scenarios__every_cell_and_seed_validated_before_anything_runs(chain):
    height = chain.blocks.height
    runs = sweep_scenarios(small_scenario(seed=5), {"claim-waits": [(2 * DAY, 3 * DAY), (3 * DAY, 3 * DAY)]}, seeds=2)
    assert [(r.parameters.creator_wait, r.parameters.anyone_wait, r.seed) for _, r in runs] == [
        (2 * DAY, 3 * DAY, 5), (2 * DAY, 3 * DAY, 6), (3 * DAY, 3 * DAY, 5), (3 * DAY, 3 * DAY, 6),
    ]
    with pytest.raises(DecaiError, match="sweep cell creator-wait=3600: wait times"):
        sweep(small_scenario(), {"creator-wait": [2 * DAY, HOUR]})
    assert chain.blocks.height == height
