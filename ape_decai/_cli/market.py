"""`ape decai market open|draw|end|settle|abort|status`, `ape decai reveal`, `ape decai claim`.

Thin commands over `ape_decai.market.MarketClient` (a market trainer's `.market`). The provider's
secrets (salts and parts) are written by `market open` to a file it never overwrites: <ape data
folder>/decai/markets/<trainer>-<commitment>.json, or --secrets PATH. Keep it until the market is
settled: without it the rest cannot be revealed, and the market aborts (the bounty is burned,
every stake goes back).

The caps (parts, test samples and words, contributions) are the contract's public constants,
read from the trainer by `MarketClient.limits`; they are not repeated as option ranges here.
`market status` only reads: it never asks for an account.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from ape_decai._cli._common import AMOUNT, DURATION, echo_json, eth, load_trainer, trainer_command, txn_hash
from ape_decai.datasets import load_labelled_file
from ape_decai.errors import DecaiError
from ape_decai.market import PHASES, MarketClient, MarketSecrets, default_secrets_path
from ape_decai.trainers import MarketTrainer
from ape_decai.units import to_hex, when


def _market(trainer_address) -> MarketClient:
    trainer = load_trainer(trainer_address)
    if not isinstance(trainer, MarketTrainer):
        raise DecaiError(f"{trainer.address} is a {trainer.mechanism} trainer, not a market trainer")
    return trainer.market


def _act(trainer_address, action: str, account) -> tuple[Any, dict]:
    """Send one market step anyone may take (draw, end, abort); (its receipt, the status after it)."""
    m = _market(trainer_address)
    receipt = getattr(m, action)(account)
    return receipt, m.status()


def _progress(label: str, as_json: bool):
    """A rich progress bar (nothing with --json); returns (context manager, callback)."""
    if as_json:
        return contextlib.nullcontext(), None
    bar = Progress(transient=False)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=max(total, 1))

    return bar, update


@click.group(short_help="Prediction market with a bounty (market trainers)")
def market():
    """Open, draw, end, settle and inspect a trainer's prediction market (paper III-B)."""


@trainer_command(market, "open")
@click.option("--test-set", "test_set", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True, help="Labelled texts (CSV with text,label or JSON lines), encoded with the trainer's encoder.")
@click.option("--parts", default=100, show_default=True, type=click.IntRange(1), help="N: parts of the test set (at most the contract's MAX_PARTS).")
@click.option("--reveal", "n_reveal", default=10, show_default=True, type=click.IntRange(0), help="K: parts drawn for early reveal (at most N).")
@click.option("--bounty", type=AMOUNT, required=True, help="B (wei or '1 ether'): a multiple of the stake.")
@click.option("--stake", type=AMOUNT, required=True, help="The unit each contribution stakes (wei or '0.01 ether').")
@click.option("--end", "duration", type=DURATION, default="7d", show_default=True, help="Participation time limit after opening (e.g. 3d).")
@click.option("--max-contributions", default=100, show_default=True, type=click.IntRange(1), help="Participation ends after this many (at most the contract's MAX_PARTICIPANTS).")
@click.option("--reveal-window", type=DURATION, default="2d", show_default=True, help="Time to reveal the drawn parts, and the rest after the end.")
@click.option("--secrets", "secrets_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to keep the salts and parts (never overwritten).")
def open_market(cli_ctx, test_set, parts, n_reveal, bounty, stake, duration, max_contributions, reveal_window, secrets_path, trainer_address, account, as_json):
    """Open a market as its provider: split and salt the test set, keep the secrets, commit."""
    m = _market(trainer_address)
    amounts = bounty, stake
    durations = duration, reveal_window
    # the parameters first (before reading the test set); `open` checks the test set too
    m.check_open_parameters(parts, n_reveal, *amounts, durations[0], max_contributions, durations[1])
    samples, _ = load_labelled_file(test_set, classes=m.trainer.classes)
    secrets = m.secrets_for(samples, parts)
    encoded = secrets.samples
    receipt, path = m.open(secrets, n_reveal, *amounts, durations[0], max_contributions, durations[1], secrets_path, account)
    result = {"transaction": txn_hash(receipt), "gas_used": receipt.gas_used, "market_id": m.market_id,
              "commitment": to_hex(secrets.commitment), "samples": len(encoded), "secrets_file": str(path)}
    if as_json:
        echo_json(result)
        return
    click.echo(f"market {result['market_id']} opened in {result['transaction']} (gas {receipt.gas_used:,})")
    click.echo(f"{len(encoded)} test samples in {parts} parts; keep the secrets file: {path}")
    click.echo("next: `ape decai market draw` (anyone, a later block), then `ape decai reveal`")


@trainer_command(market, "draw")
def draw(cli_ctx, trainer_address, account, as_json):
    """Draw the parts the provider must reveal before participation (anyone)."""
    receipt, s = _act(trainer_address, "draw", account)
    drawn = s["drawn_parts"]
    if as_json:
        echo_json({"transaction": txn_hash(receipt), "drawn_parts": drawn})
        return
    click.echo(f"drawn parts: {drawn}")


@trainer_command(market, "end")
def end(cli_ctx, trainer_address, account, as_json):
    """End participation once its time or its number of contributions is reached (anyone)."""
    receipt, status = _act(trainer_address, "end", account)
    if as_json:
        echo_json({"transaction": txn_hash(receipt), "phase": status["phase"], "reveal_deadline": status["reveal_deadline"],
                    "reveal_deadline_iso": status["deadline_iso"], "next_action": status["next_action"]})
        return
    click.echo(f"participation ended; phase {status['phase']}")
    click.echo(f"next: {status['next_action']}")


@trainer_command(market, "settle")
@click.option("--per-tx", default=128, show_default=True, type=click.IntRange(1, 128), help="Payouts written per transaction.")
def settle(cli_ctx, per_tx, trainer_address, account, as_json):
    """Evaluate the losses and write every payout (anyone; resumable)."""
    m = _market(trainer_address)
    problem = m.settle_problem()
    if problem:
        raise DecaiError(problem)
    bar, update = _progress("settling", as_json)
    with bar:
        receipts = m.settle(account, per_tx=per_tx, progress=update)
    result = {"transactions": [txn_hash(r) for r in receipts], "gas_used": [r.gas_used for r in receipts],
              "phase": m.status()["phase"]}
    if as_json:
        echo_json(result)
        return
    click.echo(f"settled in {len(receipts)} transaction(s), gas {sum(result['gas_used']):,}")


@trainer_command(market, "abort")
def abort(cli_ctx, trainer_address, account, as_json):
    """Abort the market after a missed deadline (the provider's reveal, or nobody settled in time; anyone): stakes come back, the bounty is burned."""
    receipt, s = _act(trainer_address, "abort", account)
    result = {"transaction": txn_hash(receipt), "gas_used": receipt.gas_used, "market_id": s["market_id"],
              "phase": s["phase"], "stakes_returnable": s["contributions"] * s["stake"], "next_action": s["next_action"]}
    if as_json:
        echo_json(result)
        return
    click.echo(f"market {s['market_id']} aborted in {result['transaction']}; every stake can be claimed back, the bounty ({eth(s['bounty'])}) is burned")
    if s["contributions"]:
        click.echo(f"{s['contributions']} contribution(s): each participant takes the stake ({eth(s['stake'])}) back with "
                   "`ape decai claim`")


def _when(timestamp: int, now: int) -> str:
    return when(timestamp, now) if timestamp else "-"


@trainer_command(market, "status", account="optional")
@click.option("--mine", is_flag=True, help="Only the account's own contributions (needs --account).")
def status(cli_ctx, mine, trainer_address, account, as_json):
    """Phase, counts, deadlines, drawn parts, balances and the next step of the current market (read only)."""
    if mine and account is None:
        raise click.UsageError("--mine needs --account ALIAS")
    m = _market(trainer_address)
    s = m.status(account.address if mine else None)
    if as_json:
        echo_json(s)
        return
    now = s["now"]
    click.echo(f"market {s['market_id']}: {s['phase']} (chain time {s['now_iso']})")
    if s["market_id"]:
        click.echo(f"provider: {s['provider']}")
        click.echo(f"bounty: {eth(s['bounty'])}, stake {eth(s['stake'])} ({s['rounds']} rounds)")
        click.echo(f"test set: {s['parts']} parts (drawn: {s['drawn_parts']}; revealed: {s['revealed_parts']} parts, "
                   f"{s['test_samples']} samples)")
        click.echo(f"contributions: {s['contributions']} of at most {s['max_contributions']}")
        if s["participation_ends_at"]:
            click.echo(f"participation ends: {_when(s['participation_ends_at'], now)}")
        if s["deadline_kind"]:  # what the deadline means in this phase (none in the others)
            click.echo(f"{s['deadline_kind']} deadline: {_when(s['deadline'], now)}")
        click.echo(f"payouts written: {s['payouts_written']}; paid {eth(s['paid'])}; contract balance {eth(s['balance'])}")
    for row in s.get("participants", []):
        amount = "-" if row["amount"] is None else eth(row["amount"])
        click.echo(f"  #{row['index']} {row['participant']} {amount}{' (claimed)' if row['claimed'] else ''}")
    click.echo(f"next: {s['next_action']}")


@trainer_command(name="reveal")
@click.option("--secrets", "secrets_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None, help="The secrets file written by `market open` (default: its default path).")
@click.option("--per-tx", default=30, show_default=True, type=click.IntRange(1, 256), help="Parts per transaction after the end.")
def reveal(cli_ctx, secrets_path, per_tx, trainer_address, account, as_json):
    """Provider: reveal what the phase requires (drawing first if nobody has)."""
    m = _market(trainer_address)
    state = m.state()
    if secrets_path is None:
        secrets_path = default_secrets_path(m.trainer.address, bytes.fromhex(state["commitment"][2:]))
        if not secrets_path.exists():
            raise DecaiError(f"no secrets file at {secrets_path}: pass --secrets PATH")
    secrets = MarketSecrets.load(secrets_path)
    m.check_reveal(secrets, allow_committed=True)  # before drawing or showing a progress bar
    receipts = []
    if PHASES[state["phase"]] == "committed":
        receipts.append(m.draw(account))
    bar, update = _progress("revealing", as_json)
    with bar:
        receipts += m.reveal(secrets, account, per_tx=per_tx, progress=update)
    s = m.status()
    result = {"transactions": [txn_hash(r) for r in receipts], "gas_used": [r.gas_used for r in receipts], "phase": s["phase"]}
    if as_json:
        echo_json(result)
        return
    click.echo(f"revealed in {len(receipts)} transaction(s); phase is now {s['phase']}")


@trainer_command(name="claim")
@click.option("--market", "market_id", default=None, type=click.IntRange(1), help="Market id (default: the latest).")
def claim(cli_ctx, market_id, trainer_address, account, as_json):
    """Withdraw your payouts (settled market) or stakes (aborted market)."""
    m = _market(trainer_address)
    receipts = m.claim(account, market_id)
    amounts = [int(r.events[0].amount) for r in receipts]
    if as_json:
        echo_json({"transactions": [txn_hash(r) for r in receipts], "amounts": amounts, "total": sum(amounts)})
        return
    click.echo(f"claimed {eth(sum(amounts))} in {len(receipts)} transaction(s)")


COMMANDS = (market, reveal, claim)
