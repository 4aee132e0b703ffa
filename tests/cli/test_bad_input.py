"""Bad input, end to end, for every `ape decai` command: what the other CLI tests do not cover yet.

Each case must exit non-zero with one clear line (exit 1 and `Error: ...` for problems the command
finds; exit 2 and click's one `Error: ...` line under the usage for malformed options), print no
traceback, send no transaction (the account's nonce is unchanged) and leave local state intact:
the remembered-trainers file (ape_decai/state.py) keeps its bytes and no output file is written.

Covered elsewhere: bad labels, empty text and bad trainer addresses for add-data
(test_add_data.py), bad deploy parameters and model files (test_deploy.py), bad training files
(test_train.py), unknown networks (test_network.py), bad durations (test_time_travel.py).
"""

from __future__ import annotations

import pytest

from ape_decai import deploy
from ape_decai.datasets import load_rotten_tomatoes
from ape_decai.packing import MAX_SAMPLE_FEATURES, pack_indices
from ape_decai.training import train_model

from .conftest import NETWORK

CHAIN_COMMANDS_WITH_TRAINER = ["add-data", "predict", "refund", "report", "info"]
CORRUPTED_STATE = {
    "not-json": b'{"ethereum:local:31337:0xabc": [{"address": "0x12',
    "not-an-object": b'["0x5FbDB2315678afecb367f032d93F642f64180aa3"]\n',
    "binary": b"\x00\xff\xfe garbage \x80",
}


def command_args(command: str, texts) -> list[str]:
    """The arguments of a command that would otherwise run (account included where it takes one)."""
    return {
        "add-data": [texts.firm["fresh"][0], "-l", "fresh", "--account", "TEST::1"],
        "predict": [texts.firm["fresh"][0]],
        "refund": ["--account", "TEST::1"],
        "report": ["--all", "--account", "TEST::1"],
        "info": [],
    }[command]


def usage_error(decai, result) -> str:
    """Exit 2, no traceback, nothing on stdout, and exactly one `Error: ...` line. Returns it."""
    assert result.exit_code == 2, decai.describe(result)
    assert isinstance(result.exception, SystemExit), decai.describe(result)
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, decai.describe(result)
    return errors[0][len("Error: ") :]


@pytest.fixture
def remembered(decai, creator, model_file, state_dir):
    """A trainer deployed with `ape decai deploy`, so the state file remembers it: returns
    (its address, the state file, the file's bytes)."""
    address = decai.json("deploy", model_file, account=creator)["address"]
    path = state_dir / "trainers.json"
    return address, path, path.read_bytes()


# --- A corrupted state file -------------------------------------------------------------------------------


@pytest.mark.parametrize("content", list(CORRUPTED_STATE), ids=list(CORRUPTED_STATE))
@pytest.mark.parametrize("command", CHAIN_COMMANDS_WITH_TRAINER)
def test_command__corrupted_state_file__fails_with_one_line_and_keeps_the_file(
    decai, chain, contributor, texts, state_dir, command, content
):
    path = state_dir / "trainers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(CORRUPTED_STATE[content])
    nonce, head = contributor.nonce, chain.blocks.head.number

    message = decai.fails(command, *command_args(command, texts))

    assert str(path) in message and "corrupted" in message
    assert path.read_bytes() == CORRUPTED_STATE[content]
    assert sorted(p.name for p in state_dir.iterdir()) == ["trainers.json"]
    assert (contributor.nonce, chain.blocks.head.number) == (nonce, head)


@pytest.mark.parametrize("content", list(CORRUPTED_STATE), ids=list(CORRUPTED_STATE))
def test_deploy__corrupted_state_file__fails_before_any_transaction_and_keeps_the_file(
    decai, chain, creator, model_file, state_dir, content
):
    # Deploying and then overwriting the file would lose what it held; refuse before sending.
    path = state_dir / "trainers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(CORRUPTED_STATE[content])
    nonce = creator.nonce

    message = decai.fails("deploy", model_file, account=creator)

    assert str(path) in message and "corrupted" in message
    assert path.read_bytes() == CORRUPTED_STATE[content]
    assert sorted(p.name for p in state_dir.iterdir()) == ["trainers.json"]
    assert creator.nonce == nonce


# --- Bad addresses, hashes, amounts, texts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "trainer, expected",
    [
        # A malformed address is a usage error (2); a well-formed one with no trainer, a failure (1).
        pytest.param("not-an-address", (2, "Invalid value for '--trainer': not an address: 'not-an-address'"), id="not-an-address"),
        pytest.param("0x" + "ab" * 21, (2, "Invalid value for '--trainer': not an address"), id="too-long"),
        pytest.param("0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266", (2, "Invalid value for '--trainer': not an address"), id="bad-checksum"),
        pytest.param("STRANGER", (1, "no contract at"), id="address-without-code"),
    ],
)
@pytest.mark.parametrize("command", ["predict", "refund", "report", "info"])
def test_command__bad_trainer_address__fails_and_keeps_the_state(
    decai, contributor, stranger, texts, remembered, command, trainer, expected
):
    _, path, saved = remembered
    trainer = stranger.address if trainer == "STRANGER" else trainer
    nonce = contributor.nonce
    exit_code, expected = expected

    message = decai.error(exit_code, command, *command_args(command, texts), "--trainer", trainer)

    assert message.startswith(expected)
    assert contributor.nonce == nonce
    assert path.read_bytes() == saved


@pytest.mark.parametrize("command", ["refund", "report"])
@pytest.mark.parametrize("txn_hash", ["0xzz", "not-a-hash", "0x" + "00" * 32])
def test_refund_report__malformed_or_unknown_transaction_hash__fails(
    decai, contributor, remembered, command, txn_hash
):
    _, path, saved = remembered
    nonce = contributor.nonce

    message = decai.fails(command, txn_hash, "--account", "TEST::1")

    assert message == f"no contribution to this trainer was added by transaction {txn_hash}"
    assert contributor.nonce == nonce
    assert path.read_bytes() == saved


@pytest.mark.parametrize(
    "deposit, expected",
    [
        pytest.param("lots", "not an amount: 'lots'", id="not-numeric"),
        pytest.param("1.5", "not an amount: '1.5'", id="fractional-wei"),
        pytest.param("3 furlongs", "not an amount: '3 furlongs'", id="unknown-unit"),
        pytest.param("-5", "'-5'", id="negative"),
        pytest.param(str(2**256), "too large", id="above-uint256"),
    ],
)
def test_add_data__bad_deposit__is_a_usage_error_and_sends_nothing(decai, contributor, texts, remembered, deposit, expected):
    _, path, saved = remembered
    nonce = contributor.nonce

    message = decai.usage_error("add-data", texts.firm["fresh"][0], "-l", "fresh", "--deposit", deposit, account=contributor)

    assert expected in message
    assert contributor.nonce == nonce
    assert path.read_bytes() == saved


def test_predict__text_with_more_words_than_a_sample_holds__uses_its_lowest_ranked_words(decai, creator):
    model = train_model(load_rotten_tomatoes()[:3000], ["rotten", "fresh"], vocab_size=MAX_SAMPLE_FEATURES + 50, epochs=1)
    trainer = deploy(model, "points", sender=creator).trainer
    words = model["encoder"]["vocabulary"][: MAX_SAMPLE_FEATURES + 1]
    oversized_text = " ".join(reversed(words))  # one word more than a sample holds, lowest rank last
    encoder = trainer.encoder
    kept = encoder.encode(oversized_text)
    assert len(kept) == encoder.max_features == len(encoder.all_features(oversized_text)) - 1
    assert kept == list(range(encoder.max_features))  # the vocabulary's first words: lowest rank
    assert trainer.encode(oversized_text) == pack_indices(kept)

    out = decai.json("predict", oversized_text, trainer=trainer)

    assert out["label_index"] == trainer.reference_model().predict(kept)


@pytest.mark.parametrize("command", ["add-data", "predict"])
def test_command__very_long_text_without_known_words__fails_with_one_line(decai, contributor, remembered, command):
    # 1 MB of text: read and encoded off chain, refused before any call.
    _, path, saved = remembered
    nonce = contributor.nonce
    extra = ["-l", "fresh", "--account", "TEST::1"] if command == "add-data" else []

    message = decai.fails(command, "zzyzx " * 175_000, *extra)

    assert message.startswith("none of the words of this text is in the model's vocabulary")
    assert contributor.nonce == nonce
    assert path.read_bytes() == saved


# --- Malformed options (click usage errors) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--vocab-size", "lots"], id="vocab-size-not-numeric"),
        pytest.param(["--vocab-size", "0"], id="vocab-size-zero"),
        pytest.param(["--epochs", "1.5"], id="epochs-fractional"),
        pytest.param(["--learning-rate", str(2**15)], id="learning-rate-too-large"),
        pytest.param(["--test-fraction", "half"], id="test-fraction-not-numeric"),
        pytest.param(["--seed", "x"], id="seed-not-numeric"),
    ],
)
def test_train__malformed_option__is_a_usage_error_and_writes_nothing(decai, reviews_csv, tmp_path, options):
    output = tmp_path / "model.json"

    usage_error(decai, decai.run("train", reviews_csv, "-o", output, *options))

    assert not output.exists()


def test_train__missing_dataset_file__is_a_usage_error_and_writes_nothing(decai, tmp_path):
    output = tmp_path / "model.json"

    message = usage_error(decai, decai.run("train", tmp_path / "nope.csv", "-o", output))

    assert "does not exist" in message
    assert not output.exists()


def test_deploy__missing_model_file__is_a_usage_error_and_sends_nothing(decai, creator, tmp_path, state_dir):
    nonce = creator.nonce

    message = usage_error(decai, decai.run("deploy", tmp_path / "nope.model.json", account=creator))

    assert "does not exist" in message
    assert creator.nonce == nonce
    assert not state_dir.exists()


def test_time_travel__unknown_network__is_a_usage_error_and_mines_nothing(decai, chain):
    height = chain.blocks.height

    message = usage_error(decai, decai.run("time-travel", "1d", "--network", "ethereum:nonexistent"))

    assert "nonexistent" in message
    assert chain.blocks.height == height


def test_time_travel__negative_duration__is_a_usage_error_and_mines_nothing(decai, chain):
    # "-1d" reads as an option to click; after "--" it reaches the duration parser.
    height = chain.blocks.height

    assert "No such option: -1" in usage_error(decai, decai.run("time-travel", "-1d"))
    assert "cannot be negative" in decai.usage_error("time-travel", "--network", NETWORK, "--", "-1d")
    assert chain.blocks.height == height


@pytest.mark.parametrize(
    "duration, expected",
    [
        pytest.param("1e80", "too large", id="too-large"),
        pytest.param("", "not a duration", id="empty"),
        pytest.param("nan", "not a duration", id="nan"),
    ],
)
def test_time_travel__bad_duration__is_a_usage_error_and_mines_nothing(decai, chain, duration, expected):
    height, timestamp = chain.blocks.height, chain.blocks.head.timestamp

    message = decai.usage_error("time-travel", duration, "--network", NETWORK)

    assert expected in message
    assert (chain.blocks.height, chain.blocks.head.timestamp) == (height, timestamp)
