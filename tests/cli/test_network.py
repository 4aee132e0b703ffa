"""Choosing the network: an unknown one, and the throwaway Anvil a command starts on its own."""

import json
import time

import pytest


@pytest.mark.parametrize(
    "command, args",
    [
        pytest.param("info", [], id="info"),
        pytest.param("predict", ["a fine film"], id="predict"),
        pytest.param("add-data", ["a fine film", "-l", "fresh", "--account", "TEST::1"], id="add-data"),
        pytest.param("refund", ["--account", "TEST::1"], id="refund"),
        pytest.param("report", ["--all", "--account", "TEST::1"], id="report"),
    ],
)
def test_unknown_network__is_a_usage_error(decai, chain, reviews_trainer, contributor, command, args):
    nonce, head = contributor.nonce, chain.blocks.head.number

    result = decai.run(command, *args, "--network", "ethereum:nonexistent", trainer=reviews_trainer)

    assert result.exit_code == 2, decai.describe(result)
    assert "No network in 'ethereum' named 'nonexistent'" in result.stderr
    assert result.stdout == ""
    assert (contributor.nonce, chain.blocks.head.number) == (nonce, head)


def test_unknown_network__deploy_sends_nothing(decai, creator, model_file, state_dir):
    nonce = creator.nonce

    result = decai.run("deploy", model_file, "--network", "ethereum:nonexistent", "--account", "TEST::0")

    assert result.exit_code == 2
    assert creator.nonce == nonce
    assert not state_dir.exists()


# --- A throwaway chain ---------------------------------------------------------------------------------------
@pytest.fixture
def throwaway_anvil(monkeypatch, chain):
    """No APE_FOUNDRY_HOST: the command starts (and leaves running) an Anvil of its own, as
    `ape decai deploy` does by default with `foundry: host: auto`. Stopped after the test."""
    from ape.api.networks import ProviderContextManager
    from ape.logging import logger

    monkeypatch.delenv("APE_FOUNDRY_HOST")
    logger.set_level("INFO")  # Ape's default, as in a fresh `ape` process
    ours = chain.provider.connection_id
    yield
    for connection_id, provider in list(ProviderContextManager.connected_providers.items()):
        if connection_id != ours:
            provider.disconnect()
            del ProviderContextManager.connected_providers[connection_id]
    assert chain.provider.connection_id == ours


def test_deploy__on_a_throwaway_chain__warns_that_its_state_is_lost(decai, chain, creator, model_file, throwaway_anvil):
    nonce = creator.nonce

    result = decai.ok("deploy", model_file, account=creator)

    assert "note: this command started its own local Anvil; its state is lost when it ends." in result.stderr
    assert any(line.startswith("deployed 'reviews' (sparse-perceptron, deposit) at ") for line in result.stdout.splitlines())
    assert creator.nonce == nonce  # it went to the other chain, not to ours


def test_deploy__json_on_a_throwaway_chain__prints_only_json(decai, creator, model_file, throwaway_anvil):
    result = decai.ok("deploy", model_file, "--json", account=creator)

    assert json.loads(result.stdout)["mechanism"] == "deposit"


def test_remembered_trainer__is_per_chain(decai, monkeypatch, chain, creator, model_file, state_dir, throwaway_anvil):
    # Trainers are remembered per genesis block; two Anvils started in the same second have the
    # same genesis (state.py), so make sure the throwaway one starts a second after ours did.
    time.sleep(max(0.0, chain.blocks[0].timestamp + 1.1 - time.time()))
    result = decai.ok("deploy", model_file, "--mechanism", "points", account=creator)  # on its own Anvil
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("deployed ")]
    thrown_away = line.split(" at ")[-1]
    monkeypatch.setenv("APE_FOUNDRY_HOST", chain.provider.uri)  # back to the test chain

    message = decai.fails("info")
    ours = decai.json("deploy", model_file, account=creator)

    assert message.startswith("no trainer on this network")
    assert decai.json("info")["address"] == ours["address"]
    saved = json.loads((state_dir / "trainers.json").read_text())
    assert sorted(e["address"] for entries in saved.values() for e in entries) == sorted([thrown_away, ours["address"]])
