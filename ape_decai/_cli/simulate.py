"""`ape decai simulate`: the paper's Fig. 3 experiment on the real contracts (`ape_decai.simulate`).

Thin: options -> `Scenario`, `simulate(...)` with a progress bar, then the files, the figure
(`ape_decai.figures`) and a table or one JSON object.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ape_decai._ape import managers
from ape_decai._cli._common import (
    AMOUNT,
    DURATION,
    LocalCommand,
    ape_cli_context,
    console,
    echo_json,
    eta_bar,
    json_option,
)
from ape_decai._cli.node import MISSING_ANVIL, NETWORK, TEST_MNEMONIC, _stop, _wait_until_listening, anvil_command
from ape_decai.datasets import DATASETS
from ape_decai.errors import DecaiError
from ape_decai.figures import draw_fig3, draw_points, require_matplotlib
from ape_decai.heatmaps import draw_heatmaps
from ape_decai.models import REFERENCE_MODELS
from ape_decai.parameters import DepositParameters
from ape_decai.simulate import (
    MECHANISMS,
    SWEEP_KEYS,
    Agent,
    Scenario,
    Simulation,
    aggregate_sweep,
    sweep,
    sweep_cells,
    sweep_scenarios,
)
from ape_decai.simulate_points import PointsSimulation
from ape_decai.trainers import BADGES
from ape_decai.units import format_duration, parse_amount, parse_duration

# How each swept key's values are written (amounts, durations, fractions).
SWEEP_PARSERS: dict[str, Callable[[str], Any]] = {
    "adversary-deposit": parse_amount,
    "adversary-budget": parse_amount,
    "cost-weight": parse_amount,
    "adversary-every": parse_duration,
    "refund-wait": parse_duration,
    "doubt-wait": parse_duration,
    "honest-noise": float,
    "model": lambda name: name if name in REFERENCE_MODELS else _not_a_model(name),
    "creator-wait": parse_duration,
    "anyone-wait": parse_duration,
    "creator-every": parse_duration,
    "claim-waits": lambda pair: _claim_waits(pair),
}


def _claim_waits(pair: str) -> tuple[int, int]:
    """`30d/60d` -> (tc, ta) in seconds."""
    tc, slash, ta = pair.partition("/")
    if not slash:
        raise ValueError(f"{pair!r} is not TC/TA (e.g. 30d/60d)")
    return parse_duration(tc.strip()), parse_duration(ta.strip())


def _not_a_model(name: str) -> str:
    raise ValueError(f"{name!r} is not a model ({', '.join(REFERENCE_MODELS)})")


def parse_sweep(specs: tuple[str, ...]) -> dict[str, list]:
    """`("adversary-deposit=0.05 ether,0.5 ether", ...)` -> {key: [values]}, or a DecaiError."""
    grid: dict[str, list] = {}
    for spec in specs:
        key, _, values = spec.partition("=")
        key = key.strip()
        if key not in SWEEP_KEYS or not values.strip():
            raise DecaiError(f"--sweep {spec!r}: write KEY=V1,V2,... with KEY one of {', '.join(SWEEP_KEYS)}")
        try:
            grid[key] = [SWEEP_PARSERS[key](v.strip()) for v in values.split(",")]
        except (ValueError, DecaiError) as e:  # float() says too little; the parsers say what is wrong
            reason = "a value is not a number" if key == "honest-noise" else str(e)
            raise DecaiError(f"--sweep {spec!r}: {reason}") from None
    return grid


OUTPUT_FILES = ("steps.csv", "accuracy.csv", "contributions.csv", "events.jsonl", "summary.json", "fig3.png")
POINTS_FIGURE = "points.png"  # the points mechanism's figure, instead of fig3.png
# Options that only mean something with deposits: refused (one line) if given with --mechanism points.
DEPOSIT_ONLY = ("honest_deposit", "adversary_deposit", "budget", "creator_wait", "creator_every", "anyone_wait",
                "cost_weight", "sweeps")
SWEEP_FILES = ("sweep.csv", "sweep-runs.csv", "sweep.json", "heatmaps.png")


@contextlib.contextmanager
def local_anvil(host: str | None) -> Iterator[str]:
    """The URL of the Anvil to simulate on: `host` if given, else a throwaway Anvil started here
    (without ape-foundry's `--steps-tracing`, whose memory grows by gigabytes over a long run, and
    keeping no past states) on a free port, stopped at the end."""
    if host:
        yield host
        return
    anvil = shutil.which("anvil")
    if anvil is None:
        raise DecaiError(MISSING_ANVIL)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(anvil_command(anvil, "127.0.0.1", port, TEST_MNEMONIC, 10, None, prune_history=True), stdout=subprocess.DEVNULL)
    try:
        _wait_until_listening(process, "127.0.0.1", port)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _agents(n: int, honest: bool, deposit: int, every: int, budget: int, noise: float) -> list[Agent]:
    kind = "honest" if honest else "adversary"
    names = [kind] if n == 1 else [f"{kind}-{k + 1}" for k in range(n)]
    return [Agent(name, honest, every, deposit, max(1, deposit // (5 if honest else 33)), budget, noise) for name in names]


@click.command("simulate", cls=LocalCommand)
@ape_cli_context()
@click.option("--host", default=None, metavar="URL",
              help="A local Anvil already running (e.g. `ape decai node`). Default: a throwaway Anvil started and stopped here.")
@click.option("--dataset", type=click.Choice(DATASETS), default=None, help="A named dataset (default: rotten-tomatoes).")
@click.option("--data-file", type=click.Path(exists=True, dir_okay=False), default=None, help="A labelled CSV or JSON lines file instead.")
@click.option("--mechanism", type=click.Choice(MECHANISMS), default="deposit", show_default=True,
              help="deposit (Fig. 3) or points (III-A: validations, points and badges, no money; --refund-wait is the validation wait).")
@click.option("--per-turn", type=click.IntRange(1), default=1, show_default=True,
              help="Points only: samples an agent adds per turn (more than 1: in add_data_batch transactions).")
@click.option("--model", type=click.Choice(list(REFERENCE_MODELS)), default="sparse-perceptron", show_default=True)
@click.option("--vocab-size", type=click.IntRange(1, 65535), default=1000, show_default=True, help="Words (features) of text models.")
@click.option("--initial-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.08, show_default=True, help="Part of the training split used off chain for the initial model.")
@click.option("--samples", type=click.IntRange(1), default=None, help="At most this many contributions (default: the rest of the training split).")
@click.option("--honest", "n_honest", type=click.IntRange(0, 4), default=1, show_default=True, help="Honest agents.")
@click.option("--honest-deposit", type=AMOUNT, default="0.05 ether", show_default=True, help="An honest agent's mean deposit per contribution.")
@click.option("--honest-every", type=DURATION, default="10m", show_default=True, help="An honest agent's mean time between turns.")
@click.option("--honest-noise", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Chance that an honest agent's label is wrong.")
@click.option("--adversaries", "n_adversaries", type=click.IntRange(0, 4), default=1, show_default=True, help="Adversaries (they flip labels).")
@click.option("--adversary-deposit", type=AMOUNT, default="0.1 ether", show_default=True, help="An adversary's mean deposit per contribution.")
@click.option("--adversary-every", type=DURATION, default="1h", show_default=True, help="An adversary's mean time between turns.")
@click.option("--budget", type=AMOUNT, default="10 ether", show_default=True, help="What each agent starts with (100% in the figure).")
@click.option("--refund-wait", type=DURATION, default="1d", show_default=True, help="t: the wait before a refund or a report.")
@click.option("--doubt-wait", type=DURATION, default=None, help="td (paper III-C1): the wait of a contribution the model disagreed with when it was added [default: the refund wait: off].")
@click.option("--creator-wait", type=DURATION, default="9d", show_default=True, help="tc: the creator may take what is left.")
@click.option("--creator-every", type=DURATION, default="0", show_default=True, help="How often the creator takes what is left after tc (0: never, as in the paper's run).")
@click.option("--anyone-wait", type=DURATION, default="9d", show_default=True, help="ta: anyone takes what is left.")
@click.option("--cost-weight", type=AMOUNT, default=str(DepositParameters.cost_weight), show_default=True, help="Deposit asked = cost-weight / seconds since the last contribution (wei*s).")
@click.option("--eval-every", type=DURATION, default="12h", show_default=True, help="Chain time between accuracy measurements.")
@click.option("--gas-price", type=AMOUNT, default="1 gwei", show_default=True, help="The stated gas price of the gas columns.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="simulation", show_default=True, help="Where the CSV/JSON files and fig3.png go.")
@click.option("--overwrite", is_flag=True, help="Replace the files of an earlier run in --out.")
@click.option("--no-plot", is_flag=True, help="Do not draw fig3.png (no matplotlib needed).")
@click.option("--sweep", "sweeps", multiple=True, metavar="KEY=V1,V2,...",
              help=f"Run once per combination instead (a table in OUT/sweep.csv; heat maps in OUT/heatmaps.png when two keys are swept); KEY: {', '.join(SWEEP_KEYS)} (claim-waits: TC/TA pairs, e.g. 30d/60d,60d/60d).")
@click.option("--seeds", type=click.IntRange(1, 50), default=1, show_default=True,
              help="With --sweep: run each cell with seeds SEED .. SEED+N-1 and report the mean and spread (runs per seed in OUT/sweep-runs.csv).")
@json_option
def simulate_command(cli_ctx, mechanism, per_turn, host, dataset, data_file, model, vocab_size, initial_fraction, samples, n_honest,
                     honest_deposit, honest_every, honest_noise, n_adversaries, adversary_deposit, adversary_every,
                     budget, refund_wait, doubt_wait, creator_wait, creator_every, anyone_wait, cost_weight, eval_every, gas_price, seed, out_dir,
                     overwrite, no_plot, sweeps, seeds, as_json):
    """Replay a labelled dataset through a deposit (or points) trainer on a local Anvil (paper Fig. 3).

    The chain is a throwaway Anvil this command starts and stops (or --host URL, a local Anvil
    it may fill with test transactions, e.g. `ape decai node`).

    The initial model is trained off chain on --initial-fraction of the training split and
    deployed; honest agents add true labels, adversaries flipped ones, each at its own rate and
    deposit, refunding and reporting what they may, over simulated chain time (no waiting). It
    writes per-step balances (deposits, and gas at --gas-price), accuracy of the model read
    back from the chain, every contribution's fate and every event to --out, draws fig3.png,
    and checks its books against the chain. Defaults: the paper's scenario.

    With --mechanism points the same agents contribute to a points trainer instead: at each turn
    an agent validates its contributions past the wait that the model agrees with (its points),
    then adds; it writes per-step contributions, points, badges and gas, draws points.png, and
    checks points, badges and every record against the chain. The deposit options (deposits,
    budget, tc, ta, cost weight, creator claims, --sweep) are refused with it.
    """
    ctx = click.get_current_context()
    given = [n for n in DEPOSIT_ONLY if ctx.get_parameter_source(n) == click.core.ParameterSource.COMMANDLINE]
    if mechanism == "points" and given:
        option = "--" + given[0].removesuffix("s").replace("_", "-")
        raise click.UsageError(f"{option} is a deposit option: the points mechanism has no deposits, budgets or claims")
    if mechanism == "deposit" and ctx.get_parameter_source("per_turn") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--per-turn is for --mechanism points (a deposit trainer takes one sample per transaction)")
    if mechanism == "points":  # its only wait is t: keep t <= tc <= ta true whatever t is
        creator_wait = anyone_wait = max(refund_wait, anyone_wait)
    if dataset and data_file:
        raise click.UsageError("give --dataset or --data-file, not both")
    if n_honest + n_adversaries == 0:
        raise click.UsageError("no agents: give --honest or --adversaries at least 1")
    grid = parse_sweep(sweeps)
    if seeds > 1 and not grid:
        raise click.UsageError("--seeds needs --sweep (a single run takes --seed)")
    if grid:
        sweep_cells(grid)
    if not no_plot and (not grid or len(grid) == 2):
        require_matplotlib()  # before anything is deployed
    out = Path(out_dir)
    files = (*OUTPUT_FILES[:-1], POINTS_FIGURE) if mechanism == "points" else OUTPUT_FILES
    existing = [str(out / n) for n in (SWEEP_FILES if grid else files) if (out / n).exists()]
    if existing and not overwrite:
        raise DecaiError(f"{existing[0]} exists; pass --overwrite or choose another --out")
    scenario = Scenario(
        dataset=None if data_file else dataset or "rotten-tomatoes",
        data_file=data_file,
        model=model,
        vocab_size=vocab_size,
        initial_fraction=initial_fraction,
        samples=samples,
        seed=seed,
        parameters=DepositParameters(refund_wait=refund_wait, creator_wait=creator_wait, anyone_wait=anyone_wait, cost_weight=cost_weight, doubt_wait=doubt_wait),
        agents=_agents(n_honest, True, honest_deposit, honest_every, budget, honest_noise)
        + _agents(n_adversaries, False, adversary_deposit, adversary_every, budget, 0.0),
        eval_every=eval_every,
        creator_every=creator_every,
        gas_price=gas_price,
        mechanism=mechanism,
    )
    scenario.validate()
    if grid:
        _sweep(scenario, grid, seeds, host, out, as_json, plot=not no_plot)
        return
    with local_anvil(host) as url, managers.network_manager.parse_network_choice(NETWORK, provider_settings={"host": url}):
        simulation = PointsSimulation(scenario, per_turn=per_turn) if mechanism == "points" else Simulation(scenario)  # checks the chain
        with eta_bar(as_json) as bar:
            task = bar.add_task("simulating", total=None)

            def report(done: int, total: int, days: float) -> None:
                bar.update(task, completed=done, total=total, description=f"simulating: day {days:.1f}")

            simulation.on_progress = report
            result = simulation.run()
    paths = result.write(out, overwrite=overwrite)
    if not no_plot and mechanism == "points":
        paths.append(draw_points(result.steps, result.accuracy, result.scenario["agents"], out / POINTS_FIGURE))
    elif not no_plot:
        paths.append(draw_fig3(result.steps, result.accuracy, result.scenario["agents"], out / "fig3.png"))
    summary = {**result.summary, "files": [str(p) for p in paths], "network": NETWORK, "node": host or "throwaway"}
    if as_json:
        echo_json(summary)
        return
    if mechanism == "points":
        _print_points(summary)
    else:
        _print(summary)
    click.echo(f"network: {NETWORK} ({'at ' + host if host else 'a throwaway Anvil, stopped'})", err=True)


def _sweep(scenario: Scenario, grid: dict[str, list], seeds: int, host: str | None, out: Path, as_json: bool, plot: bool) -> None:
    """Run the grid (every cell x seed), then write sweep.csv (a row per cell: means and spread),
    sweep-runs.csv (a row per run), sweep.json and, for two keys, heatmaps.png; print a table."""
    sweep_scenarios(scenario, grid, seeds)  # every cell valid before the chain starts
    bar = eta_bar(as_json)
    network = managers.network_manager
    state: dict[str, Any] = {"run": 0, "name": ""}  # the run under way, for the bar
    with local_anvil(host) as url, network.parse_network_choice(NETWORK, provider_settings={"host": url}), bar:
        task = bar.add_task("sweep", total=len(sweep_cells(grid)) * seeds)

        def cell(k: int, total: int, values: dict) -> None:
            state.update(run=k, name=", ".join(f"{key}={_cell_text(key, v)}" for key, v in values.items()))
            bar.update(task, completed=k, description=f"sweep: {state['name']}")

        def progress(done: int, total: int, days: float) -> None:
            fraction = done / total if total else 0.0
            bar.update(task, completed=state["run"] + fraction, description=f"sweep: {state['name']}: day {days:.1f}")

        runs = sweep(scenario, grid, on_cell=cell, seeds=seeds, on_progress=progress)
        bar.update(task, completed=len(runs))
    cells = aggregate_sweep(runs, list(grid))
    paths = [out / name for name in SWEEP_FILES[:3]]
    out.mkdir(parents=True, exist_ok=True)
    for path, rows in zip(paths[:2], (cells, runs), strict=True):
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    summary = {"grid": grid, "seeds": seeds, "cells": cells, "runs": runs, "network": NETWORK, "node": host or "throwaway"}
    paths[2].write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    if plot and len(grid) == 2:
        x_key, y_key = list(grid)
        labels = {k: {str(v): _cell_text(k, v) for v in grid[k]} for k in grid}
        title = f"{len(runs)} runs: {len(cells)} cells x {seeds} seed{'s' if seeds > 1 else ''} (mean [min, max])"
        paths.append(draw_heatmaps(cells, x_key, y_key, out / SWEEP_FILES[3], title, labels))
    elif plot:
        click.echo("no heat maps: they need exactly two swept keys", err=True)
    if as_json:
        echo_json({**summary, "files": [str(p) for p in paths]})
        return
    _print_sweep(grid, cells, seeds)
    click.echo("wrote " + ", ".join(str(p) for p in paths), err=True)
    click.echo(f"network: {NETWORK} ({'at ' + host if host else 'a throwaway Anvil, stopped'})", err=True)


def _print_sweep(grid: dict[str, list], cells: list[dict], seeds: int) -> None:
    spread = " (min..max)" if seeds > 1 else ""
    table = Table(title=f"Sweep: deposit results (ETH) and held-out accuracy, mean over {seeds} seed{'s' if seeds > 1 else ''}{spread}")
    results = [k.removesuffix("_result_eth") for k in cells[0] if k.endswith("_result_eth")]
    for col in [*grid, *results, "accuracy end", "change", "contributions", "books"]:
        table.add_column(col, justify="right")
    for r in cells:
        table.add_row(
            *(_cell_text(k, r[k]) for k in grid),
            *(_mean_text(r, f"{name}_result_eth", "+.3f", seeds) for name in results),
            _mean_text(r, "accuracy_final", ".3f", seeds),
            _mean_text(r, "accuracy_change", "+.3f", seeds),
            f"{r['contributions']:.0f}",
            "equal" if r["books_ok"] else "DIFFERENT",
        )
    console().print(table)


def _mean_text(row: dict, key: str, spec: str, seeds: int) -> str:
    text = format(row[key], spec)
    return text + (f" ({row[key + '_min']:{spec}}..{row[key + '_max']:{spec}})" if seeds > 1 else "")


def _cell_text(key: str, value: Any) -> str:
    if key == "claim-waits":
        return "/".join(format_duration(int(w)) for w in value)
    if SWEEP_PARSERS.get(key) is parse_amount:
        return f"{value / 1e18:g} ETH"
    if SWEEP_PARSERS.get(key) is parse_duration:
        return format_duration(value)
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _print(summary: dict) -> None:
    c = console()
    c.print(
        f"trainer {summary['trainer']}: {summary['contributions']} contributions over {summary['simulated_days']:.1f} days; "
        f"held-out accuracy {summary['accuracy_initial']:.3f} -> {summary['accuracy_final']:.3f} "
        f"(lowest {summary['accuracy_min']:.3f}, {summary['held_out_samples']} samples)"
    )
    table = Table(title=f"Agents (gas at {summary['gas_price_wei'] / 1e9:g} gwei)")
    for col in ("agent", "added", "refunded", "took", "deposits (ETH)", "balance %", "gas (ETH)", "with gas (ETH)"):
        table.add_column(col, justify="left" if col == "agent" else "right", no_wrap=col == "agent")
    for name, a in summary["agents"].items():
        table.add_row(
            name,
            str(a["added"]),
            str(a["refunds"]),
            str(a["takes"]),
            f"{a.get('net_deposit_result_wei', a['taken']) / 1e18:+.4f}",
            f"{a['balance_pct']:.1f}" if "balance_pct" in a else "",
            f"{a['gas_cost_wei'] / 1e18:.4f}",
            f"{a.get('net_with_gas_wei', a['taken'] - a['gas_cost_wei']) / 1e18:+.4f}",
        )
    c.print(table)
    check = summary["check"]
    c.print(
        f"{summary['transactions']} transactions in {summary['wall_seconds']:.0f} s ({summary['transactions_per_second']} tx/s); "
        f"books vs chain: {'equal' if check['ok'] else 'DIFFERENT: ' + '; '.join(check['mismatches'][:3])} "
        f"({check['records']} records, {check['accounts']} accounts)"
    )
    c.print("files: " + ", ".join(summary["files"]))


def _print_points(summary: dict) -> None:
    c = console()
    c.print(
        f"points trainer {summary['trainer']}: {summary['contributions']} contributions over {summary['simulated_days']:.1f} days "
        f"(validation wait {format_duration(summary['validation_wait'])}); held-out accuracy "
        f"{summary['accuracy_initial']:.3f} -> {summary['accuracy_final']:.3f} "
        f"(lowest {summary['accuracy_min']:.3f}, {summary['held_out_samples']} samples)"
    )
    table = Table(title=f"Agents: points are contributions validated (gas at {summary['gas_price_wei'] / 1e9:g} gwei)")
    for col in ("agent", "added", "points", "validated %", "badges", "transactions", "gas (ETH)"):
        table.add_column(col, justify="left" if col in ("agent", "badges") else "right", no_wrap=col == "agent")
    for name, a in summary["agents"].items():
        table.add_row(
            name,
            str(a["added"]),
            str(a["points"]),
            f"{a['validated_pct']:.1f}",
            f"{len(a['badges'])} of {len(BADGES)}",
            f"{a['add_transactions']} add, {a['validate_transactions']} validate",
            f"{a['gas_cost_wei'] / 1e18:.4f}",
        )
    c.print(table)
    check = summary["check"]
    c.print(
        f"{summary['transactions']} transactions in {summary['wall_seconds']:.0f} s ({summary['transactions_per_second']} tx/s, "
        f"{summary['contributions_per_second']} contributions/s); books vs chain: "
        f"{'equal' if check['ok'] else 'DIFFERENT: ' + '; '.join(check['mismatches'][:3])} "
        f"({check['records']} records, points and badges of {check['accounts']} accounts)"
    )
    c.print("files: " + ", ".join(summary["files"]))


COMMANDS = (simulate_command,)
