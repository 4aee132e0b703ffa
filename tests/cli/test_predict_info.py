"""`ape decai predict` and `ape decai info`: read-only commands."""

import pytest
from eth_utils import to_checksum_address

from ape_decai.packing import pack_indices
from ape_decai.training import encoder_from_model_file

from .conftest import CLASSES, DAY, NETWORK

INFO_KEYS = {
    "address", "mechanism", "name", "description", "classes", "encoder", "vocabulary_size", "n_features",
    "learning_rate", "intercept", "owner", "balance", "parameters", "total_good_data", "contributions", "model", "sealed", "network",
}  # fmt: skip
DEPOSIT_PARAMETERS = {"refund_wait", "creator_wait", "anyone_wait", "cost_weight", "min_deposit", "min_share", "doubt_wait"}


@pytest.fixture(scope="module")
def words_of(review_model):
    """Text -> the packed feature words, with the model file's encoder (not the chain's)."""
    encoder = encoder_from_model_file(review_model)
    return lambda text: pack_indices(encoder.encode(text))


def table_rows(output: str) -> dict[str, str]:
    """The two-column rich table of `info` as {first column: second column}."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 4:
            rows[cells[1]] = cells[2]
    return rows


# --- predict ---------------------------------------------------------------------------------------------
def test_predict__prints_the_contracts_label__without_a_transaction(decai, chain, reviews_trainer, creator, texts, words_of):
    samples = [(t, label) for label in CLASSES for t in texts.firm[label][:2] + texts.flippable[label][:2]]
    head, nonce = chain.blocks.head.number, creator.nonce

    for text, expected in samples:
        result = decai.ok("predict", text, trainer=reviews_trainer)

        assert result.stdout == f"{CLASSES[reviews_trainer.contract.predict(words_of(text))]}\n"
        assert result.stdout == f"{expected}\n"
    assert chain.blocks.head.number == head
    assert creator.nonce == nonce


def test_predict__follows_the_model_on_chain(decai, reviews_trainer, contributor, texts):
    text = texts.flippable["rotten"][0]
    assert decai.ok("predict", text, trainer=reviews_trainer).stdout == "rotten\n"

    reviews_trainer.add_data(text, "fresh", contributor)

    assert decai.ok("predict", text, trainer=reviews_trainer).stdout == "fresh\n"


def test_predict__json(decai, reviews_points_trainer, texts, words_of):
    text = texts.firm["rotten"][0]

    out = decai.json("predict", text, trainer=reviews_points_trainer)

    assert out == {"label": "rotten", "label_index": 1, "sealed": True, "network": NETWORK}
    assert reviews_points_trainer.contract.predict(words_of(text)) == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("", "the text is empty", id="empty"),
        pytest.param("UNKNOWN", "none of the words of this text is in the model's vocabulary", id="no-vocabulary-word"),
    ],
)
def test_predict__text_the_model_cannot_read__fails(decai, reviews_trainer, texts, text, expected):
    text = texts.unknown if text == "UNKNOWN" else text

    assert decai.fails("predict", text, trainer=reviews_trainer).startswith(expected)


NOT_A_TRAINER = to_checksum_address("0x" + "de" * 20)


def test_predict__contract_that_is_not_a_trainer__fails(decai, chain, texts):
    chain.provider.set_code(NOT_A_TRAINER, bytes.fromhex("5f5ffd"))  # reverts on every call

    message = decai.fails("predict", texts.firm["fresh"][0], trainer=NOT_A_TRAINER)

    assert message == f"{NOT_A_TRAINER} is not an ape-decai trainer"


def test_predict__contract_accepting_any_call__is_not_taken_for_a_trainer(decai, chain, texts):
    chain.provider.set_code(NOT_A_TRAINER, bytes.fromhex("00"))  # STOP: every call succeeds, empty

    message = decai.fails("predict", texts.firm["fresh"][0], trainer=NOT_A_TRAINER)

    assert message == f"{NOT_A_TRAINER} is not an ape-decai trainer"


# --- info ------------------------------------------------------------------------------------------------
def test_info__table_shows_mechanism_parameters_and_next_deposit(decai, reviews_trainer, contributor, texts):
    trainer = reviews_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)

    result = decai.ok("info", account=contributor, trainer=trainer)

    next_deposit = trainer.contract.next_deposit()
    assert next_deposit > trainer.contract.min_deposit()
    assert result.stdout.splitlines()[0].strip() == f"reviews ({trainer.address})"
    rows = table_rows(result.stdout)
    assert rows["mechanism"] == "deposit"
    assert (rows["model"], rows["classes"]) == ("sparse-perceptron, 200 features", "fresh, rotten")
    assert (rows["refund wait"], rows["creator wait"], rows["anyone wait"]) == ("1d", "30d", "60d")
    assert rows["next deposit"] == f"{next_deposit / 10**18:.6f} ETH"
    assert rows["contributions"] == "1"
    assert rows["contract balance"] == f"{trainer.contract.balance / 10**18:.6f} ETH"
    assert rows["you"] == contributor.address
    assert rows["deposits outstanding"] == f"{trainer.contract.balance / 10**18:.6f} ETH"


def test_info__json_has_the_documented_keys(decai, chain, reviews_trainer, creator, contributor, texts):
    trainer = reviews_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)
    receipt = trainer.add_data(texts.firm["rotten"][0], "rotten", contributor)
    chain.mine(deltatime=DAY + 1)
    trainer.refund(trainer.contribution_from_transaction(receipt.txn_hash), contributor)

    out = decai.json("info", account=contributor, trainer=trainer)

    assert set(out) == INFO_KEYS | {"next_deposit", "claimable_total", "account"}
    assert (out["address"], out["mechanism"], out["classes"]) == (trainer.address, "deposit", CLASSES)
    assert (out["name"], out["n_features"], out["vocabulary_size"], out["owner"]) == ("reviews", 200, 200, creator.address)
    assert set(out["parameters"]) == DEPOSIT_PARAMETERS
    assert out["parameters"]["refund_wait"] == trainer.contract.refund_wait() == DAY
    assert out["next_deposit"] == trainer.contract.next_deposit()
    assert out["contributions"] == 2
    assert out["total_good_data"] == 1
    assert out["balance"] == out["claimable_total"] == trainer.contract.balance > 0
    assert out["account"] == {
        "address": contributor.address,
        "contributions": 2,
        "good_data": 1,
        "balance": contributor.balance,
        "deposits_outstanding": trainer.contract.balance,
    }


def test_info__points_json_shows_the_players_progress(decai, reviews_points_trainer, contributor, texts):
    trainer = reviews_points_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)

    out = decai.json("info", account=contributor, trainer=trainer)

    assert set(out) == INFO_KEYS | {"account"}
    assert out["mechanism"] == "points"
    assert out["parameters"] == {"validation_wait": DAY}
    assert out["account"]["labels_contributed"] == ["fresh"]
    assert out["account"]["active_weeks"] == 1
    assert out["account"]["good_data"] == 0
    assert out["account"]["badges"] == ["1 contribution"] == trainer.badges(contributor.address)
    rows = table_rows(decai.ok("info", account=contributor, trainer=trainer).stdout)
    assert rows["mechanism"] == "points"
    assert "next deposit" not in rows
    assert rows["labels contributed"] == "fresh"
    assert rows["badges"] == "1 contribution"


def test_info__without_an_account_shows_no_account_section(decai, reviews_trainer):
    out = decai.json("info", trainer=reviews_trainer)

    assert "account" not in out
    assert "you" not in table_rows(decai.ok("info", trainer=reviews_trainer).stdout)


def test_info__without_a_trainer__fails(decai, reviews_trainer):
    assert decai.fails("info").startswith("no trainer on this network")


def test_chain_commands__name_the_network_they_used(decai, reviews_trainer, texts):
    result = decai.ok("predict", texts.firm["rotten"][0], trainer=reviews_trainer)

    assert result.stdout == "rotten\n"  # stdout stays the command's own output
    assert result.stderr.splitlines()[-1] == f"network: {NETWORK}"
    assert decai.json("info", trainer=reviews_trainer)["network"] == NETWORK
