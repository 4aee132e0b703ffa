"""`ape decai deploy`: both mechanisms, remembering the trainer, and parameters refused before
any transaction."""

import json

import pytest

from .conftest import CLASSES, DAY, HOUR, VOCAB_SIZE

DEPLOY_KEYS = {
    "address", "model", "mechanism", "name", "n_features", "gas_used", "remembered_in", "previous",
    "transactions", "resumed", "max_gas_per_transaction", "implementation_gas", "network", "abandoned",
}  # fmt: skip


def deployed_receipt(chain, address):
    """The receipt of the transaction of the last block, which must have created `address`."""
    (txn,) = chain.blocks.head.transactions
    receipt = chain.get_receipt(txn.txn_hash.hex())
    assert receipt.contract_address == address
    return receipt


def test_deploy__deposit_mechanism__with_the_given_parameters(decai, chain, creator, model_file, review_model, state_dir):
    nonce = creator.nonce

    out = decai.json(
        "deploy", model_file, "--refund-wait", "2h", "--creator-wait", "10d", "--anyone-wait", "2w",
        "--cost-weight", "0.5 ether", "--min-deposit", "5 gwei", "--min-share", "1000", account=creator,
    )  # fmt: skip

    assert set(out) == DEPLOY_KEYS
    assert out["mechanism"] == "deposit"  # the default (decai.mechanism)
    assert out["name"] == "reviews"
    assert out["n_features"] == VOCAB_SIZE
    assert creator.nonce == nonce + 1
    assert out["gas_used"] == deployed_receipt(chain, out["address"]).gas_used
    contract = chain.contracts.instance_at(out["address"])
    assert contract.owner() == creator.address
    assert (contract.refund_wait(), contract.creator_wait(), contract.anyone_wait()) == (2 * HOUR, 10 * DAY, 14 * DAY)
    assert (contract.cost_weight(), contract.min_deposit(), contract.min_share()) == (5 * 10**17, 5 * 10**9, 1000)
    assert contract.n_features() == VOCAB_SIZE
    assert contract.intercept() == review_model["intercept"]
    (deployed,) = contract.TrainerDeployed.range(0, chain.blocks.head.number + 1)
    assert deployed.creator == creator.address
    assert deployed.name == "reviews"
    assert json.loads(deployed.encoder)["classes"] == CLASSES
    assert out["remembered_in"] == str(state_dir / "trainers.json")


def test_deploy__doubt_wait__is_the_trainers_and_info_shows_it(decai, chain, creator, model_file):
    out = decai.json("deploy", model_file, "--refund-wait", "1d", "--doubt-wait", "3d", account=creator)

    contract = chain.contracts.instance_at(out["address"])
    assert (contract.refund_wait(), contract.doubt_wait()) == (DAY, 3 * DAY)
    assert decai.json("info", trainer=out["address"])["parameters"]["doubt_wait"] == 3 * DAY
    text = decai.ok("info", trainer=out["address"]).stdout
    assert any(line.split()[:3] == ["doubt", "wait", "3d"] for line in text.replace("│", " ").splitlines())


def test_deploy__without_doubt_wait__it_is_the_refund_wait(decai, chain, creator, model_file):
    out = decai.json("deploy", model_file, "--refund-wait", "2h", account=creator)

    assert chain.contracts.instance_at(out["address"]).doubt_wait() == 2 * HOUR


def test_deploy__points_mechanism(decai, chain, creator, model_file):
    out = decai.json("deploy", model_file, "--mechanism", "points", "--refund-wait", "3d", account=creator)

    assert set(out) == DEPLOY_KEYS
    assert out["mechanism"] == "points"
    contract = chain.contracts.instance_at(out["address"])
    assert contract.validation_wait() == 3 * DAY
    assert not hasattr(contract, "refund_wait")  # really the points trainer
    info = decai.json("info", trainer=out["address"])
    assert info["mechanism"] == "points"
    assert info["parameters"] == {"validation_wait": 3 * DAY}


def test_deploy__text_output_names_the_trainer_and_gas(decai, chain, creator, model_file, state_dir):
    result = decai.ok("deploy", model_file, account=creator)

    lines = result.stdout.splitlines()
    address = lines[0].split(" at ")[-1]
    assert lines[0] == f"deployed 'reviews' (sparse-perceptron, deposit) at {address}"
    assert lines[1] == f"gas used: {deployed_receipt(chain, address).gas_used:,} in 1 transaction(s)"
    assert lines[2] == f"now this network's current trainer (remembered in {state_dir / 'trainers.json'})"
    assert len(lines) == 3  # no earlier trainer to switch back to


def test_deploy__remembers_the_trainer_for_later_commands(decai, creator, contributor, model_file, state_dir, texts):
    out = decai.json("deploy", model_file, account=creator)

    saved = json.loads((state_dir / "trainers.json").read_text())
    assert [[e["address"] for e in entries] for entries in saved.values()] == [[out["address"]]]
    # No --trainer from here on.
    assert decai.json("info")["address"] == out["address"]
    added = decai.json("add-data", texts.firm["fresh"][0], "--label", "fresh", account=contributor)
    assert added["label"] == "fresh"
    assert decai.ok("predict", texts.firm["rotten"][0]).stdout == "rotten\n"


def test_deploy__a_new_deployment_replaces_the_remembered_one(decai, creator, model_file, state_dir):
    first = decai.json("deploy", model_file, account=creator)
    second = decai.json("deploy", model_file, "--mechanism", "points", account=creator)

    assert first["address"] != second["address"]
    (entries,) = json.loads((state_dir / "trainers.json").read_text()).values()
    assert entries[-1]["address"] == second["address"]  # the newest deployment on this chain wins
    assert decai.json("info")["address"] == second["address"]
    # The first one is still reachable explicitly.
    assert decai.json("info", trainer=first["address"])["mechanism"] == "deposit"


@pytest.mark.parametrize(
    "options, expected",
    [
        pytest.param(["--refund-wait", "61d"], "refund-wait <= creator-wait <= anyone-wait", id="refund-wait>creator-wait"),
        pytest.param(["--creator-wait", "61d"], "refund-wait <= creator-wait <= anyone-wait", id="creator-wait>anyone-wait"),
        pytest.param(["--cost-weight", "lots"], "not an amount: 'lots'", id="cost-weight-not-numeric"),
        pytest.param(["--min-deposit", "1.5"], "not an amount: '1.5'", id="fractional-wei"),
        pytest.param(["--min-share", "3 furlongs"], "not an amount: '3 furlongs'", id="unknown-unit"),
        pytest.param(["--cost-weight", "-5"], "'-5'", id="negative-amount"),
        pytest.param(["--min-deposit", str(2**96)], "min-deposit is too large", id="min-deposit>=2**96"),
        pytest.param(["--refund-wait", "3x"], "not a duration: '3x'", id="duration-unknown-unit"),
        pytest.param(["--creator-wait", "soon"], "not a duration: 'soon'", id="duration-not-numeric"),
        pytest.param(["--anyone-wait", "-1d"], "cannot be negative", id="negative-duration"),
        pytest.param(["--mechanism", "points", "--refund-wait", "1 fortnight"], "not a duration", id="points-bad-wait"),
        pytest.param(
            ["--refund-wait", "inf"], "not a duration: 'inf'", id="infinite-duration",
        ),
        pytest.param(
            ["--refund-wait", "nan"], "not a duration: 'nan'", id="nan-duration",
        ),
        pytest.param(
            ["--refund-wait", "1e80", "--creator-wait", "1e80", "--anyone-wait", "1e80"], "too large", id="wait>uint256",
        ),
        pytest.param(
            ["--cost-weight", str(2**256)], "too large", id="cost-weight>uint256",
        ),
        pytest.param(["--doubt-wait", "2h"], "refund-wait <= doubt-wait", id="doubt-wait<refund-wait"),
        pytest.param(["--doubt-wait", "61d"], "doubt-wait <= creator-wait", id="doubt-wait>creator-wait"),
        pytest.param(
            ["--mechanism", "points", "--doubt-wait", "2d"], "option of the deposit mechanism", id="doubt-wait-points",
        ),
    ],
)  # fmt: skip
def test_deploy__bad_parameters__are_usage_errors_and_send_nothing(decai, creator, model_file, state_dir, options, expected):
    nonce = creator.nonce

    message = decai.usage_error("deploy", model_file, *options, account=creator)

    assert expected in message
    assert creator.nonce == nonce
    assert not (state_dir / "trainers.json").exists()


def test_deploy__account_without_ether__fails_with_one_line(decai, accounts, model_file):
    penniless = accounts.generate_test_account()

    message = decai.fails("deploy", model_file, account=penniless)

    assert "insufficient funds" in message.lower() or "balance" in message
    assert penniless.nonce == 0


def test_deploy__unknown_mechanism__is_a_usage_error(decai, creator, model_file):
    nonce = creator.nonce

    result = decai.run("deploy", model_file, "--mechanism", "gold", account=creator)

    assert result.exit_code == 2
    assert "'gold' is not one of 'deposit', 'points'" in result.stderr
    assert creator.nonce == nonce


@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param("text,label\ngreat,fresh\n", "not valid JSON", id="a-csv"),
        pytest.param('{"format": "something-else"}', "missing", id="not-a-model"),
    ],
)
def test_deploy__bad_model_file__fails_before_any_transaction(decai, creator, tmp_path, content, expected):
    model_file = tmp_path / "model.json"
    model_file.write_text(content)
    nonce = creator.nonce

    message = decai.fails("deploy", model_file, account=creator)

    assert str(model_file) in message and expected in message
    assert creator.nonce == nonce
