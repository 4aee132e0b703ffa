"""Fixtures of the fork suite: a chain that already holds a trainer, and forks of it.

Nothing here uses the chain of Ape's test provider. Every command is a real ``ape decai ...``
subprocess (``--json``) talking to Anvil processes started here, each on a free port of its own
(never 8545), and stopped at teardown.

- ``upstream`` (once per module): an Anvil playing "the network that already holds a
  deployment". The CLI deploys a trainer there; ``TEST::1`` adds a review the model calls fresh
  as fresh, ``TEST::2`` one it calls rotten as rotten, ``TEST::3`` one it calls fresh as rotten
  (disputed data: the model updates but keeps calling it fresh); a day later ``TEST::1`` is
  refunded. What upstream then says (``info --json``, predictions, head block, balances and
  nonces) is its *baseline*: a test that writes to a fork checks upstream still says exactly that.
- ``fork`` (per test): ``anvil --fork-url <upstream> --accounts 0``, a fresh fork of upstream's
  head for every test, so tests may write to their fork in any order. ``--accounts 0``: by
  default Anvil gives its ten dev accounts (the test mnemonic's, i.e. Ape's ``TEST::0..9``)
  10,000 ETH on the fork, which hides the balances upstream holds; with no dev accounts the
  fork shows upstream's balances. Ape signs locally, so nothing needs unlocked accounts.
- ``decai``: runs the commands, against an Anvil (``node=``: ``APE_FOUNDRY_HOST`` and
  ``--network ethereum:local:foundry``) or a named network (``network=``), in a project folder
  of its own whose ``ape-config.yaml`` also defines the custom network ``decai-upstream`` (the
  ``node`` provider at upstream's URL) and its fork ``ethereum:decai-upstream-fork:foundry``
  (Ape's own fork route: ape-foundry starts a forking Anvil for each command and stops it
  when the command ends).
- ``scenario``: the reviews used, chosen with the bit-exact reference model so that every
  prediction the tests expect is known before anything runs.

A public network instead of a local upstream: set ``DECAI_FORK_RPC_URL`` to an RPC URL and
upstream becomes ``anvil --fork-url $DECAI_FORK_RPC_URL``, a local copy of that chain (nothing
is ever sent to the RPC but reads); the trainer is deployed into that copy and everything else
runs unchanged. See "Fork tests" in docs/testing.md.

Helpers are fixtures, not importable names (see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes
from ape_decai.training import encoder_from_model_file, model_from_file, save_model_file, train_model

REPO = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).parent / "ape")
LOCAL = "ethereum:local:foundry"  # with APE_FOUNDRY_HOST: whatever Anvil that variable names
CUSTOM = "decai-upstream"  # the custom network whose `node` provider is the upstream Anvil
CUSTOM_UPSTREAM = f"ethereum:{CUSTOM}:node"
CUSTOM_FORK = f"ethereum:{CUSTOM}-fork:foundry"
PUBLIC_RPC_VARIABLE = "DECAI_FORK_RPC_URL"
ANVIL_START_TIMEOUT = "Timed out waiting for successful RPC connection to the 'anvil' process"

REVIEWS = 300
VOCAB_SIZE = 200
SEED = 20190618
DAY = 86400
COMMAND_TIMEOUT = 180  # seconds, per command
NODE_START_TIMEOUT = 60  # seconds (a fork of a public network fetches its first block remotely)
FORBIDDEN_PORT = 8545  # someone else's node lives there


# --- Anvil processes -----------------------------------------------------------------------------
def _free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != FORBIDDEN_PORT:
            return port


def _anvil_binary() -> str:
    found = shutil.which("anvil", path=os.pathsep.join([str(REPO / "node_modules" / ".bin"), os.environ.get("PATH", "")]))
    if not found:
        raise RuntimeError("anvil not found (neither node_modules/.bin/anvil nor on PATH): run `make setup`")
    return found


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Anvil:
    """An Anvil process of our own on a free port; ``stop()`` ends it (and only it)."""

    def __init__(self, *args: str, log_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (open as long as the process runs; closed by stop())
        # A session of its own: node_modules/.bin/anvil is a node wrapper that spawns the real
        # binary, and stopping the group stops both even if the wrapper is killed hard.
        self.process = subprocess.Popen(
            [_anvil_binary(), "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + NODE_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.chain_id = int(self.rpc("eth_chainId"), 16)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"anvil did not answer eth_chainId within {NODE_START_TIMEOUT} s:\n{self.log_tail()}") from None
                time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with _NO_PROXY.open(request, timeout=30) as response:
            reply = json.load(response)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", address, "latest"), 16)

    def nonce(self, address: str) -> int:
        return int(self.rpc("eth_getTransactionCount", address, "latest"), 16)

    def genesis_hash(self) -> str:
        return self.rpc("eth_getBlockByNumber", "0x0", False)["hash"]

    def code(self, address: str) -> str:
        return self.rpc("eth_getCode", address, "latest")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


# --- Running `ape decai` ---------------------------------------------------------------------------
class Decai:
    """``ape decai COMMAND ... --json`` as a subprocess in the suite's project folder.

    ``node=`` an ``Anvil``: ``APE_FOUNDRY_HOST=<its URL>`` and ``--network ethereum:local:foundry``;
    or ``network=`` a network choice (no ``APE_FOUNDRY_HOST``). ``account=n`` becomes
    ``--account TEST::n``, ``trainer=`` ``--trainer``. Trainers are remembered in ``state_dir``
    (the module's unless given).
    """

    def __init__(self, project: Path, data_folder: Path, state_dir: Path):
        self.project = project
        self.state_dir = state_dir
        path = os.pathsep.join([str(Path(sys.executable).parent), str(REPO / "node_modules" / ".bin"), os.environ.get("PATH", "")])
        self.base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("APE_FOUNDRY_", "APE_DECAI_", "APE_DATA_FOLDER"))
        }
        # Ape's data folder of its own: the commands keep the registry of node processes
        # (~/.ape/processes) away from the user's, and do not scan its stale entries.
        self.base_env.update(PATH=path, APE_DATA_FOLDER=str(data_folder))

    def _spawn(self, command, *args, node=None, network=None, account=None, trainer=None, state_dir=None):
        if (node is None) == (network is None):
            raise TypeError("give node= or network=")
        argv = [APE, "decai", command, *map(str, args), "--network", network or LOCAL, "--json"]
        if account is not None:
            argv += ["--account", f"TEST::{account}"]
        if trainer is not None:
            argv += ["--trainer", trainer]
        env = dict(self.base_env, APE_DECAI_STATE_DIR=str(state_dir or self.state_dir))
        if node is not None:
            env["APE_FOUNDRY_HOST"] = node.url
        process = subprocess.Popen(
            argv, cwd=self.project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return argv, process

    @staticmethod
    def _finish(spawned) -> subprocess.CompletedProcess:
        argv, process = spawned
        try:
            out, err = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def run(self, command, *args, **kwargs) -> subprocess.CompletedProcess:
        result = self._finish(self._spawn(command, *args, **kwargs))
        if kwargs.get("network") == CUSTOM_FORK and ANVIL_START_TIMEOUT in result.stdout + result.stderr:
            # Once in a while the Anvil that ape-foundry starts for the fork network never answers:
            # it picks a random port in the OS's ephemeral range without checking that it is free,
            # Anvil exits if it is taken, and Ape waits 20 s for it and gives up. The command never
            # connected, so it sent nothing: run it once more.
            result = self._finish(self._spawn(command, *args, **kwargs))
        return result

    @staticmethod
    def describe(result: subprocess.CompletedProcess) -> str:
        return f"{' '.join(result.args)}\nexit status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"

    @classmethod
    def parse(cls, result: subprocess.CompletedProcess) -> dict:
        """The command succeeded and printed exactly one JSON object."""
        assert result.returncode == 0, cls.describe(result)
        assert result.stdout.count("\n") == 1 and result.stdout.endswith("}\n"), cls.describe(result)
        return json.loads(result.stdout)

    def json(self, command, *args, **kwargs) -> dict:
        return self.parse(self.run(command, *args, **kwargs))

    def many(self, *calls: tuple[tuple, dict]) -> list[dict]:
        """Independent commands at the same time: ``((command, *args), kwargs)`` each -> JSON each."""
        spawned = [self._spawn(*args, **kwargs) for args, kwargs in calls]
        return [self.parse(self._finish(s)) for s in spawned]

    def fails(self, command, *args, **kwargs) -> str:
        """The command ends with exit status 1 and ``Error: ...`` as its last line; the message."""
        result = self.run(command, *args, **kwargs)
        assert result.returncode == 1, self.describe(result)
        assert result.stdout == "", self.describe(result)
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("Error: "), self.describe(result)
        return last[len("Error: ") :]


# --- The reviews -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """The texts the suite sends, and what the model says about them at each point.

    All predictions come from the bit-exact reference model replaying the same contributions:
    ``fresh``, ``rotten`` and ``disputed`` keep their labels through every contribution of the suite
    (upstream's and a fork's), ``flip`` changes its label with the fork's contribution.
    """

    model: dict
    fresh: str  # TEST::1 adds it as fresh (the model agrees); refunded upstream
    rotten: str  # TEST::2 adds it as rotten (the model agrees); left for a fork to refund
    disputed: str  # TEST::3 adds it as rotten; the model says fresh, updates, and still says fresh
    flip: str  # after upstream's contributions the model says `flip_from`; adding it with `flip_to` flips it
    flip_from: str
    flip_to: str
    intercept_initial: int
    intercept_upstream: int  # after the disputed contribution
    intercept_flipped: int  # after the flip contribution on a fork

    @property
    def upstream_predictions(self) -> dict[str, str]:
        return {self.fresh: "fresh", self.rotten: "rotten", self.disputed: "fresh", self.flip: self.flip_from}


def _scenario() -> Scenario:
    """Choose the texts by replaying the suite's contributions on the reference model."""
    classes = list(CLASSES_ROTTEN_TOMATOES)  # 0 rotten, 1 fresh
    samples = random.Random(SEED).sample(load_rotten_tomatoes(), REVIEWS)
    model = train_model(samples, classes, vocab_size=VOCAB_SIZE, name="fork-suite", description="Fresh or rotten? (fork suite)")
    initial, encoder = model_from_file(model), encoder_from_model_file(model)

    seen, encoded = set(), []
    for text, _ in load_rotten_tomatoes():
        x = encoder.encode(text)
        if 2 <= len(x) <= 8 and text not in seen:
            seen.add(text)
            encoded.append((text, x))
    by_margin = sorted(encoded, key=lambda tx: initial.margin(tx[1]))  # most rotten first, most fresh last
    rotten, fresh = by_margin[0][0], by_margin[-1][0]

    def says(model_, text) -> int:
        return model_.predict(encoder.encode(text))

    for disputed, x in reversed(by_margin[:-1]):  # the freshest first
        upstream_model = copy.deepcopy(initial)
        if upstream_model.update(x, 0) and [says(upstream_model, t) for t in (fresh, rotten, disputed)] == [1, 0, 1]:
            break
    else:
        raise AssertionError("no review keeps its fresh label after one contribution says rotten")

    for flip, x in encoded:
        if flip in (fresh, rotten, disputed):
            continue
        before = upstream_model.predict(x)
        flipped = copy.deepcopy(upstream_model)
        flipped.update(x, 1 - before)
        if [says(flipped, t) for t in (flip, fresh, rotten, disputed)] == [1 - before, 1, 0, 1]:
            return Scenario(
                model=model,
                fresh=fresh,
                rotten=rotten,
                disputed=disputed,
                flip=flip,
                flip_from=classes[before],
                flip_to=classes[1 - before],
                intercept_initial=initial.intercept,
                intercept_upstream=upstream_model.intercept,
                intercept_flipped=flipped.intercept,
            )
    raise AssertionError("no review that one contribution flips")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return _scenario()


# --- The chains --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fork-suite")


@pytest.fixture(scope="module")
def upstream_node(workspace):
    """The upstream Anvil: empty, or a local copy of the public chain at $DECAI_FORK_RPC_URL."""
    public = os.environ.get(PUBLIC_RPC_VARIABLE)
    node = Anvil(*(["--fork-url", public] if public else []), log_path=workspace / "upstream-anvil.log")
    yield node
    node.stop()


def _write_project(folder: Path, upstream: Anvil) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ape-config.yaml").write_text(
        f"""\
name: decai-fork-suite
plugins:
  - name: foundry
networks:
  custom:
    - name: {CUSTOM}
      chain_id: {upstream.chain_id}
      ecosystem: ethereum
node:
  ethereum:
    {CUSTOM}:
      uri: {upstream.url}
foundry:
  host: auto
  fork:
    ethereum:
      {CUSTOM}:
        upstream_provider: node
"""
    )
    return folder


@pytest.fixture(scope="module")
def decai(workspace, upstream_node) -> Decai:
    """Runs `ape decai` commands (see `Decai`)."""
    project = _write_project(workspace / "project", upstream_node)
    return Decai(project, data_folder=workspace / "ape-data", state_dir=workspace / "state")


@dataclass
class Upstream:
    """The upstream chain after the setup, and what it said then (its baseline)."""

    node: Anvil
    state_dir: Path
    address: str  # the trainer
    accounts: list[str]  # TEST::0..4
    deposits: dict[int, int]  # TEST::n -> the deposit of its contribution
    transactions: dict[int, str]  # TEST::n -> the transaction that added its contribution
    info: dict  # `info --account TEST::2 --json`
    predictions: dict[str, str]  # text -> label
    head: int
    head_timestamp: int
    balances: dict[str, int]  # TEST::0..4 -> wei
    nonces: dict[str, int]

    def assert_untouched(self) -> None:
        """Upstream's head, balances and nonces are still those of the setup."""
        assert self.node.block_number() == self.head
        assert {a: self.node.balance(a) for a in self.accounts} == self.balances
        assert {a: self.node.nonce(a) for a in self.accounts} == self.nonces


@pytest.fixture(scope="module")
def model_file(workspace, scenario) -> Path:
    return save_model_file(scenario.model, workspace / "fork-suite.model.json")


@pytest.fixture(scope="module")
def upstream(decai, upstream_node, scenario, model_file) -> Upstream:
    """Deploy a trainer upstream and use it, with the CLI (see the module docstring)."""
    node = upstream_node
    accounts = [to_checksum_address(a) for a in node.rpc("eth_accounts")[:5]]
    deployed = decai.json("deploy", model_file, node=node, account=0)
    address = deployed["address"]
    assert deployed["mechanism"] == "deposit" and deployed["n_features"] == VOCAB_SIZE

    added = {}
    for account, text, label in ((1, scenario.fresh, "fresh"), (2, scenario.rotten, "rotten"), (3, scenario.disputed, "rotten")):
        added[account] = decai.json("add-data", text, "--label", label, node=node, account=account)
    assert [added[n]["model_updated"] for n in (1, 2, 3)] == [False, False, True]
    assert added[3]["prediction_after"] == "fresh"  # the update did not flip it: not refundable
    deposits = {n: added[n]["deposit"] for n in added}

    travelled = decai.json("time-travel", "1d", node=node)
    assert travelled["timestamp"] >= added[3]["added_at"] + DAY
    refunded = decai.json("refund", node=node, account=1)
    assert refunded["total"] == deposits[1]

    info, *predicted = decai.many(
        (("info",), {"node": node, "account": 2, "trainer": address}),
        *((("predict", text), {"node": node, "trainer": address}) for text in scenario.upstream_predictions),
    )
    assert info["address"] == address and info["contributions"] == 3 and info["total_good_data"] == 1
    return Upstream(
        node=node,
        state_dir=decai.state_dir,
        address=address,
        accounts=accounts,
        deposits=deposits,
        transactions={n: added[n]["transaction"] for n in added},
        info=info,
        predictions={text: p["label"] for text, p in zip(scenario.upstream_predictions, predicted, strict=True)},
        head=node.block_number(),
        head_timestamp=int(node.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16),
        balances={a: node.balance(a) for a in accounts},
        nonces={a: node.nonce(a) for a in accounts},
    )


@pytest.fixture
def fork(upstream, tmp_path) -> Anvil:
    """A fresh `anvil --fork-url <upstream> --accounts 0` (see the module docstring)."""
    node = Anvil("--fork-url", upstream.node.url, "--accounts", "0", log_path=tmp_path / "fork-anvil.log")
    yield node
    node.stop()


@pytest.fixture
def state_copy(upstream, tmp_path) -> Path:
    """A copy of the state dir in which upstream's `deploy` remembered its trainer."""
    return Path(shutil.copytree(upstream.state_dir, tmp_path / "state"))


@pytest.fixture(scope="module")
def custom_networks() -> dict[str, str]:
    """The custom network's choices: its upstream (`node` provider) and Ape's fork of it."""
    return {"upstream": CUSTOM_UPSTREAM, "fork": CUSTOM_FORK, "name": CUSTOM}
