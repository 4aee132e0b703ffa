"""`ape decai node`: a persistent local chain (Anvil) in the foreground, without the memory growth
of `ape networks run`.

ape-foundry starts Anvil with `--steps-tracing`, which makes Anvil keep every step's memory while
mining: it then grows without bound (gigabytes after a few large deployments). This command starts
the `anvil` found on PATH without that flag, with the test mnemonic's accounts (`TEST::0..9`), and
says how to point the other commands at it. Ctrl-C or SIGTERM stops it (with `--state`, Anvil
writes the chain to the file first).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import click
from ape.cli import ape_cli_context

from ape_decai._cli._common import LocalCommand
from ape_decai.errors import DecaiError

# The mnemonic of Ape's and Anvil's test accounts (TEST::0..9 in Ape).
TEST_MNEMONIC = "test test test test test test test test test test test junk"
NETWORK = "ethereum:local:foundry"
MISSING_ANVIL = (
    "anvil is not on PATH: install it with `npm install @foundry-rs/anvil@1.7.1` (then put "
    "node_modules/.bin on PATH) or with foundryup (https://getfoundry.sh)"
)
# How long Anvil may take to listen (a cold start through npm's node launcher is slow under load).
START_SECONDS = 60.0
STOP_SECONDS = 30.0


def anvil_command(
    anvil: str, host: str, port: int, mnemonic: str, accounts: int, state: Path | None, *, prune_history: bool = False
) -> list[str]:
    """Anvil's command line: never `--steps-tracing`. With `prune_history` Anvil keeps no past
    states: a long simulation then needs neither the memory nor the disk for them (Anvil otherwise
    persists old states under ~/.foundry/anvil/tmp, about 0.8 GB per simulated run, left behind
    when it is killed), and nothing but the head is ever read there."""
    command = [anvil, "--host", host, "--port", str(port), "--mnemonic", mnemonic, "--accounts", str(accounts)]
    if state is not None:
        command += ["--state", str(state)]
    if prune_history:
        command.append("--prune-history")
    return command


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_until_listening(process: subprocess.Popen, host: str, port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not _listening(host, port):
        if process.poll() is not None:
            raise DecaiError(f"anvil exited with status {process.returncode} before it listened on {host}:{port}")
        if time.monotonic() > deadline:
            raise DecaiError(f"anvil did not listen on {host}:{port} within {START_SECONDS:.0f} s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, *, interrupted: bool = False) -> None:
    """Stop Anvil: SIGTERM (with --state it writes the chain first; SIGINT may be ignored, as in a
    background job of a script), then insist. After a Ctrl-C in the terminal Anvil got the SIGINT
    too: give it a moment to stop on its own."""
    if interrupted:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=3)
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Terminated(Exception):
    """SIGTERM arrived (a service manager, `kill`)."""


def _terminated(signum, frame):
    raise _Terminated


@click.command(cls=LocalCommand)
@ape_cli_context()
@click.option("--port", default=8545, show_default=True, type=click.IntRange(1, 65535), help="Port Anvil listens on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address Anvil listens on.")
@click.option("--mnemonic", default=TEST_MNEMONIC, show_default="the test mnemonic: TEST::0..9", help="Mnemonic of the funded dev accounts.")
@click.option("--accounts", "n_accounts", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many funded dev accounts.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Keep the chain in this file across restarts (loaded at start if it exists, written on exit).")
def node(cli_ctx, port, host, mnemonic, n_accounts, state):
    """Run a persistent local chain (Anvil) in the foreground, until Ctrl-C.

    Unlike `ape networks run`, Anvil runs without `--steps-tracing`, so its memory does not grow
    with every transaction. Point the commands of another terminal at it with the `export` line it
    prints and `--network ethereum:local:foundry`.
    """
    anvil = shutil.which("anvil")
    if anvil is None:
        raise DecaiError(MISSING_ANVIL)
    if _listening(host, port):
        raise DecaiError(f"something already listens on {host}:{port}: stop it or choose another --port")
    # Anvil's log (its banner, every request) stays off the terminal: the lines below are the point.
    process = subprocess.Popen(anvil_command(anvil, host, port, mnemonic, n_accounts, state), stdout=subprocess.DEVNULL)
    try:
        # Ctrl-C (Ape's own handler would exit at once with status 130) and SIGTERM (a service
        # manager, `kill`) stop Anvil and end the command normally.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _terminated)
        _wait_until_listening(process, host, port)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        click.echo(f"anvil (pid {process.pid}) listens on {url}" + (f"; chain kept in {state}" if state else ""))
        click.echo("in another terminal:")
        click.echo(f"  export APE_FOUNDRY_HOST={url}")
        click.echo(f"  ape decai ... --network {NETWORK}")
        click.echo("Ctrl-C stops it", err=True)
        status = process.wait()
    except (KeyboardInterrupt, _Terminated) as stop:
        # A Ctrl-C reached Anvil too (the terminal's process group); a SIGTERM only this command.
        _stop(process, interrupted=isinstance(stop, KeyboardInterrupt))
        click.echo("anvil stopped" + (f"; chain written to {state}" if state else ""), err=True)
        return
    except BaseException:
        _stop(process)
        raise
    if status != 0:
        raise DecaiError(f"anvil exited with status {status}")


COMMANDS = (node,)
