"""`ape decai export` and `ape decai history`: a trainer's ledger from its events alone
(`ape_decai.ledger`), and with `history --test-set` the model's accuracy over its history.
Read only: no account, no transaction.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ape_decai._cli._common import console, echo_json, load_trainer, progress_bar, trainer_command
from ape_decai.datasets import load_labelled_rows
from ape_decai.errors import DecaiError
from ape_decai.figures import draw_accuracy_history, require_matplotlib
from ape_decai.ledger import EXPORT_FORMATS, accuracy_history, export_format, read_ledger, write_rows
from ape_decai.trainers import PointsTrainer, highest_badges
from ape_decai.units import iso_time


@trainer_command(name="export", account="none")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default="contributions.csv", show_default=True,
              help="The file to write (.csv or .jsonl).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default=None, help="csv or jsonl (default: from the file name).")
@click.option("--overwrite", is_flag=True, help="Replace the file if it exists.")
def export(cli_ctx, trainer_address, as_json, output, fmt, overwrite):
    """Write the trainer's contributed dataset, from its events alone.

    One row per contribution: its features as the encoder gives them (and the vocabulary
    words), label, contributor, time, deposit and fate (refunded, taken by reporters, claimed by
    the creator or anyone after the long waits, or still open), with who took what.
    """
    fmt = export_format(output, fmt)
    trainer = load_trainer(trainer_address)
    ledger = read_ledger(trainer)
    rows = ledger.rows(trainer.encoder, trainer.reference_class.input_kind, trainer.n_features)
    path = write_rows(rows, output, fmt, overwrite)
    fates: dict[str, int] = {}
    for r in rows:
        fates[r["fate"]] = fates.get(r["fate"], 0) + 1
    summary = {"trainer": trainer.address, "file": str(path), "format": fmt, "rows": len(rows), "to_block": ledger.to_block, "fates": fates}
    if as_json:
        echo_json(summary)
        return
    fates_text = ", ".join(f"{n} {k}" for k, n in sorted(fates.items())) or "none"
    click.echo(f"wrote {len(rows)} contributions of {trainer.address} to {path} ({fmt}; up to block {ledger.to_block}): {fates_text}")


@trainer_command(name="history", account="none")
@click.option("--top", type=click.IntRange(1), default=None, help="Show only the first N accounts.")
@click.option("--test-set", "test_set", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Labelled texts (CSV text,label or JSON lines): show the model's accuracy on them over its history instead.")
@click.option("--points", type=click.IntRange(1), metavar="K", default=20, show_default=True,
              help="With --test-set: at most K of the blocks where data was added (plus the deploy block and the head).")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), metavar="PNG", default=None, help="With --test-set: draw the accuracy to this PNG (needs matplotlib).")
@click.option("--overwrite", "--force", "overwrite", is_flag=True, help="With --plot: replace the file if it exists.")
def history(cli_ctx, trainer_address, as_json, top, test_set, points, plot, overwrite):
    """Per-account contributions, refunds, takes and net deposit result: a leaderboard.

    Net = refunds + takes + claims - deposits paid; deposits still open are shown apart (they may
    still come back). From the trainer's events alone.

    With --test-set F: the model's accuracy on F at the deploy block, at up to --points of the
    blocks where data was added (evenly chosen) and at the head, each the same as
    `ape decai evaluate F --block N` (free: calls only); --plot draws it.
    """
    if test_set is None and (plot is not None or overwrite):
        raise click.UsageError("--plot and --overwrite need --test-set")
    if test_set is not None:
        _accuracy_history(trainer_address, as_json, test_set, points, plot, overwrite)
        return
    trainer = load_trainer(trainer_address)
    ledger = read_ledger(trainer)
    rows = ledger.history()[:top] if top else ledger.history()
    points = isinstance(trainer, PointsTrainer)
    if isinstance(trainer, PointsTrainer):  # the badges each account earned (its `badges` view)
        for r in rows:
            r["badges"] = trainer.badges(r["account"])
    if as_json:
        echo_json({"trainer": trainer.address, "to_block": ledger.to_block, "contributions": len(ledger.entries), "accounts": rows})
        return
    table = Table(title=f"{trainer.address}: {len(ledger.entries)} contributions, up to block {ledger.to_block}")
    # a points trainer moves no money: its columns are contributions, validations and badges
    columns = ("#", "account", "added", "validated", "badges") if points else ("#", "account", "added", "refunds", "takes", "claims", "net", "open")
    for col in columns:
        table.add_column(col, justify="left" if col in ("account", "badges") else "right", no_wrap=col == "account")
    for r in rows:
        if points:  # the highest badge of each family; every name is in --json and `info`
            table.add_row(str(r["rank"]), r["account"], str(r["contributions"]), str(r["validated"]), ", ".join(highest_badges(r["badges"])) or "-")
            continue
        table.add_row(
            str(r["rank"]),
            r["account"],
            str(r["contributions"]),
            str(r["refunds"]),
            str(r["takes"]),
            str(r["claims"]),
            f"{r['net'] / 1e18:+.4f}",
            f"{r['open'] / 1e18:.4f}",
        )
    console().print(table)
    if not points:
        click.echo("ETH; net = refunds + takes + claims - deposits; open: deposits not settled yet (--json: every amount)", err=True)


def _accuracy_history(trainer_address, as_json: bool, test_set: str, points: int, plot: str | None, overwrite: bool) -> None:
    """`history --test-set`: check everything (plot file, matplotlib, the test set) before any work."""
    if plot is not None:
        if Path(plot).exists() and not overwrite:
            raise DecaiError(f"{plot} exists; pass --overwrite (or --force) or choose another file")
        try:
            require_matplotlib()
        except DecaiError:
            raise DecaiError("--plot needs matplotlib: pip install 'ape-decai[plot]'") from None
    trainer = load_trainer(trainer_address)
    _, samples, _ = load_labelled_rows(test_set, trainer.classes, max(2, len(trainer.classes)))
    with progress_bar(as_json, "scoring blocks", stderr=True) as on_progress:
        rows = [p.as_dict() for p in accuracy_history(trainer, samples, points, on_progress=on_progress)]
    if plot is not None:
        draw_accuracy_history(rows, plot, f"{trainer.address}: accuracy on {Path(test_set).name}")
    if as_json:
        echo_json({"trainer": trainer.address, "test_set": test_set, "samples": len(samples), "to_block": rows[-1]["block"],
                   "plot": plot, "points": rows})
        return
    unreadable = len(samples) - rows[-1]["scored"]
    note = f", {unreadable} the model cannot read (not scored)" if unreadable else ""
    table = Table(title=f"{trainer.address}: accuracy on {test_set} ({len(samples)} samples{note})")
    for col in ("block", "time", "contributions", "accuracy", "correct"):
        table.add_column(col, justify="right")
    for r in rows:
        accuracy = "-" if r["accuracy"] is None else f"{r['accuracy']:.3f}"
        table.add_row(str(r["block"]), iso_time(r["timestamp"]), str(r["contributions"]), accuracy, f"{r['correct']} of {r['scored']}")
    console().print(table)
    if plot is not None:
        click.echo(f"wrote {plot}", err=True)


COMMANDS = (export, history)
