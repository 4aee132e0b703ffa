"""`ape decai trainers` and `ape decai use`: several trainers remembered per network, one current;
`deploy` adds to them; every command on a trainer takes `--trainer`."""

import json

import click

from ape_decai._cli import cli as decai_cli
from ape_decai._cli._common import ChainCommand
from ape_decai.state import network_key

from .conftest import NETWORK

# Chain commands that take no trainer: they make one, choose one, list them, or only move time.
NO_TRAINER = {"deploy", "time-travel", "trainers", "use"}


def saved(state_dir) -> dict:
    return json.loads((state_dir / "trainers.json").read_text())


def test_deploy__a_second_trainer__becomes_current_and_says_how_to_switch_back(decai, creator, model_file, state_dir):
    first = decai.json("deploy", model_file, account=creator)

    result = decai.ok("deploy", model_file, "--mechanism", "points", account=creator)

    second = result.stdout.splitlines()[0].split(" at ")[-1]
    assert result.stdout.splitlines()[-1] == (
        f"the previous one is still remembered: `ape decai use {first['address']}` switches back "
        "(`ape decai trainers` lists them)"
    )
    listed = decai.json("trainers", "--network", NETWORK)
    assert [(t["address"], t["mechanism"], t["current"]) for t in listed["trainers"]] == [
        (first["address"], "deposit", False),
        (second, "points", True),
    ]
    assert listed["current"] == second
    assert decai.json("info")["address"] == second
    # The file keeps its format: one list of {address, block, block_hash} per network.
    assert [[e["address"] for e in entries] for entries in saved(state_dir).values()] == [[first["address"], second]]


def test_use__makes_an_earlier_trainer_current(decai, creator, model_file, state_dir):
    first = decai.json("deploy", model_file, account=creator)
    second = decai.json("deploy", model_file, "--mechanism", "points", account=creator)

    chosen = decai.json("use", first["address"], "--network", NETWORK)

    assert (chosen["address"], chosen["current"], chosen["mechanism"], chosen["name"]) == (first["address"], True, "deposit", "reviews")
    assert decai.json("info")["address"] == first["address"]
    listed = decai.json("trainers", "--network", NETWORK)["trainers"]
    assert [(t["address"], t["current"]) for t in listed] == [(second["address"], False), (first["address"], True)]
    # --trainer still picks any trainer for one command, without changing the current one.
    assert decai.json("info", trainer=second["address"])["address"] == second["address"]
    assert decai.json("info")["address"] == first["address"]


def test_use__a_trainer_deployed_elsewhere__is_remembered_and_current(decai, reviews_points_trainer, state_dir):
    result = decai.ok("use", reviews_points_trainer.address, "--network", NETWORK)

    assert result.stdout == (
        f"now using 'reviews' (sparse-perceptron, points) at {reviews_points_trainer.address} as this network's trainer\n"
    )
    assert f"network: {NETWORK}" in result.stderr
    (entry,) = saved(state_dir)[network_key()]
    assert entry["address"] == reviews_points_trainer.address
    assert entry["block"] == reviews_points_trainer.deployment["block"]
    assert decai.json("predict", "a fine film")["sealed"] is True


def test_use__an_address_without_a_trainer__is_refused_and_changes_nothing(decai, creator, model_file, stranger, state_dir):
    deployed = decai.json("deploy", model_file, account=creator)
    before = (state_dir / "trainers.json").read_text()

    message = decai.fails("use", stranger.address, "--network", NETWORK)

    assert message == f"no contract at {stranger.address} on this network: no trainer to use"
    assert (state_dir / "trainers.json").read_text() == before
    assert decai.json("trainers", "--network", NETWORK)["current"] == deployed["address"]


def test_use__a_malformed_address__is_a_usage_error(decai, state_dir):
    message = decai.usage_error("use", "0x1234", "--network", NETWORK)

    assert "not an address: '0x1234'" in message
    assert not state_dir.exists()


def test_trainers__none_remembered(decai, state_dir):
    result = decai.ok("trainers", "--network", NETWORK)

    assert result.stdout == (
        "no trainer remembered on this network: run `ape decai deploy MODEL_FILE` or `ape decai use ADDRESS`\n"
    )
    assert decai.json("trainers", "--network", NETWORK)["trainers"] == []


def test_trainers__table_marks_the_current_one(decai, chain, creator, model_file):
    first = decai.json("deploy", model_file, account=creator)
    first_block = chain.blocks.head.number
    second = decai.json("deploy", model_file, account=creator)

    lines = decai.ok("trainers", "--network", NETWORK).stdout.splitlines()

    (row_first,) = [x for x in lines if first["address"] in x]
    (row_second,) = [x for x in lines[:-1] if second["address"] in x]
    assert lines[0].split() == ["address", "mechanism", "block", "model", "name"]
    assert row_first.split() == [first["address"], "deposit", str(first_block), "sparse-perceptron", "'reviews'"]
    assert row_second.split() == ["*", second["address"], "deposit", str(first_block + 1), "sparse-perceptron", "'reviews'"]
    assert row_first.index(first["address"]) == row_second.index(second["address"]) == lines[0].index("address")
    assert lines[-1] == f"current (*): {second['address']}; choose another with `ape decai use ADDRESS`, or pass --trainer ADDRESS"


def test_state_file__older_formats_still_read(decai, reviews_trainer, reviews_points_trainer, state_dir):
    # The oldest files held a bare address per network; later ones entries without a block.
    state_dir.mkdir()
    (state_dir / "trainers.json").write_text(json.dumps({network_key(): reviews_trainer.address}))
    assert decai.json("info")["address"] == reviews_trainer.address
    (state_dir / "trainers.json").write_text(
        json.dumps({network_key(): [{"address": reviews_trainer.address}, {"address": reviews_points_trainer.address}]})
    )

    listed = decai.json("trainers", "--network", NETWORK)["trainers"]

    assert [(t["address"], t["block"], t["current"]) for t in listed] == [
        (reviews_trainer.address, reviews_trainer.deployment["block"], False),
        (reviews_points_trainer.address, reviews_points_trainer.deployment["block"], True),
    ]
    decai.ok("use", reviews_trainer.address, "--network", NETWORK)
    assert decai.json("info")["address"] == reviews_trainer.address


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_on_a_trainer__takes_the_trainer_option():
    on_chain = {name: command for name, command in _commands(decai_cli) if isinstance(command, ChainCommand)}
    assert {"add-data", "predict", "info", "refund", "report", "market status", "claim"} <= set(on_chain)

    missing = [
        name
        for name, command in on_chain.items()
        if name not in NO_TRAINER and not any("--trainer" in p.opts for p in command.params)
    ]

    assert missing == []


def test_trainers_and_use__corrupted_state_file__fail_with_one_line_and_keep_the_file(decai, reviews_trainer, state_dir):
    path = state_dir / "trainers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{not json")

    listed = decai.fails("trainers", "--network", NETWORK)
    used = decai.fails("use", reviews_trainer.address, "--network", NETWORK)

    for message in (listed, used):
        assert message == f"the state file {path} is corrupted (not a JSON object): fix it, or delete it to forget the remembered trainers"
    assert path.read_bytes() == b"{not json"
    assert sorted(p.name for p in state_dir.iterdir()) == ["trainers.json"]
