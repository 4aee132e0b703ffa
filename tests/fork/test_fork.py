"""Fork tests: a fork of a chain that already holds a trainer sees it, and writing to the fork
leaves the original alone.

Upstream is an Anvil of our own where the CLI deployed and used a trainer (tests/fork/conftest.py);
each test gets a fresh ``anvil --fork-url <upstream> --accounts 0`` and talks to it with
``APE_FOUNDRY_HOST`` and ``--network ethereum:local:foundry``. The last test takes Ape's own
route instead: a custom network for upstream and ``ethereum:<name>-fork:foundry``.
Every command is a real ``ape decai ... --json`` subprocess; no test uses Ape's test chain.
"""

import copy
import json

import pytest

pytestmark = pytest.mark.fork

ETHER = 10**18
ANVIL_DEV_BALANCE = 10_000 * ETHER  # what Anvil gives its dev accounts on a fork it starts


def test_fork__sees_the_trainer_its_contributions_parameters_and_balances(decai, upstream, fork, scenario):
    info = decai.json("info", node=fork, account=2, trainer=upstream.address)

    fork_config = fork.rpc("anvil_nodeInfo")["forkConfig"]
    assert (fork_config["forkUrl"], fork_config["forkBlockNumber"]) == (upstream.node.url, upstream.head)
    assert info == upstream.info  # everything `info` reads, field by field
    d = upstream.deposits
    assert info["contributions"] == 3 and info["total_good_data"] == 1
    assert info["balance"] == info["claimable_total"] == d[2] + d[3]  # TEST::1 was refunded upstream
    assert info["owner"] == upstream.accounts[0]
    assert info["parameters"]["refund_wait"] == 86400 and info["parameters"]["anyone_wait"] == 60 * 86400
    assert info["n_features"] == 200 and info["name"] == "fork-suite"
    assert info["intercept"] == scenario.intercept_upstream != scenario.intercept_initial  # the disputed update
    me = info["account"]
    assert me["address"] == upstream.accounts[2]
    assert (me["contributions"], me["good_data"], me["deposits_outstanding"]) == (1, 0, d[2])
    # Balances and nonces of accounts are upstream's (`--accounts 0`: Anvil does not refill them).
    assert me["balance"] == upstream.balances[upstream.accounts[2]] < ANVIL_DEV_BALANCE
    assert {a: fork.nonce(a) for a in upstream.accounts} == upstream.nonces
    assert fork.code(upstream.address) == upstream.node.code(upstream.address) != "0x"


def test_fork__predicts_what_upstream_predicts(decai, upstream, fork, scenario):
    texts = list(scenario.upstream_predictions)

    on_fork = decai.many(*((("predict", text), {"node": fork, "trainer": upstream.address}) for text in texts))

    assert {text: p["label"] for text, p in zip(texts, on_fork, strict=True)} == upstream.predictions
    assert upstream.predictions == scenario.upstream_predictions  # what the reference model says
    assert sorted(set(upstream.predictions.values())) == ["fresh", "rotten"]


def test_fork__transactions_change_the_fork_only(decai, upstream, fork, scenario):
    trainer, d = upstream.address, upstream.deposits

    added = decai.json("add-data", scenario.flip, "--label", scenario.flip_to, node=fork, account=4, trainer=trainer)
    travelled = decai.json("time-travel", "1d", node=fork)
    refunded_2 = decai.json("refund", node=fork, account=2, trainer=trainer)  # a contribution made upstream
    refunded_4 = decai.json("refund", node=fork, account=4, trainer=trainer)  # the fork's own
    fork_info, fork_prediction, upstream_info, upstream_prediction = decai.many(
        (("info",), {"node": fork, "account": 2, "trainer": trainer}),
        (("predict", scenario.flip), {"node": fork, "trainer": trainer}),
        (("info",), {"node": upstream.node, "account": 2, "trainer": trainer}),
        (("predict", scenario.flip), {"node": upstream.node, "trainer": trainer}),
    )

    # The fork moved on ...
    assert (added["prediction_before"], added["prediction_after"], added["model_updated"]) == (
        scenario.flip_from,
        scenario.flip_to,
        True,
    )
    assert travelled["advanced_seconds"] == 86400 and travelled["timestamp"] >= added["added_at"] + 86400
    assert [r["transaction"] for r in refunded_2["refunded"]] == [upstream.transactions[2]]
    assert refunded_2["total"] == d[2]
    assert [r["transaction"] for r in refunded_4["refunded"]] == [added["transaction"]]
    assert refunded_4["total"] == added["deposit"] > 0
    assert fork_info["contributions"] == 4 and fork_info["total_good_data"] == 3
    assert fork_info["balance"] == fork_info["claimable_total"] == d[3]  # only the disputed deposit is left
    assert fork_info["intercept"] == scenario.intercept_flipped
    assert (fork_info["account"]["good_data"], fork_info["account"]["deposits_outstanding"]) == (1, 0)
    assert fork_prediction["label"] == scenario.flip_to
    assert fork.block_number() == upstream.head + 4  # add-data, time-travel's block, two refunds
    # ... upstream did not.
    assert upstream_info == upstream.info
    assert upstream_prediction["label"] == scenario.flip_from
    upstream.assert_untouched()


def test_remembered_trainer__the_fork_reuses_upstream_memory(decai, upstream, fork):
    """A fork has the chain id and the genesis block of its upstream, and trainers are remembered
    per (ecosystem, network name, chain id, genesis hash): reached as ``ethereum:local`` both, the
    fork finds the trainer `ape decai deploy` remembered upstream without ``--trainer``. That is
    arguably right: the fork holds the same trainer at the same address (its history up to the
    fork block is upstream's, including the deployment block). The other direction is the next
    test: a deployment on the fork is remembered with a block upstream does not have."""
    saved = json.loads((upstream.state_dir / "trainers.json").read_text())

    info = decai.json("info", node=fork)

    assert fork.genesis_hash() == upstream.node.genesis_hash()
    assert fork.chain_id == upstream.node.chain_id
    (entry,) = saved[f"ethereum:local:{upstream.node.chain_id}:{upstream.node.genesis_hash()[2:]}"]
    assert entry["address"] == upstream.address
    assert entry["block"] >= 1 and entry["block_hash"].startswith(("0x", "")) and len(entry["block_hash"]) >= 64
    assert info["address"] == upstream.address and info["contributions"] == 3


def test_remembered_trainer__a_deployment_on_the_fork_does_not_replace_upstream_memory(
    decai, upstream, fork, model_file, state_copy
):
    on_fork = decai.json("deploy", model_file, node=fork, account=0, state_dir=state_copy)
    assert on_fork["address"] != upstream.address
    assert decai.json("info", node=fork, state_dir=state_copy)["address"] == on_fork["address"]

    after = decai.run("info", node=upstream.node, state_dir=state_copy)

    upstream.assert_untouched()
    assert after.returncode == 0, decai.describe(after)
    assert json.loads(after.stdout)["address"] == upstream.address


def test_custom_fork_network__sees_upstream_and_changes_nothing(decai, upstream, scenario, custom_networks):
    """Ape's own fork route: upstream is the custom network ``decai-upstream`` (``node``
    provider at its URL), and ``ethereum:decai-upstream-fork:foundry`` makes ape-foundry start
    ``anvil --fork-url <upstream>`` for the command and stop it afterwards (so each command
    gets a fresh fork). The network names differ, so the remembered trainer is not shared:
    ``--trainer`` is needed."""
    fork_network, upstream_network = custom_networks["fork"], custom_networks["upstream"]
    trainer = upstream.address

    info = decai.json("info", network=fork_network, account=2, trainer=trainer)
    added = decai.json("add-data", scenario.flip, "--label", scenario.flip_to, network=fork_network, account=4, trainer=trainer)
    travelled = decai.json("time-travel", "1d", network=fork_network)  # allowed: a "-fork" network
    not_remembered = decai.fails("info", network=fork_network)
    refused = decai.fails("time-travel", "1d", network=upstream_network)
    through_node = decai.json("info", network=upstream_network, account=2, trainer=trainer)

    # Anvil started by ape-foundry has dev accounts: it gives TEST::2 10,000 ETH on the fork.
    assert info["account"].pop("balance") == ANVIL_DEV_BALANCE
    expected = copy.deepcopy(upstream.info)
    del expected["account"]["balance"]
    # Every chain command names the network it used: the fork's here, upstream's below.
    assert (info.pop("network"), expected.pop("network")) == (fork_network, "ethereum:local:foundry")
    assert info == expected
    assert (added["prediction_before"], added["model_updated"]) == (scenario.flip_from, True)
    assert added["deposit"] > 0
    assert travelled["timestamp"] >= upstream.head_timestamp + 86400
    assert not_remembered.startswith("no trainer on this network")
    assert refused == f"time travel is only possible on a local chain, not on {custom_networks['name']}"
    # Ape names a `node` provider by its URI: ethereum:decai-upstream:http://127.0.0.1:<port>
    assert through_node.pop("network").startswith(f"ethereum:{custom_networks['name']}:")
    assert through_node == {k: v for k, v in upstream.info.items() if k != "network"}
    upstream.assert_untouched()
