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


@pytest.mark.parametrize(
    "spec, message",
    [
        ("colour=red,blue", "--sweep 'colour=red,blue'"),
        ("adversary-every=", "--sweep 'adversary-every='"),
        ("honest-noise=lots", "a value is not a number"),
        ("adversary-every=1h,soon", "not a duration: 'soon'"),
        ("claim-waits=9d", "is not TC/TA"),
        ("claim-waits=3d/2d", "sweep cell claim-waits=(259200, 172800): wait times"),
        ("creator-wait=1h", "sweep cell creator-wait=3600: wait times"),
    ],
)
def test_simulate__bad_sweep__refused(decai, host, tmp_path, chain, spec, message):
    height = chain.blocks.height
    assert message in decai.fails("simulate", *SHORT, *host, "--out", tmp_path / "sweep", "--sweep", spec)
    assert not (tmp_path / "sweep").exists()
    assert chain.blocks.height == height


def test_simulate__seeds_without_sweep__usage_error(decai, host, tmp_path, chain):
    height = chain.blocks.height
    result = decai.run("simulate", *SHORT, *host, "--out", tmp_path / "run", "--seeds", "2")
    assert result.exit_code == 2 and "--seeds needs --sweep" in result.stderr and result.stdout == ""
    assert not (tmp_path / "run").exists()
    assert chain.blocks.height == height


@pytest.mark.slow
def test_simulate__sweep_with_seeds__mean_and_spread_per_cell_and_heat_maps(decai, host, tmp_path):
    out = tmp_path / "sweep"
    result = decai.json(
        "simulate", *SHORT, "--samples", "6", *host, "--out", out, "--seeds", "2",
        "--sweep", "claim-waits=2d/3d,3d/3d", "--sweep", "honest-noise=0,1",
    )
    runs, cells = result["runs"], result["cells"]
    assert [(r["claim-waits"], r["honest-noise"], r["seed"]) for r in runs] == [
        (w, noise, seed) for w in ([2 * 86400, 3 * 86400], [3 * 86400, 3 * 86400]) for noise in (0.0, 1.0) for seed in (0, 1)
    ]
    assert all(r["books_ok"] and r["contributions"] == 6 for r in runs)
    assert len(cells) == 4
    for k, cell in enumerate(cells):
        pair = runs[2 * k: 2 * k + 2]
        assert (cell["claim-waits"], cell["honest-noise"], cell["seeds"]) == (pair[0]["claim-waits"], pair[0]["honest-noise"], 2)
        for key in ("honest_result_eth", "adversary_result_eth", "creator_result_eth", "accuracy_final", "accuracy_change"):
            values = [r[key] for r in pair]
            assert cell[key] == pytest.approx(sum(values) / 2, abs=1e-6)
            assert (cell[f"{key}_min"], cell[f"{key}_max"]) == (min(values), max(values))
            assert cell[f"{key}_sd"] == pytest.approx(abs(values[0] - values[1]) / 2**0.5, abs=1e-6)
        assert cell["honest_profits"] == sum(r["honest_result_eth"] > 0 for r in pair)
    # Seeds differ: the split and the agents' draws change with the seed.
    assert len({(r["accuracy_initial"], r["honest_result_eth"]) for r in runs}) > len(cells)
    assert sorted(p.name for p in out.iterdir()) == ["heatmaps.png", "sweep-runs.csv", "sweep.csv", "sweep.json"]
    assert (out / "heatmaps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "sweep.csv") as f:
        assert [float(r["honest_result_eth"]) for r in csv.DictReader(f)] == [c["honest_result_eth"] for c in cells]
    with open(out / "sweep-runs.csv") as f:
        assert len(list(csv.DictReader(f))) == 8
    assert json.loads((out / "sweep.json").read_text())["runs"] == runs


def test_simulate__sweep_one_key__no_heat_maps(decai, host, tmp_path):
    out = tmp_path / "sweep"
    result = decai.ok("simulate", *SHORT, "--samples", "3", *host, "--out", out, "--sweep", "creator-every=0,1d")
    assert "no heat maps: they need exactly two swept keys" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sweep-runs.csv", "sweep.csv", "sweep.json"]
    assert "Sweep: deposit results" in result.stdout and "equal" in result.stdout


@pytest.mark.parametrize("existing", ["sweep.csv", "sweep-runs.csv", "sweep.json", "heatmaps.png"])
def test_simulate__sweep_existing_output__refused_and_untouched(decai, host, tmp_path, chain, existing):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / existing).write_text("mine")
    height = chain.blocks.height
    message = decai.fails("simulate", *SHORT, *host, "--out", out, "--sweep", "honest-noise=0,1", "--sweep", "refund-wait=1h,1d")
    assert f"{existing} exists" in message and "--overwrite" in message
    assert [p.name for p in out.iterdir()] == [existing] and (out / existing).read_text() == "mine"
    assert chain.blocks.height == height
