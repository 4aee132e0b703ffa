"""`ape decai train|deploy|add-data|predict|evaluate|refund|report|info|time-travel`: thin commands
over the API (`ape_decai.training`, `ape_decai.deployment`, `ape_decai.trainers`, `ape_decai.batch`):
parse, call, print.

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
    echo_json_lines,
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
from ape_decai.batch import contribute
from ape_decai.batch import evaluate as evaluate_samples
from ape_decai.datasets import DATASETS, FORMATS, NAMED_DATASETS, load_labelled_rows, load_texts_file
from ape_decai.deployment import deploy as deploy_model
from ape_decai.errors import DecaiError
from ape_decai.models import REFERENCE_MODELS
from ape_decai.parameters import DepositParameters, Parameters, PointsParameters
from ape_decai.state import check_state_file, remember_trainer, remembered_trainer
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
@click.option("--doubt-wait", type=DURATION, default=None, help="td (deposit; paper III-C1): the wait, before its refund and before reports, of a contribution the model disagreed with when it was added; refund-wait <= td <= creator-wait [default: the refund wait: off].")
@click.option("--creator-wait", type=DURATION, default=format_duration(DEFAULT_DEPOSIT.creator_wait), show_default=True, help="tc: wait before the creator takes what is left (default tc = ta: the creator takes nothing before anyone may; measured in docs/experiment.md).")
@click.option("--anyone-wait", type=DURATION, default=format_duration(DEFAULT_DEPOSIT.anyone_wait), show_default=True, help="ta: wait before anyone takes what is left.")
@click.option("--cost-weight", type=AMOUNT, default=str(DEFAULT_DEPOSIT.cost_weight), show_default=True, help="Deposit numerator in wei*seconds: deposit = cost-weight / seconds since the last contribution.")
@click.option("--min-deposit", type=AMOUNT, default=str(DEFAULT_DEPOSIT.min_deposit), show_default=True, help="Deposit floor (wei, or e.g. '0.001 ether').")
@click.option("--min-share", type=AMOUNT, default=str(DEFAULT_DEPOSIT.min_share), show_default=True, help="Smallest reporter's share (the paper's epsilon).")
@click.option("--gas-cap", default=10_000_000, show_default=True, type=click.IntRange(100_000, 10**9), help="Most gas per transaction: a large model is deployed over several, each under the cap.")
@click.option("--restart", is_flag=True, help="Start a new deployment even if an unfinished one of this model file can be resumed.")
@account_option()
@json_option
def deploy(cli_ctx, model_file, mechanism, refund_wait, doubt_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share, gas_cap, restart, account, as_json, provider):
    """Deploy a trainer for MODEL_FILE (from `ape decai train`): it becomes this network's current
    trainer (earlier ones stay remembered: `ape decai trainers`, `ape decai use`).

    A large model is written over several transactions, each under --gas-cap, with a progress
    bar; if that is interrupted, running the same command again resumes where it stopped.
    """
    model = ModelFile.load(model_file)
    mechanism = mechanism or managers.config_manager.get_config("decai").mechanism
    params: Parameters | None
    if doubt_wait is not None and mechanism != "deposit":
        raise click.UsageError(f"--doubt-wait is an option of the deposit mechanism, not of {mechanism}")
    if mechanism == "deposit":
        params = DepositParameters(refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share, doubt_wait)
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
    previous = remembered_trainer()  # the current trainer until this deployment
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
        "previous": previous,
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
    click.echo(f"now this network's current trainer (remembered in {remembered})")
    if previous and previous.lower() != done.address.lower():
        click.echo(f"the previous one is still remembered: `ape decai use {previous}` switches back (`ape decai trainers` lists them)")


class TextCommand(ChainCommand):
    """A chain command taking a TEXT argument: a text that starts with `-` is read as an option
    unless it comes after `--`; the usage error says so."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as err:
            err.message += (
                f" (a text that starts with '-' goes after '--': ape decai {ctx.info_name} [OPTIONS] -- TEXT; "
                "or read it from a file with --file)"
            )
            raise


FILE = click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str)
file_option = click.option(
    "--file", "-f", "data_file", type=FILE, default=None,
    help="Read the inputs from this file instead of TEXT ('-': stdin): CSV (a text column), JSON lines "
    "(one {\"text\": ...} per line) or, for unlabelled texts, .txt (one text per line). Texts of any length.",
)  # fmt: skip
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None,
    help="The file's format [default: from its extension; stdin: JSON if it starts with { or [, else CSV "
    "(labelled) or one text per line].",
)  # fmt: skip


def _one_input(text: str | None, data_file: str | None) -> None:
    """Exactly one of TEXT and --file (a usage error otherwise)."""
    if text is not None and data_file is not None:
        raise click.UsageError("give either TEXT or --file, not both")
    if text is None and data_file is None:
        raise click.UsageError("give TEXT, or --file FILE for many")


@trainer_command(name="add-data", cls=TextCommand)
@click.argument("text", required=False)
@file_option
@format_option
@click.option("--label", "-l", default=None, help="Class name or number (with TEXT; a file's samples carry their own).")
@click.option("--deposit", type=AMOUNT, default=None, help="Deposit to send if more than asked (wei or '0.01 ether'); all of it is at stake. With --file: for each sample.")
@click.option(
    "--max-deposit",
    type=AMOUNT,
    default=None,
    help="Refuse, sending nothing, if the deposit asked for the next block is more than this (wei or '0.01 ether'); "
    "the 10% margin is cut to fit it. With --file: for each sample (the file stops there).",
)
def add_data(cli_ctx, text, data_file, fmt, label, deposit, max_deposit, trainer_address, account, as_json):
    """Add TEXT with its label: pays the deposit the contract asks for in the next block, plus a
    10% margin (kept as part of the deposit, refunded with it), and trains the model.

    With --file, adds every labelled sample of the file (CSV text,label or JSON lines), one
    transaction each (a points trainer: batches of up to its MAX_BATCH samples per transaction,
    about half the gas per sample), with a progress bar. Samples this account already added (the same text and
    label, from the trainer's events) are skipped, so a re-run continues where the last stopped.
    It stops at the first refusal and says what was sent and what was not.
    """
    _one_input(text, data_file)
    if data_file is not None:
        if label is not None:
            raise click.UsageError("--label is for TEXT: a file's samples carry their own labels")
        _add_file(data_file, fmt, deposit, max_deposit, trainer_address, account, as_json)
        return
    if label is None:
        raise click.UsageError("missing option '--label' / '-l' (the class of TEXT)")
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
    if trainer.mechanism == "points":  # no money: a point for data the model agrees with after the wait
        wait = format_duration(trainer.parameters()["validation_wait"])
        click.echo(f"gas used: {receipt.gas_used:,}; nothing at stake: validate it after {wait} (`ape decai refund`) for a point")
    else:
        click.echo(f"gas used: {receipt.gas_used:,}; deposit: {eth(result['deposit'])}")
    click.echo(f"prediction: {result['prediction_before']} -> {result['prediction_after']}" + (" (model updated)" if result["model_updated"] else ""))


def _add_file(data_file, fmt, deposit, max_deposit, trainer_address, account, as_json) -> None:
    """`add-data --file`: every sample of a labelled file, stopping at the first refusal."""
    trainer = load_trainer(trainer_address)
    where, samples, _ = load_labelled_rows(data_file, trainer.classes, max(2, len(trainer.classes)), fmt)
    with progress_bar(as_json, "adding", stderr=True) as on_progress:
        done = contribute(trainer, samples, account, where, max_deposit=max_deposit, deposit=deposit, on_progress=on_progress)
    if not done.complete:
        raise DecaiError(done.summary())
    if as_json:
        echo_json({"file": data_file, **done.as_dict()})
        return
    click.echo(done.summary())
    if done.sent:
        click.echo(
            f"gas used: {sum(s.gas_used for s in done.sent):,} in {done.transaction_count} transaction(s); "
            f"deposits: {eth(sum(s.deposit for s in done.sent))}"
        )


@trainer_command(account="none", cls=TextCommand)
@click.argument("text", required=False)
@file_option
@format_option
def predict(cli_ctx, text, data_file, fmt, trainer_address, as_json):
    """The model's label for TEXT (free: a call, no transaction).

    With --file, the label of every text of the file, in order: one per line (`-` for a text the
    model cannot read, listed on stderr), or with --json one JSON line per text (index, line,
    label, label_index; error for a text it cannot read). The contract's predictions, sent in
    batches of calls: a thousand texts take seconds.
    """
    _one_input(text, data_file)
    trainer = load_trainer(trainer_address)
    if data_file is not None:
        _predict_file(trainer, data_file, fmt, as_json)
        return
    label = trainer.predict(text)
    sealed = trainer.sealed()
    if as_json:
        echo_json({"label": trainer.classes[label], "label_index": label, "sealed": sealed})
        return
    click.echo(trainer.classes[label])
    if not sealed:
        click.echo(UNSEALED, err=True)


def _predict_file(trainer, data_file: str, fmt: str | None, as_json: bool) -> None:
    where, inputs = load_texts_file(data_file, fmt)
    with progress_bar(as_json, "predicting", stderr=True) as on_progress:
        predictions = trainer.predict_many([x.text for x in inputs], on_progress=on_progress)
    sealed = trainer.sealed()
    if as_json:
        echo_json_lines([{**p.row(x.number, where), "sealed": sealed} for p, x in zip(predictions, inputs, strict=True)])
        return
    click.echo("\n".join(p.label or "-" for p in predictions))
    unreadable = [(x.number, str(p.error)) for p, x in zip(predictions, inputs, strict=True) if p.error]
    if unreadable:
        click.echo(f"note: {len(unreadable)} of {len(inputs)} text(s) could not be read ('-'): {_by_reason(unreadable, where)}", err=True)
    if not sealed:
        click.echo(UNSEALED, err=True)


@trainer_command(account="none")
@click.argument("data_file", type=FILE)
@format_option
@click.option("--block", type=click.IntRange(0), default=None, help="Score the model as it was at this block (the chain keeps every version) [default: the latest].")
def evaluate(cli_ctx, data_file, fmt, block, trainer_address, as_json):
    """Score the on-chain model on a labelled DATA_FILE (CSV text,label or JSON lines; '-': stdin):
    accuracy, per-class precision and recall, and the confusion matrix (free: calls only).

    Every prediction is the contract's own, sent in batches of calls. With --block N, the model
    as it was at block N (the paper's versioning: every past model stays queryable).
    """
    trainer = load_trainer(trainer_address)
    where, samples, _ = load_labelled_rows(data_file, trainer.classes, max(2, len(trainer.classes)), fmt)
    with progress_bar(as_json, "evaluating", stderr=True) as on_progress:
        result = evaluate_samples(trainer, samples, block, where, on_progress)
    if as_json:
        echo_json({"file": data_file, "trainer": trainer.address, **result.as_dict()})
        return
    _print_evaluation(result, data_file, block)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_evaluation(result, data_file: str, block: int | None) -> None:
    at = f" at block {block}" if block is not None else ""
    accuracy = _percent(result.accuracy)
    click.echo(f"accuracy{at}: {accuracy} ({result.correct} of {result.scored} samples of {data_file})")
    per_class = Table(title="Per class")
    for column in ("class", "precision", "recall", "samples"):
        per_class.add_column(column)
    for k, name in enumerate(result.classes):
        per_class.add_row(name, _percent(result.precision(k)), _percent(result.recall(k)), str(sum(result.confusion[k])))
    console().print(per_class)
    matrix = Table(title="Confusion matrix")
    matrix.add_column("true \\ predicted")
    for name in result.classes:
        matrix.add_column(name, justify="right")
    for name, row in zip(result.classes, result.confusion, strict=True):
        matrix.add_row(name, *map(str, row))
    console().print(matrix)
    if result.skipped:
        click.echo(f"not scored: {len(result.skipped)} sample(s) the model cannot read: {_by_reason(result.skipped, result.where)}")


def _by_reason(problems: list[tuple[int, str]], where: str, shown: int = 5) -> str:
    """`[(line, reason)]` as "reason (lines 3, 7 and 2 more); other reason (line 9)"."""
    lines: dict[str, list[int]] = {}
    for number, reason in problems:
        lines.setdefault(reason, []).append(number)
    parts = []
    for reason, numbers in lines.items():
        listed = ", ".join(map(str, numbers[:shown])) + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")
        parts.append(f"{reason} ({where}{'s' if len(numbers) > 1 else ''} {listed})")
    return "; ".join(parts)


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
    points = trainer.mechanism == "points"
    print_verdicts(trainer, done.verdicts, "Your contributions", amounts=not points)
    gas = f", gas {', '.join(str(a.receipt.gas_used) for a in done.actions)}" if done.actions else ""
    if points:  # no money: each validation is a point (good data)
        click.echo(f"validated {len(done.actions)} contribution(s): {len(done.actions)} point(s){gas}")
    else:
        click.echo(f"refunded {len(done.actions)} contribution(s), {eth(done.total)}{gas}")


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
    # Points trainers hold no money: their good data is counted in points (validated contributions).
    points = data["mechanism"] == "points"
    good_data = "points (validated data)" if points else "good data"
    table.add_row("contributions", str(data["contributions"]))
    table.add_row("points (all validated data)" if points else "good data (all)", str(data["total_good_data"]))
    if not points:
        table.add_row("contract balance", eth(data["balance"]))
    if "account" in data:
        me = data["account"]
        table.add_row("you", me["address"])
        table.add_row("  contributions", str(me["contributions"]))
        table.add_row(f"  {good_data}", str(me["good_data"]))
        if "deposits_outstanding" in me:
            table.add_row("  deposits outstanding", eth(me["deposits_outstanding"]))
        if "active_weeks" in me:
            table.add_row("  labels contributed", ", ".join(me["labels_contributed"]) or "-")
            table.add_row("  active weeks", str(me["active_weeks"]))
            table.add_row("  badges", ", ".join(me["badges"]) or "-")
        if not points:
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


COMMANDS = (train, deploy, add_data, predict, evaluate, refund, report, info, time_travel)
