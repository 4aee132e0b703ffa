"""A points trainer holds no money (paper III-A): `add-data` and `info` speak of points and
validation, never of deposits in ETH nor of reports."""

from .conftest import DAY
from .test_predict_info import table_rows

MONEY_WORDS = ("ETH", "deposit", "report", "refunded")


def test_add_data__points__says_how_to_earn_the_point(decai, chain, reviews_points_trainer, contributor, texts):
    result = decai.ok("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=reviews_points_trainer)

    first, second, third = result.stdout.splitlines()
    receipt = chain.get_receipt(first.split(" in ")[-1])
    assert second == f"gas used: {receipt.gas_used:,}; nothing at stake: validate it after 1d (`ape decai refund`) for a point"
    assert third == "prediction: fresh -> fresh"
    assert not any(word in result.stdout for word in MONEY_WORDS), result.stdout


def test_info__points__counts_points_and_shows_no_money(decai, chain, reviews_points_trainer, contributor, texts):
    trainer = reviews_points_trainer
    receipt = trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)
    trainer.add_data(texts.firm["rotten"][0], "rotten", contributor)
    chain.mine(deltatime=DAY + 1)
    trainer.refund(trainer.contribution_from_transaction(receipt.txn_hash), contributor)

    result = decai.ok("info", account=contributor, trainer=trainer)

    rows = table_rows(result.stdout)
    assert (rows["mechanism"], rows["validation wait"], rows["contributions"]) == ("points", "1d", "2")
    assert rows["points (all validated data)"] == rows["points (validated data)"] == "1"
    assert (rows["labels contributed"], rows["active weeks"]) == ("fresh, rotten", "1")
    assert not any(word in result.stdout for word in MONEY_WORDS), result.stdout
    assert "balance" not in rows and "contract balance" not in rows


def test_info__deposit__still_shows_the_money(decai, reviews_trainer, contributor, texts):
    reviews_trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)

    rows = table_rows(decai.ok("info", account=contributor, trainer=reviews_trainer).stdout)

    assert (rows["good data (all)"], rows["good data"]) == ("0", "0")
    assert rows["contract balance"].endswith(" ETH") and rows["balance"].endswith(" ETH")
