"""`ape decai node`: a persistent local Anvil without `--steps-tracing`, as a real subprocess.

Each test starts `ape decai node` on a free port of its own (never 8545), talks to the Anvil it
started over JSON-RPC, reads the command line of that Anvil from /proc, and stops it as Ctrl-C
in a terminal would (SIGINT to the process group).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

APE = str(Path(sys.executable).parent / "ape")
# The test mnemonic's first accounts: Ape's TEST::0 and TEST::1.
TEST_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TEST_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(**overrides: str) -> dict[str, str]:
    # Never the test chain's APE_FOUNDRY_HOST (tests/cli/conftest.py sets it for in-process commands).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APE_FOUNDRY_HOST", "APE_DECAI_"))}
    return {**env, **overrides}


class Node:
    """`ape decai node ARGS` started in the background; `lines` is what it printed up to the
    `export` line, `stop()` sends SIGINT and returns the exit status."""

    def __init__(self, *args: str, cwd: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [APE, "decai", "node", "--port", str(self.port), *args],
            cwd=cwd,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a process group of its own, as in a terminal
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + START_SECONDS
        assert self.process.stdout is not None
        while not any(line.startswith("  ape decai") for line in self.lines):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"`ape decai node` did not start: {self.lines} {self.process.stderr.read()}")
            self.lines.append(line.rstrip("\n"))
        self.web3 = Web3(HTTPProvider(self.url))

    def anvil_command_lines(self) -> list[list[str]]:
        """The command lines of the node's descendants (npm's node launcher, the native anvil)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], list(children.get(self.process.pid, []))
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            try:
                found.append((Path("/proc") / str(pid) / "cmdline").read_bytes().decode().split("\0")[:-1])
            except OSError:
                continue
        return found

    def stop(self, terminate: bool = False) -> int:
        """Ctrl-C: SIGINT to the whole process group (the command and the Anvil it started); or,
        with `terminate`, SIGTERM to the command alone (a service manager, `kill`)."""
        if self.process.poll() is None:
            if terminate:
                self.process.terminate()
            else:
                os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def test_node__runs_anvil_without_steps_tracing__with_the_test_accounts(tmp_path):
    node = Node(cwd=tmp_path)
    try:
        assert f"  export APE_FOUNDRY_HOST={node.url}" in node.lines
        assert "  ape decai ... --network ethereum:local:foundry" in node.lines
        assert node.web3.is_connected()
        accounts = node.web3.eth.accounts
        assert len(accounts) == 10
        assert accounts[:2] == [TEST_0, TEST_1]
        assert node.web3.eth.get_balance(TEST_0) == 10_000 * 10**18
        command_lines = node.anvil_command_lines()
        anvils = [line for line in command_lines if any(Path(word).name == "anvil" for word in line)]
        assert anvils, command_lines
        for line in anvils:
            assert "--port" in line and str(node.port) in line
            assert "--steps-tracing" not in line
    finally:
        status = node.stop()
    assert status == 0
    assert node.process.stderr.read().strip().splitlines()[-1] == "anvil stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", node.port), timeout=1).close()


def test_node__with_state__keeps_the_chain_across_restarts__stopped_by_sigterm_or_ctrl_c(tmp_path):
    state = tmp_path / "chain.json"
    first = Node("--state", str(state), cwd=tmp_path)
    try:
        first.web3.provider.make_request("evm_mine", [])
        first.web3.provider.make_request("evm_mine", [])
        blocks = first.web3.eth.block_number
        assert blocks >= 2
    finally:
        assert first.stop(terminate=True) == 0
    assert state.is_file()

    second = Node("--state", str(state), cwd=tmp_path)
    try:
        assert second.web3.eth.block_number >= blocks
    finally:
        assert second.stop() == 0


def test_node__without_anvil__says_how_to_install_it_in_one_line(tmp_path):
    no_anvil = tmp_path / "bin"
    no_anvil.mkdir()

    result = subprocess.run(
        [APE, "decai", "node", "--port", str(free_port())],
        cwd=tmp_path,
        env=environment(PATH=str(no_anvil)),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: anvil is not on PATH")
    assert "npm install @foundry-rs/anvil@1.7.1" in lines[0]
    assert "foundryup" in lines[0]
