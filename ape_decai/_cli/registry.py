"""`ape decai trainers` and `ape decai use`: the trainers remembered for this network, and which
one is current (what the commands use without `--trainer`). Thin commands over `ape_decai.state`.
"""

from __future__ import annotations

import click

from ape_decai._cli._common import ADDRESS, ChainCommand, ape_cli_context, echo_json, json_option
from ape_decai.state import remembered_trainers, state_file, use_trainer

NONE_REMEMBERED = "no trainer remembered on this network: run `ape decai deploy MODEL_FILE` or `ape decai use ADDRESS`"


@click.command(cls=ChainCommand)
@ape_cli_context()
@json_option
def trainers(cli_ctx, as_json, provider):
    """The trainers remembered for this network (deployed here, or chosen with `use`), in the
    order remembered, the current one (*) last: address, mechanism, deployment block, model, name."""
    found = remembered_trainers()
    current = next((t.address for t in found if t.current), None)
    if as_json:
        echo_json({"trainers": [t.row() for t in found], "current": current, "state_file": str(state_file())})
        return
    if not found:
        click.echo(NONE_REMEMBERED)
        return
    # Plain aligned lines, not a table: an address is copied whole (to `use` or `--trainer`) and a
    # table squeezed into 80 columns would cut it; the name, last, may run longer.
    click.echo(f"  {'address':<42}  {'mechanism':<9}  {'block':>9}  {'model':<17}  name")
    for t in found:
        block = str(t.block) if t.block is not None else "-"
        name = repr(t.name) if t.name is not None else f"({t.problem})"
        click.echo(f"{'*' if t.current else ' '} {t.address:<42}  {t.mechanism or '-':<9}  {block:>9}  {t.model or '-':<17}  {name}")
    click.echo(f"current (*): {current}; choose another with `ape decai use ADDRESS`, or pass --trainer ADDRESS")


@click.command(cls=ChainCommand)
@ape_cli_context()
@click.argument("address", type=ADDRESS)
@json_option
def use(cli_ctx, address, as_json, provider):
    """Make the trainer at ADDRESS this network's current one: the commands use it without
    `--trainer`. Refuses an address that holds no trainer on this chain."""
    chosen = use_trainer(address)
    if as_json:
        echo_json(chosen.row())
        return
    click.echo(
        f"now using {chosen.name!r} ({chosen.model}, {chosen.mechanism}) at {chosen.address} "
        "as this network's trainer"
    )


COMMANDS = (trainers, use)
