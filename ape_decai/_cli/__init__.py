"""`ape decai ...`: the click group, with one module per command family.

- `trainer`: train, deploy, add-data, predict, refund, report, info, time-travel;
- `market`: market open|draw|end|settle|abort|status, reveal, claim;
- `node`: node (a persistent local Anvil, without the memory growth of `ape networks run`);
- `registry`: trainers, use (the trainers remembered for a network, and the current one);
- `simulate`: simulate (the paper's Fig. 3 experiment on the contracts);
- `ledger`: export, history (a trainer's contributions and accounts from its events alone);
- `simulate_market`: simulate-market (the prediction market, III-B, as a simulated scenario);
- `_common`: the group and command classes, shared options and printing.

The commands are thin: they parse, call the API (`ape_decai`), and print a table or one JSON
object. The entry point is `ape_decai._cli:cli` (pyproject `ape_cli_subcommands`).
"""

from __future__ import annotations

from importlib.metadata import version

import click

from ape_decai._cli import ledger as ledger_commands
from ape_decai._cli import market, node, registry, trainer
from ape_decai._cli import simulate as simulate_commands
from ape_decai._cli import simulate_market as simulate_market_commands
from ape_decai._cli._common import DecaiGroup


@click.group(cls=DecaiGroup, short_help="Collaborative models on chain (Decentralized & Collaborative AI)")
@click.version_option(version("ape-decai"), "--version", prog_name="ape decai")
def cli():
    """Shared models that anyone trains by adding data and anyone queries for free.

    Typical flow: `train` a model off chain, `deploy` it with an incentive mechanism,
    `add-data` (with a deposit), `predict` for free, later `refund` your good data and
    `report` bad data of others. `info` shows the state.
    """


for _command in (*trainer.COMMANDS, *market.COMMANDS, *node.COMMANDS, *registry.COMMANDS):
    cli.add_command(_command)
for _command in (*simulate_commands.COMMANDS, *ledger_commands.COMMANDS):  # simulate; export, history
    cli.add_command(_command)
cli.add_command(simulate_market_commands.simulate_market_command)  # simulate-market
