"""`ape decai simulate-market`: a small market on the test chain (`--host`), its files and figure,
the table naming the network, a sweep, and refusals of bad input (nothing written, nothing sent)."""

import csv
import json

import pytest

SMALL = ["--honest", "1", "--bad", "1", "--contributions", "2", "--test-samples", "40", "--vocab-size", "300",
         "--stake", "0.01 ether"]
FILES = ["steps.csv", "accuracy.csv", "rounds.csv", "contributions.csv", "events.jsonl", "summary.json"]


@pytest.fixture
def host(chain):
    return ["--host", chain.provider.uri]


def test_simulate_market__json__files_and_figure(decai, host, tmp_path):
    out = tmp_path / "run"
    summary = decai.json("simulate-market", *SMALL, *host, "--out", out, "--gas-price", "2 gwei",
                         "--bounty", "0.04 ether")
    assert summary["check"]["ok"], summary["check"]["mismatches"]
    assert summary["network"] == "ethereum:local:foundry" and summary["node"] == host[1]
    assert summary["contributions"] == 4 and summary["bounty_wei"] == 4 * 10**16 and summary["scenario"]["rounds"] == 4
    assert set(summary["agents"]) == {"provider", "honest-1", "bad-1"}
    bad = summary["agents"]["bad-1"]
    assert bad["gas_cost_wei"] == 2 * 10**9 * bad["gas_used"] and bad["net_with_gas_wei"] == bad["net_wei"] - bad["gas_cost_wei"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "market-sim.png"])
    assert (out / "market-sim.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "contributions.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["participant"] for r in rows] == ["honest-1", "bad-1", "honest-1", "bad-1"]
    assert sum(int(r["payout"]) for r in rows) == summary["paid_out_wei"]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "PayoutClaimed" for e in events) == 4
    assert json.loads((out / "summary.json").read_text())["trainer"] == summary["trainer"]


def test_simulate_market__table_names_the_network(decai, host, tmp_path):
    result = decai.ok("simulate-market", *SMALL, "--bad", "0", "--contributions", "1", *host, "--out", tmp_path / "run",
                      "--no-plot")
    assert "books vs chain and the Python reference: equal" in result.stdout
    assert "honest-1" in result.stdout and "provider" in result.stdout and "bad-1" not in result.stdout
    assert not (tmp_path / "run" / "market-sim.png").exists()
    assert result.stderr.strip().splitlines()[-1].startswith("network: ethereum:local:foundry (at http")


def test_simulate_market__sweep__one_row_per_value(decai, host, tmp_path):
    out = tmp_path / "sweep"
    result = decai.json("simulate-market", *SMALL, "--contributions", "1", *host, "--out", out, "--sweep", "bad=0,1")
    assert [c["bad"] for c in result["cells"]] == [0, 1]
    assert all(c["books_ok"] for c in result["cells"])
    with open(out / "sweep.csv") as f:
        assert len(list(csv.DictReader(f))) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rounds", "3", "--bounty", "0.03 ether"], "not both"),
        (["--bounty", "0.015 ether"], "multiple of --stake"),
        (["--honest", "0", "--bad", "0"], "no participants"),
        (["--bad-labels", "random"], "--bad-labels"),
        (["--dataset", "rotten-tomatoes", "--data-file", __file__], "not both"),
        (["--stake", "lots"], "not an amount"),
        (["--sweep", "colour=1,2"], "--sweep"),
        (["--sweep", "bad=one"], "--sweep"),
        (["--reveal-fraction", "0"], "--reveal-fraction"),
    ],
)
def test_simulate_market__bad_input__one_line_error(decai, host, tmp_path, chain, args, message):
    height = chain.blocks.height
    result = decai.run("simulate-market", *SMALL, *args, *host, "--out", tmp_path / "run")
    assert result.exit_code in (1, 2), decai.describe(result)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "run").exists()
    assert chain.blocks.height == height


def test_simulate_market__existing_output__refused_and_untouched(decai, host, tmp_path, chain):
    out = tmp_path / "run"
    out.mkdir()
    (out / "rounds.csv").write_text("mine")
    height = chain.blocks.height
    message = decai.fails("simulate-market", *SMALL, *host, "--out", out)
    assert "rounds.csv exists" in message and "--overwrite" in message
    assert (out / "rounds.csv").read_text() == "mine"
    assert chain.blocks.height == height


def test_simulate_market__help(decai):
    text = decai.ok("simulate-market", "--help").stdout
    for option in ("--honest", "--bad", "--rounds", "--bounty", "--stake", "--gas-price", "--sweep", "--json", "--no-plot"):
        assert option in text
