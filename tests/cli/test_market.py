"""`ape decai market ...`, `reveal`, `claim` and `add-data` on a market trainer: one market's
whole life through the CLI (the walk-through of docs/market.md), and the secrets file's safety."""

import csv
import re

import pytest

from ape_decai import deploy

NET = ["--network", "ethereum:local:foundry"]
DAY = 24 * 3600


@pytest.fixture
def market_trainer_cli(review_model, creator, chain):
    return deploy(review_model, "market", sender=creator).trainer


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

    # one market at a time: refused before anything is saved (the secrets file is left as it was)
    kept = secrets.read_text()
    again = decai.fails("market", "open", "--test-set", test_set_csv, "--parts", 6, "--reveal", 2, "--bounty", "0.05 ether",
                        "--stake", "0.01 ether", "--secrets", secrets, *NET, account=provider, trainer=trainer)
    assert again.startswith("market 1 is still running (phase 'committed')") and secrets.read_text() == kept

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


def test_market_open__secrets_file_exists__is_never_overwritten_and_nothing_is_sent(decai, market_trainer_cli, provider,
                                                                                    test_set_csv, tmp_path):
    secrets = tmp_path / "secrets.json"
    secrets.write_text("keep me")
    nonce, balance = provider.nonce, provider.balance

    message = decai.fails("market", "open", "--test-set", test_set_csv, "--parts", 6, "--reveal", 2, "--bounty",
                          "0.05 ether", "--stake", "0.01 ether", "--secrets", secrets, *NET, account=provider,
                          trainer=market_trainer_cli)

    assert "exists" in message and secrets.read_text() == "keep me"
    assert (provider.nonce, provider.balance) == (nonce, balance)


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


# --- read-only status, abort, refusals with the reason (nothing sent) -----------------------------------

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
OPEN = ["--parts", 6, "--reveal", 2, "--bounty", "0.05 ether", "--stake", "0.01 ether", "--max-contributions", 2]


def _open(decai, trainer, provider, test_set_csv, tmp_path):
    secrets = tmp_path / "secrets.json"
    decai.json("market", "open", "--test-set", test_set_csv, *OPEN, "--secrets", secrets, *NET, account=provider,
               trainer=trainer)
    return secrets


def test_market_status__never_asks_for_an_account(decai, market_trainer_cli, provider, test_set_csv, tmp_path):
    _open(decai, market_trainer_cli, provider, test_set_csv, tmp_path)

    result = decai.run("market", "status", *NET, trainer=market_trainer_cli)  # no --account; stdin is empty: a prompt would fail
    assert result.exit_code == 0, decai.describe(result)
    assert re.search(rf"reveal deadline: {ISO} \(in (1d 23h|2d)\)", result.stdout), result.stdout
    assert "next: draw: `ape decai market draw` (anyone)" in result.stdout
    assert "Select an account" not in result.stdout + result.stderr

    data = decai.json("market", "status", *NET, trainer=market_trainer_cli)
    assert data["phase"] == "committed" and data["next_command"] == "ape decai market draw"
    assert re.fullmatch(ISO, data["deadline_iso"]) and data["deadline"] == data["reveal_deadline"]
    assert data["participation_ends_at"] == 0 and data["participation_ends_at_iso"] is None
    assert not data["abortable"] and not data["deadline_passed"] and data["deadline_kind"] == "reveal"


def test_market_status__mine_without_an_account__is_a_usage_error(decai, market_trainer_cli):
    result = decai.run("market", "status", "--mine", *NET, trainer=market_trainer_cli)  # stdin is empty: a prompt would fail
    assert result.exit_code == 2 and "--mine needs --account" in result.stderr, decai.describe(result)


def test_market_abort__before_and_after_the_deadline(decai, chain, market_trainer_cli, provider, contributor,
                                                      test_set_csv, tmp_path, texts):
    trainer = market_trainer_cli
    secrets = _open(decai, trainer, provider, test_set_csv, tmp_path)
    decai.json("reveal", "--secrets", secrets, *NET, account=provider, trainer=trainer)
    decai.json("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)
    nonce, balance = contributor.nonce, contributor.balance

    message = decai.fails("market", "abort", *NET, account=contributor, trainer=trainer)
    assert message.startswith("market 1 cannot be aborted in phase 'participation': participation open until ")
    assert (contributor.nonce, contributor.balance) == (nonce, balance)

    chain.mine(deltatime=7 * DAY)
    decai.json("market", "end", *NET, account=contributor, trainer=trainer)
    nonce, balance = contributor.nonce, contributor.balance
    message = decai.fails("market", "abort", *NET, account=contributor, trainer=trainer)
    assert re.fullmatch(rf"market 1 cannot be aborted yet \(phase 'ended'\): the reveal deadline is {ISO} \(in 2d\); "
                        r"abort is possible after it if the provider misses it", message), message
    message = decai.fails("market", "settle", *NET, account=contributor, trainer=trainer)
    assert message.startswith("cannot settle market 1 in phase 'ended' yet; next: the provider reveals the rest of the "
                              "test set with `ape decai reveal` before ")
    assert (contributor.nonce, contributor.balance) == (nonce, balance)

    chain.mine(deltatime=2 * DAY + 1)  # the provider missed the reveal deadline
    status = decai.json("market", "status", *NET, trainer=trainer)
    assert status["abortable"] and status["next_command"] == "ape decai market abort"
    message = decai.fails("market", "settle", *NET, account=contributor, trainer=trainer)
    assert re.fullmatch(rf"cannot settle market 1: the reveal deadline passed on {ISO} \(\d+s ago\) before the test set "
                        r"was revealed: run `ape decai market abort`, then `ape decai claim` returns each participant's "
                        r"stake", message), message
    message = decai.fails("claim", *NET, account=contributor, trainer=trainer)
    assert re.fullmatch(rf"market 1 is not settled: the reveal deadline passed on {ISO} \(\d+s ago\): run "
                        r"`ape decai market abort`, then `ape decai claim` returns your stake", message), message
    message = decai.fails("reveal", "--secrets", secrets, *NET, account=provider, trainer=trainer)
    assert message.endswith("the market can only be aborted now (`ape decai market abort`)")
    assert (contributor.nonce, contributor.balance) == (nonce, balance)

    aborted = decai.json("market", "abort", *NET, account=contributor, trainer=trainer)
    assert aborted["phase"] == "aborted" and aborted["stakes_returnable"] == 10**16
    assert "already aborted" in decai.fails("market", "abort", *NET, account=contributor, trainer=trainer)
    assert decai.json("claim", *NET, account=contributor, trainer=trainer)["total"] == 10**16


def test_market_draw__twice__says_already_drawn_and_sends_nothing(decai, market_trainer_cli, provider, contributor,
                                                                   test_set_csv, tmp_path):
    _open(decai, market_trainer_cli, provider, test_set_csv, tmp_path)
    drawn = decai.json("market", "draw", *NET, account=contributor, trainer=market_trainer_cli)["drawn_parts"]
    nonce, balance = contributor.nonce, contributor.balance

    message = decai.fails("market", "draw", *NET, account=contributor, trainer=market_trainer_cli)

    assert message.startswith(f"market 1 is already drawn (parts {drawn}, phase 'drawn'); next: the provider reveals")
    assert (contributor.nonce, contributor.balance) == (nonce, balance)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--parts", 300], "300 parts: the contract takes 1 to 256 (MAX_PARTS)"),
        (["--parts", 6, "--reveal", 7], "7 parts to reveal early: at most the number of parts (6)"),
        (["--max-contributions", 200], "200 contributions at most: the contract takes 1 to 128 (MAX_PARTICIPANTS)"),
        (["--bounty", "0.015 ether"], "the bounty (15000000000000000 wei) must be a positive multiple of the stake "
                                      "(10000000000000000 wei): it pays bounty / stake rounds"),
    ],
    ids=["parts", "reveal", "contributions", "bounty"],
)
def test_market_open__beyond_the_contract_caps__fails_before_saving_or_sending(decai, market_trainer_cli, provider,
                                                                               test_set_csv, tmp_path, args, message):
    secrets = tmp_path / "secrets.json"
    nonce, balance = provider.nonce, provider.balance
    base = {"--parts": 6, "--reveal": 2, "--bounty": "0.05 ether", "--stake": "0.01 ether"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))

    got = decai.fails("market", "open", "--test-set", test_set_csv, *[x for kv in base.items() for x in kv],
                      "--secrets", secrets, *NET, account=provider, trainer=market_trainer_cli)

    assert got == message
    assert not secrets.exists() and (provider.nonce, provider.balance) == (nonce, balance)


@pytest.mark.parametrize("command", [["refund"], ["report"], ["report", "--all"]])
def test_deposit_commands__on_a_market_trainer__fail_with_one_line_and_send_nothing(decai, market_trainer_cli,
                                                                                   contributor, command):
    nonce = contributor.nonce
    message = decai.fails(*command, account=contributor, trainer=market_trainer_cli)
    assert message.startswith("this is a market trainer: it keeps no deposits to ")
    assert contributor.nonce == nonce
