"""`ape decai history --test-set F`: the model's accuracy over its history, each point the same
as `ape decai evaluate F --block N`, against a real trainer whose predictions contributions change.

Contributions go through the Python API, so that only the commands under test go through the CLI.
"""

import csv
import itertools

import pytest

from ape_decai.ledger import history_blocks

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_test_set(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


@pytest.fixture
def changed(reviews_trainer, chain, contributor, texts, tmp_path):
    """Four texts the model first calls fresh, each then added as rotten in its own block (each
    addition flips it), and a test set labelling them and two firmly rotten texts rotten: the
    accuracy rises from 2/6 to 6/6. Returns (trainer, test set path, blocks of the additions)."""
    trainer = reviews_trainer
    flipped = texts.flippable["fresh"][:4]
    test_set = write_test_set(tmp_path / "test.csv", [(t, "rotten") for t in flipped + texts.firm["rotten"][:2]])
    blocks = []
    for text in flipped:
        chain.mine(deltatime=60)
        receipt = trainer.add_data(text, "rotten", contributor)
        blocks.append(int(receipt.block_number))
    chain.mine(deltatime=60)
    return trainer, test_set, blocks


def test_history_blocks__evenly_chosen_plus_deploy_and_head():
    assert history_blocks(10, [12, 12, 15], 20, points=20) == [10, 12, 15, 20]
    assert history_blocks(10, list(range(11, 21)), 30, points=3) == [10, 11, 16, 20, 30]
    assert history_blocks(10, [11, 12, 13], 13, points=1) == [10, 13]
    assert history_blocks(10, [], 10) == [10]


def test_history__test_set__accuracy_equals_evaluate_at_each_block(decai, changed, tmp_path):
    trainer, test_set, blocks = changed
    out = decai.json("history", "--test-set", test_set, trainer=trainer)
    assert out["network"] == "ethereum:local:foundry" and out["samples"] == 6
    points = out["points"]
    deployed = int(trainer.deployment["block"])
    assert [p["block"] for p in points] == [deployed, *blocks, out["to_block"]]
    assert [p["contributions"] for p in points] == [0, 1, 2, 3, 4, 4]
    assert points[0]["accuracy"] == pytest.approx(2 / 6) and points[-1]["accuracy"] == 1.0
    assert all(a["timestamp"] < b["timestamp"] for a, b in itertools.pairwise(points))
    for p in points:
        evaluated = decai.json("evaluate", test_set, "--block", p["block"], trainer=trainer)
        assert (p["accuracy"], p["correct"], p["scored"]) == (evaluated["accuracy"], evaluated["correct"], evaluated["scored"])

    fewer = decai.json("history", "--test-set", test_set, "--points", 2, trainer=trainer)["points"]
    assert [p["block"] for p in fewer] == [deployed, blocks[0], blocks[-1], out["to_block"]]

    table = decai.ok("history", "--test-set", test_set, trainer=trainer).stdout
    assert all(str(p["block"]) in table for p in points) and "0.333" in table and "1.000" in table


def test_history__plot__writes_png_and_refuses_to_overwrite(decai, changed, tmp_path):
    trainer, test_set, _ = changed
    png = tmp_path / "accuracy.png"
    out = decai.json("history", "--test-set", test_set, "--plot", png, trainer=trainer)
    assert out["plot"] == str(png) and png.read_bytes().startswith(PNG_MAGIC)
    png.write_bytes(b"keep me")
    assert "exists" in decai.fails("history", "--test-set", test_set, "--plot", png, trainer=trainer)
    assert png.read_bytes() == b"keep me"
    decai.ok("history", "--test-set", test_set, "--plot", png, "--force", trainer=trainer)
    assert png.read_bytes().startswith(PNG_MAGIC)


def test_history__test_set_with_unknown_label__one_line_error(decai, reviews_trainer, texts, tmp_path):
    bad = write_test_set(tmp_path / "bad.csv", [(texts.firm["fresh"][0], "fresh"), (texts.firm["rotten"][0], "meh")])
    message = decai.fails("history", "--test-set", bad, trainer=reviews_trainer)
    assert "bad.csv" in message and "meh" in message
    assert "--test-set" in decai.usage_error("history", "--plot", tmp_path / "x.png", trainer=reviews_trainer)
    assert not (tmp_path / "x.png").exists()
