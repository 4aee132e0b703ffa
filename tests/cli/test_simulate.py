"""`ape decai simulate`: a short Fig. 3 scenario on the test chain (`--host`), its files and
figure, and refusals of bad input (nothing written, nothing sent)."""

import csv
import json

import pytest

SHORT = ["--samples", "10", "--vocab-size", "200", "--refund-wait", "1d", "--creator-wait", "2d", "--creator-every", "1d", "--anyone-wait", "3d",
         "--eval-every", "12h"]


@pytest.fixture
def host(chain):
    return ["--host", chain.provider.uri]


def test_simulate__json__files_and_figure(decai, host, tmp_path):
    out = tmp_path / "run"
    summary = decai.json("simulate", *SHORT, *host, "--out", out)
    assert summary["contributions"] == 10
    assert summary["check"]["ok"] and summary["check"]["records"] == 10
    assert summary["network"] == "ethereum:local:foundry"
    assert set(summary["agents"]) == {"creator", "honest", "adversary"}
    assert summary["agents"]["honest"]["added"] + summary["agents"]["adversary"]["added"] == 10
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["steps.csv", "accuracy.csv", "contributions.csv", "events.jsonl", "summary.json", "fig3.png"]
    )
    assert (out / "fig3.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "contributions.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10 and {r["fate"] for r in rows} <= {"refunded", "taken"}
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "DataAdded" for e in events) == 10
    assert json.loads((out / "summary.json").read_text())["trainer"] == summary["trainer"]


def test_simulate__table(decai, host, tmp_path):
    result = decai.ok("simulate", *SHORT, "--samples", "4", *host, "--out", tmp_path / "run", "--no-plot")
    assert "books vs chain: equal" in result.stdout
    assert "honest" in result.stdout and "adversary" in result.stdout
    assert not (tmp_path / "run" / "fig3.png").exists()
    assert result.stderr.strip().splitlines()[-1].startswith("network: ethereum:local:foundry")


def test_simulate__existing_output__refused_and_untouched(decai, host, tmp_path, chain):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("mine")
    height = chain.blocks.height
    message = decai.fails("simulate", *SHORT, *host, "--out", out)
    assert "summary.json exists" in message and "--overwrite" in message
    assert (out / "summary.json").read_text() == "mine"
    assert chain.blocks.height == height


@pytest.mark.parametrize(
    "args, message",
    [
        (["--refund-wait", "2d", "--creator-wait", "1d"], "wait times"),
        (["--doubt-wait", "3d"], "refund-wait <= doubt-wait <= creator-wait"),
        (["--honest", "0", "--adversaries", "0"], "no agents"),
        (["--dataset", "iris", "--data-file", __file__], "not both"),
        (["--initial-fraction", "1.5"], "--initial-fraction"),
        (["--budget", "lots"], "not an amount"),
    ],
)
def test_simulate__bad_input__one_line_error(decai, host, tmp_path, chain, args, message):
    height = chain.blocks.height
    result = decai.run("simulate", *SHORT, *args, *host, "--out", tmp_path / "run")
    assert result.exit_code in (1, 2), decai.describe(result)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "run").exists()
    assert chain.blocks.height == height


def test_simulate__sweep__one_row_per_cell(decai, host, tmp_path):
    out = tmp_path / "sweep"
    result = decai.json(
        "simulate", *SHORT, "--samples", "4", *host, "--out", out,
        "--sweep", "adversary-deposit=0.05 ether,0.5 ether", "--sweep", "honest-noise=0,1",
    )
    cells = result["cells"]
    assert [(c["adversary-deposit"], c["honest-noise"]) for c in cells] == [
        (5 * 10**16, 0.0), (5 * 10**16, 1.0), (5 * 10**17, 0.0), (5 * 10**17, 1.0),
    ]
    assert all(c["books_ok"] and c["contributions"] == 4 for c in cells)
    with open(out / "sweep.csv") as f:
        assert len(list(csv.DictReader(f))) == 4


@pytest.mark.parametrize("spec", ["colour=red,blue", "adversary-every=", "honest-noise=lots"])
def test_simulate__bad_sweep__refused(decai, host, tmp_path, chain, spec):
    height = chain.blocks.height
    message = decai.fails("simulate", *SHORT, *host, "--out", tmp_path / "sweep", "--sweep", spec)
    assert "--sweep" in message
    assert not (tmp_path / "sweep").exists()
    assert chain.blocks.height == height
