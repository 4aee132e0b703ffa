"""`ape decai export` and `ape decai history`: the ledger from events alone, against the records
the contract holds and the balances the chain moved.

Contributions, refunds and takes go through the Python API, so that only the commands under test
go through the CLI.
"""

import csv
import json

import pytest

from ape_decai import deploy

from .conftest import DAY

EXPORT_KEYS = {
    "contributor", "label", "label_index", "added_at", "block", "transaction", "deposit", "fate", "refunded", "taken",
    "claimed", "claimable", "taken_by", "features", "words",
}


@pytest.fixture
def settled(reviews_trainer, chain, creator, contributor, other_contributor, reporter, texts):
    """Good data of `contributor` and `reporter` (refunded), bad data of `other_contributor` (a
    fresh review labelled rotten: half taken by `reporter`, then the rest claimed by the creator after tc),
    and one contribution left open. Returns (trainer, texts added in order, fees paid per address,
    balances before)."""
    trainer = reviews_trainer
    people = [creator, contributor, other_contributor, reporter]
    before = {a.address: a.balance for a in people}
    fees = dict.fromkeys(before, 0)

    def paid(account, receipt):
        fees[account.address] += int(receipt.total_fees_paid)

    added = [
        (texts.firm["fresh"][0], "fresh", contributor),
        (texts.firm["fresh"][1], "fresh", reporter),
        (texts.firm["fresh"][2], "rotten", other_contributor),
    ]
    for text, label, who in added:
        paid(who, trainer.add_data(text, label, who))
        chain.mine(deltatime=60)
    chain.mine(deltatime=DAY)
    for who in (contributor, reporter):
        for action in trainer.refund_all(who).actions:
            paid(who, action.receipt)
    for action in trainer.report_all(reporter).actions:  # half of it: one of the two good contributions
        paid(reporter, action.receipt)
    chain.mine(deltatime=30 * DAY)
    for action in trainer.report_all(creator).actions:
        paid(creator, action.receipt)
    paid(contributor, trainer.add_data(texts.firm["rotten"][0], "rotten", contributor))  # still open
    added.append((texts.firm["rotten"][0], "rotten", contributor))
    return trainer, added, fees, before


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_export__csv_and_jsonl__equal_the_records(decai, settled, tmp_path, record_key, unpack_record):
    trainer, added, _, _ = settled
    out = decai.json("export", "-o", tmp_path / "data.csv", trainer=trainer)
    assert out["rows"] == 4 and out["format"] == "csv" and out["network"] == "ethereum:local:foundry"
    assert out["fates"] == {"refunded": 2, "taken and claimed": 1, "open": 1}
    decai.ok("export", "-o", tmp_path / "data.jsonl", trainer=trainer)
    rows = [json.loads(line) for line in (tmp_path / "data.jsonl").read_text().splitlines()]
    assert [{k: str(v) if not isinstance(v, list) else json.dumps(v) for k, v in r.items()} for r in rows] == read_csv(tmp_path / "data.csv")

    contributions = trainer.contributions()
    assert len(rows) == len(contributions) == 4
    for row, c, (text, label, who) in zip(rows, contributions, added, strict=True):
        assert set(row) == EXPORT_KEYS
        assert (row["contributor"], row["label"], row["added_at"], row["deposit"], row["transaction"]) == (
            who.address, label, c.added_at, c.deposit, c.transaction_hash,
        )
        assert row["features"] == sorted(trainer.encoder.encode(text))
        assert row["words"].split() == [trainer.encoder.vocabulary[i] for i in row["features"]]
        record = unpack_record(int(trainer.contract.records(record_key(c.data_words, c.label, c.added_at, c.contributor))))
        assert row["claimable"] == record.claimable == c.record.claimable
        assert (row["fate"] == "refunded") == record.refunded
        assert row["deposit"] == record.deposit
    bad = rows[2]
    takers = {t["taker"]: t for t in bad["taken_by"]}
    assert set(takers) == {added[1][2].address, trainer.owner}
    assert takers[trainer.owner]["claim"] is True and bad["claimed"] == takers[trainer.owner]["amount"]
    assert bad["taken"] + bad["claimed"] == bad["deposit"] and bad["claimable"] == 0
    assert rows[3]["fate"] == "open" and rows[3]["claimable"] == rows[3]["deposit"] > 0


def test_history__net_equals_balance_changes(decai, settled):
    trainer, _, fees, before = settled
    out = decai.json("history", trainer=trainer)
    assert out["contributions"] == 4
    accounts = {r["account"]: r for r in out["accounts"]}
    assert set(accounts) == set(before)
    for address, row in accounts.items():
        balance = trainer.provider.get_balance(address)
        assert row["net"] == balance - before[address] + fees[address]
    assert [r["rank"] for r in out["accounts"]] == [1, 2, 3, 4]
    assert [r["net"] for r in out["accounts"]] == sorted((r["net"] for r in out["accounts"]), reverse=True)
    table = decai.ok("history", "--top", "2", trainer=trainer).stdout
    assert out["accounts"][0]["account"] in table and out["accounts"][3]["account"] not in table


def test_export__existing_file__refused_and_untouched(decai, settled, tmp_path):
    trainer = settled[0]
    path = tmp_path / "data.csv"
    path.write_text("mine")
    message = decai.fails("export", "-o", path, trainer=trainer)
    assert "exists" in message and "--overwrite" in message
    assert path.read_text() == "mine"
    decai.ok("export", "-o", path, "--overwrite", trainer=trainer)
    assert len(read_csv(path)) == 4


def test_export__unknown_extension__refused(decai, reviews_trainer, tmp_path):
    message = decai.fails("export", "-o", tmp_path / "data.xlsx", trainer=reviews_trainer)
    assert "cannot tell the format" in message
    assert not (tmp_path / "data.xlsx").exists()


def test_export__market_trainer__refused(decai, tmp_path, review_model, creator):
    market = deploy(review_model, "market", sender=creator).trainer
    message = decai.fails("export", "-o", tmp_path / "data.csv", trainer=market)
    assert "market trainer" in message
    assert not (tmp_path / "data.csv").exists()


def test_history__points_trainer__shows_each_accounts_badges(decai, reviews_points_trainer, contributor, texts, monkeypatch):
    trainer = reviews_points_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)
    trainer.add_data(texts.firm["rotten"][0], "rotten", contributor)

    out = decai.json("history", trainer=trainer)

    assert [r["badges"] for r in out["accounts"]] == [["1 contribution", "every side (2 labels)"]]
    monkeypatch.setenv("COLUMNS", "200")  # one line per row: the table's own width, not a terminal's
    table = decai.ok("history", trainer=trainer).stdout
    assert "refunds" not in table and "net" not in table  # points: no money columns
    assert table.count(contributor.address) == 1
    assert "1 contribution, every side (2 labels)" in " ".join(table.split())
