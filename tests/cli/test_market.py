"""`ape decai market ...`, `reveal`, `claim` and `add-data` on a market trainer: one market's
whole life through the CLI (the README's walk-through), and the secrets file's safety."""

import csv

import pytest

from ape_decai.client import PointsParameters, deploy_trainer

NET = ["--network", "ethereum:local:foundry"]


@pytest.fixture
def market_trainer_cli(review_model, creator, chain):
    del chain.contracts[creator.get_deployment_address()]
    return deploy_trainer(review_model, "market", PointsParameters(), sender=creator)


@pytest.fixture
def test_set_csv(tmp_path, reviews_csv):
    with open(reviews_csv, newline="") as f:
        rows = list(csv.DictReader(f))[:60]
    path = tmp_path / "test-set.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        for r in rows:
            w.writerow({"text": r["text"], "label": r["label"]})
    return path


def test_market__whole_life_through_the_cli(decai, chain, market_trainer_cli, provider, contributor, other_contributor,
                                            test_set_csv, texts, tmp_path):
    trainer = market_trainer_cli
    secrets = tmp_path / "secrets.json"
    opened = decai.json("market", "open", "--test-set", test_set_csv, "--parts", 6, "--reveal", 2, "--bounty", "0.05 ether",
                        "--stake", "0.01 ether", "--max-contributions", 2, "--secrets", secrets, *NET,
                        account=provider, trainer=trainer)
    assert opened["market_id"] == 1 and secrets.exists() and opened["secrets_file"] == str(secrets)
    assert decai.json("market", "status", *NET, account=provider, trainer=trainer)["phase"] == "committed"

    # the secrets file is never overwritten
    again = decai.fails("market", "open", "--test-set", test_set_csv, "--parts", 6, "--reveal", 2, "--bounty", "0.05 ether",
                        "--stake", "0.01 ether", "--secrets", secrets, *NET, account=provider, trainer=trainer)
    assert "exists" in again

    revealed = decai.json("reveal", "--secrets", secrets, *NET, account=provider, trainer=trainer)
    assert revealed["phase"] == "participation" and len(revealed["transactions"]) == 2  # draw + reveal

    first = decai.json("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)
    second = decai.json("add-data", texts.flippable["fresh"][0], "-l", "rotten", account=other_contributor, trainer=trainer)
    assert first["deposit"] == second["deposit"] == 10**16  # one stake each, automatically

    assert decai.json("market", "end", *NET, account=contributor, trainer=trainer)["phase"] == "ended"
    assert decai.json("reveal", "--secrets", secrets, "--per-tx", 2, *NET, account=provider, trainer=trainer)["phase"] == "revealed"
    settled = decai.json("market", "settle", "--per-tx", 1, *NET, account=contributor, trainer=trainer)
    assert settled["phase"] == "settled" and len(settled["transactions"]) == 3  # evaluate + 2 payouts

    status = decai.json("market", "status", *NET, account=contributor, trainer=trainer)
    amounts = {row["participant"].lower(): row["amount"] for row in status["participants"]}
    claimed = decai.json("claim", *NET, account=contributor, trainer=trainer)
    assert claimed["total"] == amounts[contributor.address.lower()]
    assert "nothing to claim" in decai.fails("claim", *NET, account=contributor, trainer=trainer)
    status = decai.json("market", "status", *NET, account=contributor, trainer=trainer)
    assert status["paid"] == claimed["total"]
    assert status["balance"] == 5 * 10**16 + 2 * 10**16 - claimed["total"]


def test_market_commands__on_a_deposit_trainer__fail_with_one_line(decai, reviews_trainer, provider):
    message = decai.fails("market", "status", *NET, account=provider, trainer=reviews_trainer)
    assert "not a market trainer" in message


def test_info__on_a_market_trainer__points_to_market_status(decai, market_trainer_cli, provider):
    message = decai.fails("info", account=provider, trainer=market_trainer_cli)
    assert message == "this is a market trainer: see `ape decai market status`"


@pytest.mark.parametrize(
    "content",
    ["not json at all", '{"salts": []}', '{"salts": [1, 2], "parts": "x"}', ""],
    ids=["not-json", "no-parts", "wrong-types", "empty"],
)
def test_reveal__corrupted_secrets_file__fails_with_one_line_and_sends_nothing(
    decai, market_trainer_cli, provider, test_set_csv, tmp_path, content
):
    secrets = tmp_path / "secrets.json"
    decai.json("market", "open", "--test-set", test_set_csv, "--parts", 6, "--reveal", 2, "--bounty", "0.05 ether",
               "--stake", "0.01 ether", "--max-contributions", 2, "--secrets", secrets, *NET,
               account=provider, trainer=market_trainer_cli)  # fmt: skip
    secrets.write_text(content)
    nonce = provider.nonce

    message = decai.fails("reveal", "--secrets", secrets, *NET, account=provider, trainer=market_trainer_cli)

    assert "is not a secrets file written by `ape decai market open`" in message
    assert provider.nonce == nonce
    assert secrets.read_text() == content  # left as it was


def test_reveal__missing_secrets_file__is_a_usage_error(decai, market_trainer_cli, provider, tmp_path):
    nonce = provider.nonce

    result = decai.run("reveal", "--secrets", tmp_path / "nowhere.json", *NET, account=provider, trainer=market_trainer_cli)

    assert result.exit_code == 2, decai.describe(result)  # click's usage error, before connecting
    assert "nowhere.json' does not exist" in result.stderr
    assert provider.nonce == nonce
