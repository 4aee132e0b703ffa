"""`ape decai train|deploy|add-data|predict|refund|report|info|time-travel`: thin commands over
the API (`ape_decai.training`, `ape_decai.deployment`, `ape_decai.trainers`): parse, call, print.

Every command takes --json (one JSON object on stdout, nothing else) and ends a problem the
user can fix with one line and exit status 1, before any transaction is sent.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import account_option
from rich.table import Table

from ape_decai._ape import managers
from ape_decai._cli._common import (
    AMOUNT,
    DURATION,
    ChainCommand,
    LocalCommand,
    ape_cli_context,
    console,
    echo_json,
    eth,
    json_option,
    load_trainer,
    print_verdicts,
    progress_bar,
    trainer_command,
    txn_hash,
    warn_if_throwaway,
)
from ape_decai.baselines import SKLEARN_MISSING
from ape_decai.datasets import DATASETS, NAMED_DATASETS
from ape_decai.deployment import deploy as deploy_model
from ape_decai.errors import DecaiError
from ape_decai.models import REFERENCE_MODELS
from ape_decai.parameters import DepositParameters, Parameters, PointsParameters
from ape_decai.state import check_state_file, remember_trainer
from ape_decai.training import ModelFile
from ape_decai.training import train as train_model_file
from ape_decai.units import format_duration, iso_time

# What `predict` and `info` say of a trainer whose deployment is unfinished.
UNSEALED = (
    "note: this trainer is not sealed: its deployment is unfinished (run the same `ape decai deploy` "
    "to finish it); it takes no data yet, and its model is only partly written"
)

# The deploy command's defaults are the API's (one place to change them).
DEFAULT_DEPOSIT = DepositParameters()


def _dataset_help() -> str:
    texts = "; ".join(f"{d.name}: {d.summary}" for d in NAMED_DATASETS.values() if d.load is not None)
    tables = ", ".join(d.name for d in NAMED_DATASETS.values() if d.load is None)
    return (
        f"Train on a dataset shipped by a package instead of DATA_FILE. Texts: {texts}. "
        f"Tables of numbers (scikit-learn): {tables}. Without its package, a dataset says what to install."
    )


def _accuracy_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _train_summary_lines(model_id: str, unit: str, n_features: int, n_classes: int, t: dict) -> list[str]:
    """What `train` prints: what was trained and tested, what was skipped or truncated and why."""
    lines = [
        f"{model_id}: {n_features} {unit}, {n_classes} classes; of {t['samples']} samples, "
        f"trained on {t['train_samples']}, tested on {t['test_samples']} held out"
    ]
    skipped = []
    if t["skipped_empty"]:
        skipped.append(f"{t['skipped_empty']} with no feature of the encoder")
    if t["skipped_too_long"]:
        skipped.append(
            f"{t['skipped_too_long']} with more than {t['max_features']} distinct features (the most one contribution carries)"
        )
    if not skipped:
        lines.append("skipped none")
    elif len(skipped) == 1:
        lines.append(f"skipped {skipped[0]}")
    else:
        lines.append(f"skipped {t['skipped_empty'] + t['skipped_too_long']}: {', '.join(skipped)}")
    if t.get("truncated"):
        lines.append(
            f"truncated {t['truncated']} to their {t['max_features']} lowest-ranked features (the most one contribution carries)"
        )
    sk = t.get("sklearn")
    held_out = _accuracy_text(t["test_accuracy"])
    if t["test_samples"] == 0:
        held_out += " (no held-out sample: raise --test-fraction to score the model)"
    if sk is None:
        versus = f" ({SKLEARN_MISSING})"
    else:
        versus = f"; scikit-learn {sk['estimator']}: {_accuracy_text(sk['test_accuracy'])}"
    lines.append(f"accuracy: train {_accuracy_text(t['train_accuracy'])}, held-out {held_out}{versus}")
    return lines


@click.command(cls=LocalCommand)
@ape_cli_context()
@click.argument("data_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", type=click.Choice(DATASETS), default=None, help=_dataset_help())
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Model file to write.")
@click.option("--model", "model_id", type=click.Choice(list(REFERENCE_MODELS)), default="sparse-perceptron", show_default=True, help="The model: sparse ones take texts, dense ones numeric vectors.")
@click.option("--encoder", type=click.Choice(["vocabulary", "hashing"]), default="vocabulary", show_default=True, help="Texts: a vocabulary published on chain, or feature hashing (MurmurHash3 of lower-cased tokens).")
@click.option("--vocab-size", default=1000, show_default=True, type=click.IntRange(1, 65535), help="Words in the vocabulary (features, with --encoder hashing).")
@click.option("--scale", default=None, type=click.IntRange(1, 8191), help="Numeric data: standardised values (z-scores) are multiplied by this and rounded to int16 [default: 16 for dense-perceptron, 1000 for ncc].")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--learning-rate", default=1, show_default=True, type=click.IntRange(1, 2**15 - 1))
@click.option("--test-fraction", default=0.2, show_default=True, type=click.FloatRange(0.0, 0.9), help="Share of the samples held out to score the model (0: train on all, no held-out accuracy).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--name", default=None, help="Model name (default: the file's stem).")
@click.option("--description", default="", help="What the model does.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@json_option
def train(cli_ctx, data_file, dataset, output, model_id, encoder, vocab_size, scale, epochs, learning_rate, test_fraction, seed, name, description, force, as_json):
    """Train the initial model off chain from DATA_FILE (CSV or JSONL; texts or numbers).

    Uses the same integer arithmetic as the contract (a bit-exact reference), so the model
    deployed predicts exactly what it predicted here. The summary says how many samples were
    trained on, held out, skipped or truncated and why; the held-out accuracy is shown next to
    scikit-learn's equivalent classifier on the same features (when scikit-learn is installed).
    Nothing is written unless training succeeds and the model can be deployed.
    """
    if output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to overwrite it")
    if (data_file is None) == (dataset is None):
        raise click.UsageError("give either DATA_FILE or --dataset")
    model = train_model_file(
        data_file,
        dataset=dataset,
        model=model_id,
        name=name,
        encoder=encoder,
        vocab_size=vocab_size,
        scale=scale,
        epochs=epochs,
        learning_rate=learning_rate,
        description=description,
        test_fraction=test_fraction,
        seed=seed,
    )
    n_features = model.reference().n_features
    t = model.training or {}
    unit = "words" if model.encoder["type"] == "vocabulary" else "features"
    # Everything printed is prepared before the file is written: a model file exists only
    # after a command that succeeded.
    lines = _train_summary_lines(model_id, unit, n_features, len(model.classes), t)
    summary = {"output": str(output), "model": model_id, "classes": model.classes, "n_features": n_features, **t}
    model.save(output, overwrite=force)
    if as_json:
        echo_json(summary)
        return
    click.echo("\n".join([*lines, f"wrote {output}"]))


@click.command(cls=ChainCommand)
@ape_cli_context()
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mechanism", type=click.Choice(["deposit", "points", "market"]), default=None, help="Incentive mechanism [default: deposit, or decai.mechanism].")
@click.option("--refund-wait", type=DURATION, default=format_duration(DEFAULT_DEPOSIT.refund_wait), show_default=True, help="t: wait before a refund or report (deposit), or before validation (points).")
@click.option("--creator-wait", type=DURATION, default=format_duration(DEFAULT_DEPOSIT.creator_wait), show_default=True, help="tc: wait before the creator takes what is left.")
@click.option("--anyone-wait", type=DURATION, default=format_duration(DEFAULT_DEPOSIT.anyone_wait), show_default=True, help="ta: wait before anyone takes what is left.")
@click.option("--cost-weight", type=AMOUNT, default=str(DEFAULT_DEPOSIT.cost_weight), show_default=True, help="Deposit numerator in wei*seconds: deposit = cost-weight / seconds since the last contribution.")
@click.option("--min-deposit", type=AMOUNT, default=str(DEFAULT_DEPOSIT.min_deposit), show_default=True, help="Deposit floor (wei, or e.g. '0.001 ether').")
@click.option("--min-share", type=AMOUNT, default=str(DEFAULT_DEPOSIT.min_share), show_default=True, help="Smallest reporter's share (the paper's epsilon).")
@click.option("--gas-cap", default=10_000_000, show_default=True, type=click.IntRange(100_000, 10**9), help="Most gas per transaction: a large model is deployed over several, each under the cap.")
@click.option("--restart", is_flag=True, help="Start a new deployment even if an unfinished one of this model file can be resumed.")
@account_option()
@json_option
def deploy(cli_ctx, model_file, mechanism, refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share, gas_cap, restart, account, as_json, provider):
    """Deploy a trainer for MODEL_FILE (from `ape decai train`) and remember it for this network.

    A large model is written over several transactions, each under --gas-cap, with a progress
    bar; if that is interrupted, running the same command again resumes where it stopped.
    """
    model = ModelFile.load(model_file)
    mechanism = mechanism or managers.config_manager.get_config("decai").mechanism
    params: Parameters | None
    if mechanism == "deposit":
        params = DepositParameters(refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share)
    elif mechanism == "points":
        params = PointsParameters(validation_wait=refund_wait)
    else:
        params = None
    if params is not None:
        try:
            params.validate()
        except DecaiError as err:  # the options do not fit together: a usage error, like a malformed one
            raise click.UsageError(str(err)) from None
    check_state_file()  # where the deployment will be remembered: fail before sending
    warn_if_throwaway(provider, as_json)
    try:
        with progress_bar(as_json, "deploying") as on_progress:
            done = deploy_model(model, mechanism, params, sender=account, gas_cap=gas_cap, on_progress=on_progress, restart=restart)
    except KeyboardInterrupt:
        raise DecaiError("interrupted: run the same command to resume") from None
    trainer = done.trainer
    remembered = remember_trainer(done.address, done.block)
    result = {
        "address": done.address,
        "model": done.model_id,
        "mechanism": mechanism,
        "name": model.name,
        "n_features": trainer.n_features,
        "transactions": done.transactions,
        "resumed": done.resumed,
        "gas_used": sum(done.gas_used),
        "max_gas_per_transaction": max(done.gas_used, default=0),
        "implementation_gas": done.implementation_gas,
        "abandoned": done.abandoned,
        "remembered_in": str(remembered),
    }
    if as_json:
        echo_json(result)
        return
    if done.abandoned:
        click.echo(f"abandoned the unfinished deployment at {done.abandoned} (--restart)")
    verb = "finished deploying" if done.resumed else "deployed"
    click.echo(f"{verb} {model.name!r} ({done.model_id}, {mechanism}) at {done.address}")
    click.echo(f"gas used: {result['gas_used']:,} in {result['transactions']} transaction(s)")
    if done.implementation_gas is not None:
        click.echo(
            f"(of which {done.implementation_gas:,} for the shared implementation of "
            f"{done.contract_name}: once per chain; its trainers are clones of it)"
        )
    click.echo(f"remembered as this network's trainer ({remembered})")


@trainer_command(name="add-data")
@click.argument("text")
@click.option("--label", "-l", required=True, help="Class name or number.")
@click.option("--deposit", type=AMOUNT, default=None, help="Deposit to send if more than asked (wei or '0.01 ether'); all of it is at stake.")
@click.option(
    "--max-deposit",
    type=AMOUNT,
    default=None,
    help="Refuse, sending nothing, if the deposit asked for the next block is more than this (wei or '0.01 ether'); "
    "the 10% margin is cut to fit it.",
)
def add_data(cli_ctx, text, label, deposit, max_deposit, trainer_address, account, as_json):
    """Add TEXT with its label: pays the deposit the contract asks for in the next block, plus a
    10% margin (kept as part of the deposit, refunded with it), and trains the model."""
    trainer = load_trainer(trainer_address)
    words = trainer.encode(text)
    label_index = trainer.label_index(label)
    before = trainer.predict_words(words)
    receipt = trainer.add_words(words, label_index, account, deposit=deposit, max_deposit=max_deposit)
    after = trainer.predict_words(words)
    event = receipt.events.filter(trainer.contract.DataAdded)[0]
    result = {
        "transaction": txn_hash(receipt),
        "gas_used": receipt.gas_used,
        "label": trainer.classes[label_index],
        "deposit": int(event.deposit),
        "added_at": int(event.added_at),
        "prediction_before": trainer.classes[before],
        "prediction_after": trainer.classes[after],
        "model_updated": before != label_index or trainer.reference_class.learns_from_every_sample,
    }
    if as_json:
        echo_json(result)
        return
    click.echo(f"added as {result['label']!r} in {result['transaction']}")
    click.echo(f"gas used: {receipt.gas_used:,}; deposit: {eth(result['deposit'])}")
    click.echo(f"prediction: {result['prediction_before']} -> {result['prediction_after']}" + (" (model updated)" if result["model_updated"] else ""))


@trainer_command(account="none")
@click.argument("text")
def predict(cli_ctx, text, trainer_address, as_json):
    """The model's label for TEXT (free: a call, no transaction)."""
    trainer = load_trainer(trainer_address)
    label = trainer.predict(text)
    sealed = trainer.sealed()
    if as_json:
        echo_json({"label": trainer.classes[label], "label_index": label, "sealed": sealed})
        return
    click.echo(trainer.classes[label])
    if not sealed:
        click.echo(UNSEALED, err=True)


@trainer_command()
@click.argument("txn_hash", required=False)
def refund(cli_ctx, txn_hash, trainer_address, account, as_json):
    """Get your deposits back (points: validate your data) where the model agrees.

    With no argument, every refundable contribution of the account is claimed and the others
    are listed with the reason they are not refundable yet. With TXN_HASH, only that one.
    """
    trainer = load_trainer(trainer_address)
    done = trainer.refund_all(account, txn_hash)
    result = {"refunded": [a.row("refund") for a in done.actions], "total": done.total, "contributions": [v.row() for v in done.verdicts]}
    if as_json:
        echo_json(result)
        return
    if not done.verdicts:
        click.echo(f"{account.address} has no contributions to this trainer")
        return
    print_verdicts(trainer, done.verdicts, "Your contributions")
    verb = "refunded" if trainer.mechanism == "deposit" else "validated"
    gas = f", gas {', '.join(str(a.receipt.gas_used) for a in done.actions)}" if done.actions else ""
    click.echo(f"{verb} {len(done.actions)} contribution(s), {eth(done.total)}{gas}")


@trainer_command()
@click.argument("txn_hash", required=False)
@click.option("--all", "take_all", is_flag=True, help="Take from every contribution you may take from.")
def report(cli_ctx, txn_hash, take_all, trainer_address, account, as_json):
    """Take from deposits of data the model now disagrees with (paper III-C).

    With TXN_HASH, take from that contribution. With no argument, list every contribution
    you may take from; add --all to take from all of them.
    """
    trainer = load_trainer(trainer_address)
    done = trainer.report_all(account, txn_hash, take=take_all)
    result = {"takeable": [v.row() for v in done.verdicts], "taken": [a.row("report") for a in done.actions], "total": done.total}
    if as_json:
        echo_json(result)
        return
    if not done.verdicts:
        click.echo("nothing you may take from right now")
        return
    print_verdicts(trainer, done.verdicts, "Contributions you may take from")
    if done.actions:
        click.echo(f"took from {len(done.actions)} contribution(s): {eth(done.total)}")
    elif not txn_hash:
        click.echo("run again with --all to take from all of them, or give a transaction hash")


@trainer_command(account="optional")
def info(cli_ctx, trainer_address, account, as_json):
    """The trainer: mechanism, parameters, next deposit, counts, balances, your good data."""
    trainer = load_trainer(trainer_address)
    data = trainer.info(account.address if account else None)
    if as_json:
        echo_json(data)
        return
    if not data["sealed"]:
        click.echo(UNSEALED, err=True)
    table = Table(title=f"{data['name']} ({data['address']})", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("description", data["description"])
    table.add_row("mechanism", data["mechanism"])
    table.add_row("model", f"{data['model']}, {data['n_features']} features")
    table.add_row("classes", ", ".join(data["classes"]))
    for k, v in data["parameters"].items():
        table.add_row(k.replace("_", " "), _fmt_param(k, v))
    if "next_deposit" in data:
        table.add_row("next deposit", eth(data["next_deposit"]))
    table.add_row("contributions", str(data["contributions"]))
    table.add_row("good data (all)", str(data["total_good_data"]))
    table.add_row("contract balance", eth(data["balance"]))
    if "account" in data:
        me = data["account"]
        table.add_row("you", me["address"])
        table.add_row("  contributions", str(me["contributions"]))
        table.add_row("  good data", str(me["good_data"]))
        if "deposits_outstanding" in me:
            table.add_row("  deposits outstanding", eth(me["deposits_outstanding"]))
        if "active_weeks" in me:
            table.add_row("  labels contributed", ", ".join(me["labels_contributed"]) or "-")
            table.add_row("  active weeks", str(me["active_weeks"]))
        table.add_row("  balance", eth(me["balance"]))
    console().print(table)


def _fmt_param(key: str, value: int) -> str:
    if key.endswith("wait"):
        return format_duration(value)
    if key == "cost_weight":
        return f"{value} wei*s"
    return eth(value)


@click.command("time-travel", cls=ChainCommand)
@ape_cli_context()
@click.argument("duration", type=DURATION)
@json_option
def time_travel(cli_ctx, duration, as_json, provider):
    """Move a local development chain DURATION forward (e.g. 1d, 2h) and mine a block.

    Only on local networks (Anvil): it lets you try refunds and reports without waiting.
    """
    if provider.network.name not in ("local",) and not provider.network.name.endswith("-fork"):
        raise DecaiError(f"time travel is only possible on a local chain, not on {provider.network.name}")
    seconds = duration
    chain = managers.chain_manager
    chain.mine(deltatime=seconds)
    timestamp = int(chain.blocks.head.timestamp)
    if as_json:
        echo_json({"advanced_seconds": seconds, "timestamp": timestamp})
        return
    click.echo(f"advanced {format_duration(seconds)}; chain time is now {iso_time(timestamp)}")


COMMANDS = (train, deploy, add_data, predict, refund, report, info, time_travel)
