"""`ape decai simulate --mechanism points`: a short run on the test chain (`--host`), its files,
figure and summary, and refusals of bad input (nothing written, nothing sent)."""

import csv
import json

import pytest

SHORT = ["--mechanism", "points", "--samples", "8", "--vocab-size", "200", "--refund-wait", "1d", "--eval-every", "12h"]


@pytest.fixture
def host(chain):
    return ["--host", chain.provider.uri]


def test_simulate_points__json__files_and_figure(decai, host, tmp_path):
    out = tmp_path / "run"
    summary = decai.json("simulate", *SHORT, *host, "--out", out)
    assert summary["mechanism"] == "points" and summary["validation_wait"] == 86400
    assert summary["contributions"] == 8 and summary["network"] == "ethereum:local:foundry"
    assert summary["check"] == {"accounts": 2, "records": 8, "mismatches": [], "ok": True}
    agents = summary["agents"]
    assert set(agents) == {"honest", "adversary"}
    assert agents["honest"]["added"] + agents["adversary"]["added"] == 8
    assert agents["honest"]["points"] == agents["honest"]["validate_transactions"] <= agents["honest"]["added"]
    assert "1 contribution" in agents["honest"]["badges"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["steps.csv", "accuracy.csv", "contributions.csv", "events.jsonl", "summary.json", "points.png"]
    )
    assert (out / "points.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "contributions.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 and {r["fate"] for r in rows} <= {"validated", "not validated"}
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "DataAdded" for e in events) == 8
    assert sum(e["event"] == "DataValidated" for e in events) == sum(a["points"] for a in agents.values())


def test_simulate_points__table_and_batches(decai, host, tmp_path):
    result = decai.ok("simulate", *SHORT, "--per-turn", "4", *host, "--out", tmp_path / "run", "--no-plot")
    assert "books vs chain: equal" in result.stdout and "points" in result.stdout
    assert "ETH)" in result.stdout and "deposits" not in result.stdout
    assert not (tmp_path / "run" / "points.png").exists()
    assert result.stderr.strip().splitlines()[-1].startswith("network: ethereum:local:foundry")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mechanism", "market"], "'market' is not one of 'deposit', 'points'"),
        (["--budget", "1 ether"], "--budget is a deposit option"),
        (["--adversary-deposit", "1 ether"], "--adversary-deposit is a deposit option"),
        (["--sweep", "honest-noise=0,1"], "--sweep is a deposit option"),
    ],
)
def test_simulate_points__bad_input__usage_error(decai, host, tmp_path, chain, args, message):
    height = chain.blocks.height
    assert message in decai.usage_error("simulate", *SHORT, *args, *host, "--out", tmp_path / "run")
    assert not (tmp_path / "run").exists()
    assert chain.blocks.height == height


def test_simulate__per_turn_with_deposits__refused(decai, host, tmp_path, chain):
    height = chain.blocks.height
    message = decai.usage_error("simulate", "--samples", "2", "--per-turn", "3", *host, "--out", tmp_path / "run")
    assert "--per-turn is for --mechanism points" in message
    assert not (tmp_path / "run").exists() and chain.blocks.height == height


def test_simulate_points__long_validation_wait__no_deposit_waits_needed(decai, host, tmp_path):
    # The deposit waits tc and ta (default 9 days) play no part: a 10-day validation wait is fine.
    summary = decai.json("simulate", *SHORT, "--samples", "2", "--refund-wait", "10d", *host, "--out", tmp_path / "run", "--no-plot")
    assert summary["validation_wait"] == 10 * 86400 and summary["check"]["ok"]
    assert summary["simulated_days"] >= 10
