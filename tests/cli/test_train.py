"""`ape decai train`: the model file, overwriting, and bad input files."""

import json
import os

import pytest

from ape_decai.packing import MAX_SAMPLE_FEATURES
from ape_decai.training import MODEL_FORMAT, load_model_file

from .conftest import CLASSES, VOCAB_SIZE


def train_args(data_file, output, *extra):
    return [data_file, "-o", output, "--vocab-size", VOCAB_SIZE, *extra]


def test_train__writes_the_model_the_api_trains(decai, reviews_csv, review_model, tmp_path):
    output = tmp_path / "model.json"

    result = decai.ok("train", *train_args(reviews_csv, output))

    model = load_model_file(output)  # validates it
    assert json.loads(output.read_text()) == model  # plain JSON: other tools can read it
    assert model["format"] == MODEL_FORMAT
    assert model["classes"] == CLASSES
    assert model["n_features"] == VOCAB_SIZE == len(model["encoder"]["vocabulary"])
    assert model["name"] == "reviews"
    # Same data, same options: bit for bit the model of the Python API.
    assert {k: model[k] for k in ("weights", "intercept", "encoder")} == {
        k: review_model[k] for k in ("weights", "intercept", "encoder")
    }
    assert model["training"]["samples"] == 300
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sparse-perceptron: trained on 300 samples")
    assert lines[1].startswith("accuracy: train ")
    assert lines[-1] == f"wrote {output}"


def test_train__model_file_honours_the_umask(decai, reviews_csv, tmp_path):
    output = tmp_path / "model.json"
    old = os.umask(0o022)
    try:
        decai.ok("train", *train_args(reviews_csv, output))
    finally:
        os.umask(old)

    assert output.stat().st_mode & 0o777 == 0o644  # not forced private: as `touch` would make it


def test_train__json_prints_one_summary_object(decai, reviews_csv, tmp_path):
    output = tmp_path / "model.json"

    summary = decai.json("train", *train_args(reviews_csv, output, "--epochs", 2, "--name", "rt"))

    model = load_model_file(output)
    assert summary["output"] == str(output)
    assert summary["classes"] == CLASSES
    assert summary["n_features"] == VOCAB_SIZE
    assert summary["samples"] == 300
    assert summary["epochs"] == 2
    assert summary == {"output": str(output), "model": "sparse-perceptron", "classes": CLASSES, "n_features": VOCAB_SIZE, **model["training"]}
    assert model["name"] == "rt"


def test_train__refuses_to_overwrite_without_force(decai, reviews_csv, tmp_path):
    output = tmp_path / "model.json"
    output.write_bytes(b"my precious model\n")
    os.utime(output, (1_000_000_000, 1_000_000_000))

    message = decai.fails("train", *train_args(reviews_csv, output))

    assert str(output) in message and "--force" in message
    assert output.read_bytes() == b"my precious model\n"
    assert output.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temporary file left


def test_train__force_overwrites(decai, reviews_csv, tmp_path):
    output = tmp_path / "model.json"
    output.write_text("old")

    decai.ok("train", *train_args(reviews_csv, output, "--force"))

    assert load_model_file(output)["n_features"] == VOCAB_SIZE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name, content, expected",
    [
        pytest.param("reviews.csv", "review,label\ngreat film,fresh\ndull,rotten\n", "missing column text", id="missing-column"),
        pytest.param("reviews.txt", "text,label\ngreat film,fresh\ndull,rotten\n", "unknown extension '.txt'", id="unknown-extension"),
        pytest.param("reviews.csv", 'text,label\ngreat film,fresh\n"  ",rotten\n', "line 3: empty text", id="empty-text"),
        pytest.param("reviews.csv", "", "the file is empty", id="empty-file"),
        pytest.param("reviews.csv", "text,label\ngreat,fresh\ndull,rotten\nmeh,meh\n", "3 classes", id="three-classes"),
        pytest.param("reviews.jsonl", '{"text": "great", "label": "fresh"}\n{"text": "dull"\n', "line 2: not valid JSON", id="bad-jsonl"),
        pytest.param(
            "reviews.csv", b"text,label\n\xff\xfe great,fresh\ndull,rotten\n", "reviews.csv", id="not-utf8",
        ),
    ],
)  # fmt: skip
def test_train__bad_input_file__fails_with_one_line(decai, tmp_path, name, content, expected):
    data_file = _write(tmp_path / name, content)
    output = tmp_path / "model.json"

    message = decai.fails("train", *train_args(data_file, output))

    assert expected in message
    assert not output.exists()


def test_train__missing_input_file__is_a_usage_error(decai, tmp_path):
    result = decai.run("train", tmp_path / "nope.csv", "-o", tmp_path / "model.json")

    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "model.json").exists()


def test_train__output_in_missing_directory__fails_with_one_line(decai, reviews_csv, tmp_path):
    output = tmp_path / "no" / "such" / "dir" / "model.json"

    message = decai.fails("train", *train_args(reviews_csv, output))

    assert "does not exist" in message
    assert not output.parent.exists()


def test_train__hashing_encoder__reports_scikit_learns_accuracy_alongside(decai, reviews_csv, tmp_path):
    output = tmp_path / "hashed.json"

    summary = decai.json("train", reviews_csv, "-o", output, "--encoder", "hashing", "--vocab-size", 512)

    model = load_model_file(output)
    assert model["encoder"] == {
        "type": "hashing", "n_features": 512, "lowercase": True, "token_pattern": model["encoder"]["token_pattern"],
        "max_features": MAX_SAMPLE_FEATURES, "truncate": "lowest-index",
    }  # fmt: skip
    assert summary["sklearn"]["estimator"] == "Perceptron"
    assert 0.0 <= summary["sklearn"]["test_accuracy"] <= 1.0
    assert summary["test_accuracy"] == model["training"]["test_accuracy"]


def test_train__text_output_compares_with_scikit_learn(decai, reviews_csv, tmp_path):
    result = decai.ok("train", reviews_csv, "-o", tmp_path / "m.json", "--vocab-size", 100)

    assert "scikit-learn Perceptron: " in result.stdout.splitlines()[1]


def test_train__numeric_data_for_a_text_model__fails_with_a_clear_error(decai, tmp_path):
    data = tmp_path / "numbers.csv"
    data.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n")

    message = decai.fails("train", data, "-o", tmp_path / "m.json")

    assert message == "sparse-perceptron takes sets of features (texts); choose a dense model for numeric data"
    assert not (tmp_path / "m.json").exists()
