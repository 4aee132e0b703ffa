"""What every `ape decai` command shares: the group and command classes, options and printing.

The group turns every problem a user can fix into one `Error: ...` line on stderr and exit
status 1 (usage errors stay click's exit status 2); `--json` keeps stdout for one JSON object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option
from ape.cli import ape_cli_context as _ape_cli_context
from ape.exceptions import AccountsError, ApeException, ContractLogicError, SignatureError
from ape.logging import LogLevel, logger
from eth_utils import is_address, is_checksum_address
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ape_decai._ape import managers
from ape_decai.errors import DecaiError, one_line
from ape_decai.records import Verdict
from ape_decai.state import remembered_trainer
from ape_decai.trainers import DECLINED, Trainer
from ape_decai.units import parse_amount, parse_duration, to_hex, to_json

# click context keys: the provider connected before the command, the network it uses.
_EARLIER_PROVIDER = "decai.earlier_provider"
_NETWORK = "decai.network"


def ape_cli_context():
    """Ape's `ape_cli_context` (`-v/--verbosity`), quiet by default: at Ape's default level
    (INFO) a deployment logs "Contract will be deployed at ..." on stdout, which `--json` output
    must not carry. `-v INFO` shows Ape's messages again."""
    return _ape_cli_context(default_log_level=LogLevel.WARNING.value)


def _abort(err: BaseException) -> click.ClickException:
    """The one line a problem is reported as: `Error: <line>` on stderr, exit status 1 (click's
    own; Ape's `Abort` would log it on stdout, where --json output goes)."""
    if isinstance(err, ContractLogicError):
        return click.ClickException(one_line(err))
    if isinstance(err, SignatureError):  # Ape's "Sign: [y/N]" prompt, answered no
        return click.ClickException(DECLINED)
    if isinstance(err, AccountsError) and not isinstance(err, DecaiError):
        return click.ClickException(f"the account cannot send this: {one_line(err)}")
    return click.ClickException(one_line(err) if isinstance(err, DecaiError) else str(err))


class DecaiGroup(click.Group):
    """`ape decai`: a problem the user can fix ends the command with one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ApeException, ValueError, FileExistsError, FileNotFoundError) as err:
            raise _abort(err) from None


class _JsonQuiet:
    """With --json, Ape's INFO lines ("Starting 'anvil'", "Confirmed ...") stay off stdout."""

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.params.get("as_json"):
            logger.set_level("WARNING")
        return super().invoke(ctx)  # type: ignore[misc]


class ChainCommand(_JsonQuiet, ConnectedProviderCommand):
    """A command that talks to a chain (`--network`, connected before it runs)."""

    def invoke(self, ctx: click.Context) -> Any:
        # The provider connected before this command, if any (in a script, or under `ape test`):
        # a node it started is not this command's throwaway one.
        ctx.meta[_EARLIER_PROVIDER] = managers.network_manager.active_provider
        return super().invoke(ctx)

    def _invoke(self, ctx: click.Context, provider=None) -> Any:
        # Every command that touches a chain names it: a "network" field with --json (see
        # `echo_json`), else a last line on stderr (stdout stays the command's own output).
        if provider is not None:
            ctx.meta[_NETWORK] = provider.network_choice
        result = super()._invoke(ctx, provider=provider)
        if provider is not None and not ctx.params.get("as_json"):
            click.echo(f"network: {provider.network_choice}", err=True)
        return result


class LocalCommand(_JsonQuiet, click.Command):
    """A command that needs no chain."""


class _Parsed(click.ParamType):
    """A value read with one of the API's parsers: what it refuses is a usage error (exit 2),
    like any other malformed option, before the command connects or sends anything."""

    def __init__(self, name: str, parse: Callable[[str], Any]):
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except DecaiError as err:
            self.fail(str(err), param, ctx)


def _address(text: str) -> str:
    if not is_address_text(text):
        raise DecaiError(f"not an address: {text!r}")
    return text


DURATION = _Parsed("duration", parse_duration)  # seconds
AMOUNT = _Parsed("amount", parse_amount)  # wei
ADDRESS = _Parsed("address", _address)

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
trainer_option = click.option(
    "--trainer",
    "trainer_address",
    type=ADDRESS,
    metavar="ADDRESS",
    help="The trainer contract (default: this network's current trainer, see `ape decai trainers` and `ape decai use`).",
)


def trainer_command(group: Any = click, name: str | None = None, account: str = "required", cls: type | None = None):
    """A command on a trainer (`group.command(name)`): `--trainer`, `--json`, `--account`
    (account="optional": only if given, never prompts; "none": no account), and Ape's `-v` and
    `--network` (a `ChainCommand`, or `cls`). The command takes `cli_ctx` first, then its own parameters."""

    def decorate(f):
        f = json_option(f)
        if account != "none":
            f = account_option(prompt=account != "optional")(f)
        f = trainer_option(f)
        f = ape_cli_context()(f)
        return group.command(name, cls=cls or ChainCommand)(f)

    return decorate


def echo_json(obj: Any) -> None:
    """One JSON object on stdout, with the command's network if it touched a chain."""
    ctx = click.get_current_context(silent=True)
    network = ctx.meta.get(_NETWORK) if ctx is not None else None
    click.echo(to_json({**obj, "network": network} if network else obj))


def echo_json_lines(objs: list[dict]) -> None:
    """JSON lines on stdout (one object per line), each with the command's network."""
    ctx = click.get_current_context(silent=True)
    network = ctx.meta.get(_NETWORK) if ctx is not None else None
    click.echo("\n".join(to_json({**obj, "network": network} if network else obj) for obj in objs))


def console() -> Console:
    return Console(highlight=False)


def eta_bar(as_json: bool) -> Progress:
    """A progress bar with elapsed time and ETA for long local work (hidden with --json)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console(), disable=as_json)


def eth(wei: int) -> str:
    return f"{wei / 10**18:.6f} ETH"


def txn_hash(receipt) -> str:
    return to_hex(receipt.txn_hash)


def is_address_text(text: str) -> bool:
    if not is_address(text):
        return False
    body = text[2:] if text.lower().startswith("0x") else text
    # Mixed case means an EIP-55 checksum: it must be right.
    return body == body.lower() or body == body.upper() or is_checksum_address(text)


def load_trainer(address: str | None) -> Trainer:
    """The trainer at `address`, or the one remembered for this network."""
    address = address or remembered_trainer()
    if not address:
        raise DecaiError("no trainer on this network: run `ape decai deploy MODEL_FILE`, choose one with `ape decai use ADDRESS`, or pass --trainer ADDRESS")
    return Trainer.at(address)




def warn_if_throwaway(provider, as_json: bool) -> None:
    """A note on stderr if this command started its own node (lost when the command ends)."""
    earlier = click.get_current_context().meta.get(_EARLIER_PROVIDER)
    if getattr(provider, "process", None) is not None and provider is not earlier and not as_json:
        click.echo(
            "note: this command started its own local Anvil; its state is lost when it ends. "
            "For a chain that lasts, run `ape decai node` in another terminal (docs/commands.md, "
            "'A persistent local chain').",
            err=True,
        )


class progress_bar:
    """A rich progress bar fed by `update(done, total, what="")`; silent with --json, and with
    a single step (Ape's per-transaction INFO lines are silenced while it shows)."""

    def __init__(self, as_json: bool, title: str, stderr: bool = False):
        self.as_json, self.title, self.stderr = as_json, title, stderr
        self.bar: Progress | None = None
        self.task: Any = None
        self.level: Any = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int, what: str = "") -> None:
        if self.as_json or total <= 1:
            return
        if self.stderr and not Console(stderr=True).is_terminal:  # a log or a pipe: no bar
            return
        if self.bar is None:
            self.level = logger.level
            logger.set_level("WARNING")
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=Console(highlight=False, stderr=self.stderr))
            self.bar.start()
            self.task = self.bar.add_task(self.title, total=total)
        description = f"{self.title}: {what}" if what else self.title
        self.bar.update(self.task, completed=done, total=total, description=description)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
            logger.set_level(self.level)
        return False


def print_verdicts(trainer: Trainer, verdicts: list[Verdict], title: str, amounts: bool = True) -> None:
    """The verdicts as a table; `amounts=False` leaves out the amount (a mechanism without money)."""
    table = Table(title=title)
    for col in ("transaction", "label", "contributor", "status", *(["amount"] if amounts else [])):
        table.add_column(col)
    for v in verdicts:
        c = v.contribution
        table.add_row(
            c.transaction_hash[:12] + "…",
            trainer.classes[c.label],
            c.contributor[:10] + "…",
            ("yes: " if v.possible else "no: ") + v.reason,
            *([eth(v.amount) if v.possible else ""] if amounts else []),
        )
    console().print(table)
