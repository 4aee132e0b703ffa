"""`ape decai export` and `ape decai history`: a trainer's ledger from its events alone
(`ape_decai.ledger`). Read only: no account, no transaction.
"""

from __future__ import annotations

import click
from rich.table import Table

from ape_decai._cli._common import console, echo_json, load_trainer, trainer_command
from ape_decai.ledger import EXPORT_FORMATS, export_format, read_ledger, write_rows
from ape_decai.trainers import PointsTrainer


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
def history(cli_ctx, trainer_address, as_json, top):
    """Per-account contributions, refunds, takes and net deposit result: a leaderboard.

    Net = refunds + takes + claims - deposits paid; deposits still open are shown apart (they may
    still come back). From the trainer's events alone.
    """
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
    for col in ("#", "account", "added", "refunds", "takes", "claims", "net", "open"):
        table.add_column(col, justify="left" if col == "account" else "right", no_wrap=col == "account")
    if points:
        table.add_column("badges", justify="left")
    for r in rows:
        table.add_row(
            str(r["rank"]),
            r["account"],
            str(r["contributions"]),
            str(r["refunds"] or r["validated"]),
            str(r["takes"]),
            str(r["claims"]),
            f"{r['net'] / 1e18:+.4f}",
            f"{r['open'] / 1e18:.4f}",
            *([str(len(r["badges"]))] if points else []),  # how many: the names are in --json and `info`
        )
    console().print(table)
    click.echo("ETH; net = refunds + takes + claims - deposits; open: deposits not settled yet (--json: every amount)", err=True)


COMMANDS = (export, history)
