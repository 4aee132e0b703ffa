"""`ape decai simulate-market`: the prediction market (paper III-B, Fig. 2) as a simulated scenario
on the real contracts (`ape_decai.market_simulation`).

Thin: options -> `MarketScenario`, `simulate_market` (or `sweep_market`) with a progress bar on its
own throwaway Anvil (`local_anvil`), then the files, the figure (`figures.draw_market`) and a table
or one JSON object.
"""

from __future__ import annotations

import csv
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
from ape_decai._cli.node import NETWORK
from ape_decai._cli.simulate import local_anvil
from ape_decai.datasets import DATASETS
from ape_decai.errors import DecaiError
from ape_decai.figures import draw_market, require_matplotlib
from ape_decai.market_simulation import (
    BAD_LABELS,
    ETHER,
    OUTPUT_FILES,
    PROVIDER,
    SWEEP_FIELDS,
    MarketScenario,
    MarketSimulation,
    sweep_market,
)

FIGURE = "market-sim.png"
# The sweep table's columns, with short headers (the CSV keeps every column, full names).
SWEEP_HEADERS = {"honest_net_pct": "honest %", "bad_net_pct": "bad %", "provider_net_eth": "provider ETH",
                 "burned_eth": "burned ETH", "accuracy_initial": "acc. before", "accuracy_final": "acc. after",
                 "books_ok": "books ok"}


def parse_sweep(spec: str | None) -> tuple[str, list[int]] | None:
    """`"bad=0,1,2"` -> ("bad", [0, 1, 2]), or a DecaiError saying how to write it."""
    if not spec:
        return None
    key, _, values = spec.partition("=")
    key = key.strip()
    try:
        numbers = [int(v) for v in values.split(",")]
    except ValueError:
        numbers = []
    if key not in SWEEP_FIELDS or not numbers or min(numbers) < 0:
        raise DecaiError(f"--sweep {spec!r}: write KEY=N1,N2,... (whole numbers) with KEY one of {', '.join(SWEEP_FIELDS)}")
    return key, numbers


@click.command("simulate-market", cls=LocalCommand)
@ape_cli_context()
@click.option("--host", default=None, metavar="URL",
              help="A local Anvil already running (e.g. `ape decai node`). Default: a throwaway Anvil started and stopped here.")
@click.option("--dataset", type=click.Choice(DATASETS), default=None, help="A named two-class dataset (default: rotten-tomatoes).")
@click.option("--data-file", type=click.Path(exists=True, dir_okay=False), default=None, help="A labelled CSV or JSON lines file (two classes) instead.")
@click.option("--vocab-size", type=click.IntRange(1, 2048), default=1000, show_default=True, help="Words (features) of the model.")
@click.option("--initial-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.02, show_default=True,
              help="Part of the training split the provider trains the initial model on, off chain.")
@click.option("--test-samples", type=click.IntRange(1), default=400, show_default=True, help="The provider's hidden test set (other samples of the training split).")
@click.option("--reveal-fraction", type=click.FloatRange(0, 1, min_open=True), default=0.1, show_default=True, help="Share of the test set's parts drawn for the early reveal (at least one part).")
@click.option("--honest", type=click.IntRange(0, 8), default=4, show_default=True, help="Honest participants (true labels).")
@click.option("--bad", type=click.IntRange(0, 8), default=2, show_default=True, help="Bad participants (wrong labels).")
@click.option("--bad-labels", type=click.Choice(BAD_LABELS), default="flip", show_default=True,
              help="flip: the wrong label of their next sample; targeted: of the next sample the live model gets right.")
@click.option("--contributions", type=click.IntRange(1), default=5, show_default=True, help="Contributions of each participant (one stake each).")
@click.option("--stake", type=AMOUNT, default="0.01 ether", show_default=True, help="The unit each contribution stakes.")
@click.option("--rounds", type=click.IntRange(1), default=None, help="Rounds of Fig. 2: the bounty is rounds x stake [default: 10].")
@click.option("--bounty", type=AMOUNT, default=None, help="The provider's bounty instead of --rounds (a multiple of the stake).")
@click.option("--duration", type=DURATION, default="3d", show_default=True, help="Participation time (chain time; contributions spread over it).")
@click.option("--reveal-window", type=DURATION, default="2d", show_default=True, help="Time the provider has for each reveal.")
@click.option("--gas-price", type=AMOUNT, default="1 gwei", show_default=True, help="The stated gas price of the gas columns.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="market-simulation", show_default=True,
              help=f"Where the CSV/JSON files and {FIGURE} go.")
@click.option("--overwrite", is_flag=True, help="Replace the files of an earlier run in --out.")
@click.option("--no-plot", is_flag=True, help=f"Do not draw {FIGURE} (no matplotlib needed).")
@click.option("--sweep", "sweep_spec", default=None, metavar="KEY=N1,N2,...",
              help=f"Run once per value instead (a table in OUT/sweep.csv); KEY: {', '.join(SWEEP_FIELDS)}.")
@json_option
def simulate_market_command(cli_ctx, host, dataset, data_file, vocab_size, initial_fraction, test_samples, reveal_fraction,
                            honest, bad, bad_labels, contributions, stake, rounds, bounty, duration, reveal_window, gas_price,
                            seed, out_dir, overwrite, no_plot, sweep_spec, as_json):
    """Run a prediction market (paper III-B, Fig. 2) on a local Anvil with honest and bad participants.

    The provider trains the initial model off chain on --initial-fraction of the data, deploys a
    market trainer, commits a hidden test set with the bounty; anyone draws, the provider reveals
    the drawn parts; each participant stakes --contributions times (honest: true labels; bad:
    wrong ones); participation ends, the provider reveals the rest and settles, everyone claims.
    Chain time moves with the chain (no waiting). It writes each step's balances (stake and
    bounty money, and gas at --gas-price apart), the accuracy of the model read back from the
    chain, Fig. 2's balances round by round and every event to --out, draws market-sim.png, and
    checks every payout against the Python reference and every balance against the chain.
    """
    if dataset and data_file:
        raise click.UsageError("give --dataset or --data-file, not both")
    if rounds is not None and bounty is not None:
        raise click.UsageError("give --rounds or --bounty, not both")
    if bounty is not None and (bounty <= 0 or stake <= 0 or bounty % stake):
        raise click.UsageError(f"--bounty ({bounty} wei) must be a positive multiple of --stake ({stake} wei)")
    sweep = parse_sweep(sweep_spec)
    scenario = MarketScenario(
        dataset=None if data_file else dataset or "rotten-tomatoes", data_file=data_file, vocab_size=vocab_size,
        initial_fraction=initial_fraction, test_samples=test_samples, reveal_fraction=reveal_fraction, honest=honest,
        bad=bad, contributions=contributions, bad_labels=bad_labels, stake=stake,
        rounds=bounty // stake if bounty is not None else rounds or 10, duration=duration, reveal_window=reveal_window,
        seed=seed, gas_price=gas_price,
    )
    scenario.validate()
    if not no_plot and not sweep:
        require_matplotlib()  # before anything is deployed
    out = Path(out_dir)
    existing = [str(out / n) for n in (("sweep.csv",) if sweep else (*OUTPUT_FILES, FIGURE)) if (out / n).exists()]
    if existing and not overwrite:
        raise DecaiError(f"{existing[0]} exists; pass --overwrite or choose another --out")
    if sweep:
        _sweep(scenario, *sweep, host, out, as_json)
        return
    with local_anvil(host) as url, managers.network_manager.parse_network_choice(NETWORK, provider_settings={"host": url}):
        simulation = MarketSimulation(scenario)  # checks the chain before the bar shows
        with eta_bar(as_json) as bar:
            task = bar.add_task("simulating", total=None)

            def report(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total, description=f"market: {what}")

            simulation.on_progress = report
            result = simulation.run()
    paths = result.write(out, overwrite=overwrite)
    if not no_plot:
        paths.append(draw_market(result.accuracy, result.rounds, result.summary["agents"], out / FIGURE))
    summary = {**result.summary, "files": [str(p) for p in paths], "network": NETWORK, "node": host or "throwaway"}
    if as_json:
        echo_json(summary)
        return
    _print(summary)
    click.echo(f"network: {NETWORK} ({'at ' + host if host else 'a throwaway Anvil, stopped'})", err=True)


def _sweep(scenario: MarketScenario, key: str, values: list[int], host: str | None, out: Path, as_json: bool) -> None:
    with local_anvil(host) as url, managers.network_manager.parse_network_choice(NETWORK, provider_settings={"host": url}), \
            eta_bar(as_json) as bar:
        task = bar.add_task("sweep", total=len(values))

        def cell(k: int, total: int, value: int) -> None:
            bar.update(task, completed=k, description=f"sweep: {key}={value}")

        rows = sweep_market(scenario, key, values, on_cell=cell)
        bar.update(task, completed=len(rows))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "sweep.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if as_json:
        echo_json({"cells": rows, "file": str(path), "network": NETWORK, "node": host or "throwaway"})
        return
    table = Table(title=f"Sweep over {key}: mean net result (% of the stakes), provider's net, held-out accuracy")
    shown = [col for col in rows[0] if col in SWEEP_HEADERS or col == key]
    for col in shown:
        table.add_column(SWEEP_HEADERS.get(col, col), justify="right")
    for r in rows:
        table.add_row(*(_text(r[col]) for col in shown))
    console().print(table)
    click.echo(f"wrote {path}", err=True)
    click.echo(f"network: {NETWORK} ({'at ' + host if host else 'a throwaway Anvil, stopped'})", err=True)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _print(summary: dict) -> None:
    c = console()
    c.print(
        f"trainer {summary['trainer']}: {summary['contributions']} contributions ({summary['model_updates']} changed the "
        f"model); held-out accuracy {summary['accuracy_initial']:.3f} -> {summary['accuracy_final']:.3f} "
        f"({summary['held_out_samples']} samples); provider's test set {summary['test_set_accuracy_initial']:.3f} -> "
        f"{summary['test_set_accuracy_final']:.3f} ({summary['test_samples']} samples in {summary['parts']} parts, "
        f"errors {summary['errors_initial']} -> {summary['errors_final']})"
    )
    table = Table(title=f"Accounts (gas at {summary['gas_price_wei'] / 1e9:g} gwei)")
    for col in ("account", "added (changed)", "net (ETH)", "net %", "gas", "net with gas (ETH)"):
        table.add_column(col, justify="left" if col == "account" else "right", no_wrap=col == "account")
    for name, a in summary["agents"].items():
        added = f"{a['contributions']} ({a['updates']})" if "contributions" in a else "bounty"
        table.add_row(name, added, f"{a['net_wei'] / ETHER:+.6f}", f"{a['net_pct']:+.2f}", f"{a['gas_used']:,}",
                      f"{a['net_with_gas_wei'] / ETHER:+.6f}")
    c.print(table)
    check = summary["check"]
    provider = summary["agents"][PROVIDER]
    c.print(
        f"bounty {summary['bounty_wei'] / ETHER:g} ETH ({summary['scenario']['rounds']} rounds), paid out "
        f"{summary['paid_out_wei'] / ETHER:.6f} ETH of {(summary['bounty_wei'] + summary['stakes_wei']) / ETHER:g} "
        f"(bounty and stakes); burned (the rest, it stays in the contract) {summary['burned_wei'] / ETHER:.6f} ETH; deploying took "
        f"{provider['deploy_gas_used']:,} gas more"
    )
    c.print(
        f"{summary['transactions']} transactions in {summary['wall_seconds']:.0f} s; books vs chain and the Python reference: "
        f"{'equal' if check['ok'] else 'DIFFERENT: ' + '; '.join(check['mismatches'][:3])} "
        f"({check['payouts']} payouts, {check['accounts']} accounts)"
    )
    c.print("files: " + ", ".join(summary["files"]))


COMMANDS = (simulate_market_command,)
