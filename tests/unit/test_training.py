"""Off-chain training, the model file and the encoder JSON published on chain.

scikit-learn is the oracle for the trainer: `sklearn.linear_model.Perceptron` (eta0=1, no
penalty, no shuffling, `max_iter` = epochs, dense 0/1 features in the same order) runs the same
perceptron rule, with one difference: it updates when y * margin <= 0 for y in {-1, +1}, so on a
zero margin it also updates a sample of class 0, which the contract (predict = margin > 0) counts
as right. Starting sklearn's intercept at -0.5 removes the difference: the contract's integer
margin m and sklearn's m - 0.5 then never tie, and "m > 0" is "m - 0.5 > 0". So, as long as no
weight saturates at int16, sklearn must end with exactly our weights and our intercept - 0.5.
"""

import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from sklearn.linear_model import Perceptron

from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes, train_test_split
from ape_decai.encoders import VocabularyEncoder
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.publishing import part_hash, vocabulary_bytes
from ape_decai.training import (
    ENGLISH_STOP_WORDS,
    MAX_ENCODER_JSON_LENGTH,
    build_vocabulary,
    encoder_from_model_file,
    load_model_file,
    model_from_file,
    onchain_encoder_json,
    onchain_encoder_parts,
    parse_onchain_encoder,
    save_model_file,
    train_model,
    validate_model,
)

REVIEWS = [
    ("a great film, truly great", 1),
    ("great acting and a moving story", 1),
    ("moving and funny", 1),
    ("funny, smart and great", 1),
    ("a smart moving film", 1),
    ("boring and dull", 0),
    ("a dull story, boring acting", 0),
    ("awful film, boring", 0),
    ("dull and awful", 0),
    ("awful acting", 0),
    ("the of and", 0),  # stop words only: encodes to nothing
    ("smart but dull", 0),
]
CLASSES = ["negative", "positive"]


def small_model(**kwargs):
    options = dict(vocab_size=50, epochs=5, test_fraction=0.25, seed=0, name="tiny", dataset="inline")
    options.update(kwargs)
    return train_model(REVIEWS, CLASSES, **options)


@pytest.fixture(scope="module")
def rotten_tomatoes():
    return load_rotten_tomatoes()


@pytest.fixture(scope="module")
def rt_model(rotten_tomatoes):
    return train_model(
        rotten_tomatoes, CLASSES_ROTTEN_TOMATOES, vocab_size=1000, epochs=5, dataset="rotten-tomatoes"
    )


# --- Vocabulary --------------------------------------------------------------------------------


def test_vocabulary__counts_documents_not_occurrences():
    texts = ["great great great great", "good day", "good night"]
    assert build_vocabulary(texts, 2) == ["good", "day"]


def test_vocabulary__breaks_ties_alphabetically():
    assert build_vocabulary(["zeta beta", "alpha gamma"], 10) == ["alpha", "beta", "gamma", "zeta"]


def test_vocabulary__drops_stop_words_and_one_letter_tokens():
    texts = ["the film is a x", "the film was not good", "it's 10 out of 10"]
    vocabulary = build_vocabulary(texts, 100)
    assert vocabulary == ["film", "10", "good", "not"]
    assert "not" not in ENGLISH_STOP_WORDS and "the" in ENGLISH_STOP_WORDS


def test_vocabulary__without_stop_words__keeps_them():
    assert build_vocabulary(["the film", "the end"], 10, stop_words=None) == ["the", "end", "film"]


def test_vocabulary__drops_tokens_without_a_letter_or_digit():
    assert build_vocabulary(["'' quoted ''"], 10) == ["quoted"]


@pytest.mark.parametrize("size", [0, -1, 2**16])
def test_vocabulary__size_out_of_range__raises(size):
    with pytest.raises(ValueError, match="vocabulary size"):
        build_vocabulary(["a b"], size)


# --- Training ----------------------------------------------------------------------------------


def test_train_model__returns_a_valid_model_file():
    model = small_model()
    assert validate_model(model) is model
    assert model["format"] == "ape-decai-model/1" and model["model"] == "sparse-perceptron"
    assert model["classes"] == CLASSES
    assert model["n_features"] == len(model["weights"]) == len(model["encoder"]["vocabulary"])
    training = model["training"]
    assert training["dataset"] == "inline" and training["samples"] == len(REVIEWS)
    assert training["epochs"] == 5 and training["seed"] == 0 and training["test_fraction"] == 0.25
    assert training["train_samples"] + training["test_samples"] + training["skipped_empty"] == len(REVIEWS)
    json.dumps(model, allow_nan=False)  # plain JSON


def test_train_model__is_deterministic():
    assert small_model() == small_model()
    assert json.dumps(small_model(seed=4)) == json.dumps(small_model(seed=4))


def test_train_model__builds_the_vocabulary_on_the_training_split_only():
    # Each sample gets a word of its own: only the training samples' own words may be features.
    samples = [(f"{text} own{i}", y) for i, (text, y) in enumerate(REVIEWS)]
    model = train_model(samples, CLASSES, vocab_size=1000, test_fraction=0.5, seed=0)
    train, test = train_test_split(samples, 0.5, 0)
    vocabulary = model["encoder"]["vocabulary"]
    assert vocabulary == build_vocabulary([t for t, _ in train], 1000)
    assert {t.split()[-1] for t, _ in train} <= set(vocabulary)
    assert not {t.split()[-1] for t, _ in test} & set(vocabulary)


def test_train_model__skips_and_counts_samples_with_no_vocabulary_word():
    samples = REVIEWS + [("zzz qqq", 1)] * 3
    model = train_model(samples, CLASSES, vocab_size=3, epochs=1, test_fraction=0.0)
    encoder = encoder_from_model_file(model)
    empty = sum(1 for text, _ in samples if not encoder.encode(text))
    assert empty >= 4
    assert model["training"]["skipped_empty"] == empty
    assert model["training"]["train_samples"] == len(samples) - empty
    assert model["training"]["test_accuracy"] is None  # no test set


def test_train_model__matches_training_the_reference_by_hand():
    model = small_model()
    encoder = encoder_from_model_file(model)
    train, _ = train_test_split(REVIEWS, 0.25, 0)
    encoded = [(encoder.encode(t), y) for t, y in train]
    reference = SparsePerceptron.train([(x, y) for x, y in encoded if x], encoder.n_features, epochs=5)
    assert model_from_file(model) == reference


@pytest.mark.parametrize(
    "samples, classes, kwargs, message",
    [
        (REVIEWS, ["a"], {}, "two different classes"),
        (REVIEWS, ["a", "a"], {}, "two different classes"),
        ([], CLASSES, {}, "no samples"),
        ([("good", 2)], CLASSES, {}, "sample 0: label 2"),
        ([("good", True)], CLASSES, {}, "sample 0: label True"),
        (REVIEWS, CLASSES, {"epochs": 0}, "epochs"),
        (REVIEWS, CLASSES, {"learning_rate": 0}, "learning_rate"),
        ([("the of", 1), ("and", 0)], CLASSES, {"test_fraction": 0}, "no usable word"),
        (REVIEWS, CLASSES, {"name": "x" * 65}, "name is 65 bytes"),
    ],
)
def test_train_model__bad_arguments__raise(samples, classes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_model(samples, classes, **kwargs)


def test_rotten_tomatoes__perceptron_beats_the_majority_class_on_held_out_data(rt_model, rotten_tomatoes):
    training = rt_model["training"]
    assert training["test_samples"] > 2000
    assert training["test_accuracy"] > training["test_majority_accuracy"] + 0.05
    # The reported accuracy is what the model file gives on the held-out split.
    encoder, model = encoder_from_model_file(rt_model), model_from_file(rt_model)
    _, test = train_test_split(rotten_tomatoes, 0.2, 0)
    held_out = [(encoder.encode(t), y) for t, y in test]
    held_out = [(x, y) for x, y in held_out if x]
    assert len(held_out) == training["test_samples"]
    assert model.accuracy(held_out) == pytest.approx(training["test_accuracy"], abs=1e-6)
    majority = max(sum(y for _, y in held_out), sum(1 - y for _, y in held_out)) / len(held_out)
    assert training["test_majority_accuracy"] == pytest.approx(majority, abs=1e-6)


# --- scikit-learn as the oracle (see the module doc) --------------------------------------------


def sklearn_perceptron(encoded, n_features, epochs):
    X = np.zeros((len(encoded), n_features))
    for row, (indices, _) in enumerate(encoded):
        X[row, indices] = 1.0
    y = np.array([label for _, label in encoded])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached, as intended
        return Perceptron(eta0=1.0, penalty=None, shuffle=False, max_iter=epochs, tol=None).fit(
            X, y, coef_init=np.zeros((1, n_features)), intercept_init=np.array([-0.5])
        )


def test_sklearn_oracle__gives_the_same_weights_on_rotten_tomatoes(rt_model, rotten_tomatoes):
    encoder, model = encoder_from_model_file(rt_model), model_from_file(rt_model)
    train, _ = train_test_split(rotten_tomatoes, 0.2, 0)
    encoded = [(encoder.encode(t), y) for t, y in train]
    encoded = [(x, y) for x, y in encoded if x]
    oracle = sklearn_perceptron(encoded, encoder.n_features, epochs=5)
    assert max(abs(w) for w in model.weights) < 2**15 - 1  # no saturation, so exact equality holds
    assert oracle.coef_[0].tolist() == [float(w) for w in model.weights]
    assert oracle.intercept_[0] == model.intercept - 0.5


@settings(max_examples=2 * settings.default.max_examples)  # cheap: scale the profile
# Pure Python (no chain): Hypothesis examples share no state, so no chain.snapshot() is needed.
@given(
    n_features=st.integers(1, 12),
    epochs=st.integers(1, 4),
    data=st.data(),
)
def test_sklearn_oracle__gives_the_same_weights_on_random_data(n_features, epochs, data):
    indices = st.lists(st.integers(0, n_features - 1), min_size=1, max_size=n_features, unique=True)
    encoded = data.draw(st.lists(st.tuples(indices.map(sorted), st.integers(0, 1)), min_size=2, max_size=40))
    if len({y for _, y in encoded}) < 2:
        encoded.append(([0], 1 - encoded[0][1]))  # sklearn needs both classes
    note(f"{encoded=}")
    model = SparsePerceptron.train(encoded, n_features, epochs=epochs)
    oracle = sklearn_perceptron(encoded, n_features, epochs)
    assert oracle.coef_[0].tolist() == [float(w) for w in model.weights]
    assert oracle.intercept_[0] == model.intercept - 0.5


# --- The model file ----------------------------------------------------------------------------


def test_model_file__round_trips(tmp_path):
    model = small_model()
    path = save_model_file(model, tmp_path / "model.json")
    assert load_model_file(path) == model
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


def test_model_file__existing__is_not_overwritten(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("keep me")
    with pytest.raises(FileExistsError, match="already exists"):
        save_model_file(small_model(), path)
    assert path.read_text() == "keep me"
    assert os.listdir(tmp_path) == ["model.json"]


def test_model_file__existing__is_replaced_with_overwrite(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old")
    save_model_file(small_model(), path, overwrite=True)
    assert load_model_file(path) == small_model()
    assert os.listdir(tmp_path) == ["model.json"]


def test_model_file__invalid_model__is_not_written(tmp_path):
    model = dict(small_model(), intercept=2**15)
    with pytest.raises(ValueError, match="intercept"):
        save_model_file(model, tmp_path / "model.json")
    assert os.listdir(tmp_path) == []


def test_model_file__missing__says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="ape decai train"):
        load_model_file(tmp_path / "nope.json")


def test_model_file__not_json__names_the_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"format": ')
    with pytest.raises(ValueError, match="model.json: not valid JSON"):
        load_model_file(path)


def mutated(**changes):
    model = small_model()
    for key, value in changes.items():
        if value is ...:
            del model[key]
        else:
            model[key] = value
    return model


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(format="ape-decai-model/2"), "format is 'ape-decai-model/2'"),
        (dict(model="svm"), "model 'svm' is not supported"),
        (dict(weights=...), "missing weights"),
        (dict(classes=["a", "b", "c"]), "3 class names for a model of 2 classes"),
        (dict(classes=["a", "a"]), "classes must be a list of 2 to 256 different names"),
        (dict(name="n" * 65), "name is 65 bytes, at most 64"),
        (dict(name=" "), "name is empty"),
        (dict(description="d" * 513), "description is 513 bytes"),
        (dict(n_features=0), "n_features must be an integer"),
        (dict(n_features=True), "n_features must be an integer"),
        (dict(learning_rate=0), "learning_rate"),
        (dict(learning_rate=1.5), "learning_rate"),
        (dict(intercept=-(2**15) - 1), "intercept must be an int16"),
        (dict(training=[]), "training must be an object"),
        (dict(extra=1), "unknown keys 'extra'"),
        (dict(encoder={"type": "bag-of-words"}), "invalid encoder: .*unknown type 'bag-of-words'"),
    ],
)
def test_model_file__invalid__raises_an_actionable_error(tmp_path, change, message):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(mutated(**change)))
    with pytest.raises(ValueError, match=message):
        load_model_file(path)


@pytest.mark.parametrize(
    "weights_change, message",
    [
        (lambda w: w[:-1], "weights for n_features"),
        (lambda w: w + [0], "weights for n_features"),
        (lambda w: [2**15] + w[1:], "weight 0 = 32768 is not an integer in"),
        (lambda w: w[:2] + [0.5] + w[3:], "weight 2 = 0.5"),
        (lambda w: w[:1] + [False] + w[2:], "weight 1 = False"),
    ],
)
def test_model_file__bad_weights__name_the_weight(weights_change, message):
    model = small_model()
    model["weights"] = weights_change(model["weights"])
    with pytest.raises(ValueError, match=message):
        validate_model(model)


def test_model_file__encoder_of_another_size__is_rejected():
    model = small_model()
    model["encoder"] = VocabularyEncoder(["one", "two"]).describe()
    with pytest.raises(ValueError, match="the encoder has 2 features but n_features"):
        validate_model(model)


def test_model_from_file__predicts_like_the_trained_weights():
    model = small_model()
    perceptron, encoder = model_from_file(model), encoder_from_model_file(model)
    assert perceptron.weights == model["weights"] and perceptron.intercept == model["intercept"]
    x = encoder.encode("great moving film")
    assert perceptron.margin(x) == model["intercept"] + sum(model["weights"][i] for i in x)


# --- The encoder on chain ----------------------------------------------------------------------


def test_onchain_encoder_json__is_compact_sorted_and_round_trips():
    model = small_model()
    text = onchain_encoder_json(model)
    assert " " not in text.replace("ape-decai", "")  # no padding (the token pattern has no space)
    d = json.loads(text)
    assert list(d) == ["classes", "encoder", "format", "model"]
    assert d["format"] == "ape-decai-encoder/1" and d["model"] == "sparse-perceptron"
    assert text == json.dumps(d, sort_keys=True, separators=(",", ":"))
    classes, encoder = parse_onchain_encoder(text)
    assert classes == CLASSES
    assert encoder == encoder_from_model_file(model)
    assert parse_onchain_encoder(text.encode()) == (classes, encoder)


def test_onchain_encoder_json__for_rotten_tomatoes__fits_on_chain(rt_model):
    assert len(onchain_encoder_json(rt_model)) < MAX_ENCODER_JSON_LENGTH


def test_onchain_encoder_json__too_large__commits_to_the_vocabulary_published_in_parts():
    words = [f"word{i:05d}" for i in range(4000)]
    model = small_model()
    model.update(encoder=VocabularyEncoder(words).describe(), n_features=4000, weights=[0] * 4000)
    text = onchain_encoder_json(model)
    assert len(text) < 1000
    published = json.loads(text)["encoder"]["published"]
    parts = onchain_encoder_parts(model)
    assert published["words"] == 4000
    assert published["parts"] == [part_hash(p) for p in parts]
    assert b"".join(parts) == vocabulary_bytes(words)
    # A client rebuilds the same encoder from the parts (here handed over directly, not from a chain).
    classes, encoder = parse_onchain_encoder(text, lambda commitment: json.loads(b"".join(parts)))
    assert encoder == encoder_from_model_file(model)


def test_onchain_encoder_json__market__publishes_the_markets_smaller_maximum():
    assert json.loads(onchain_encoder_json(small_model(), 32))["encoder"]["max_features"] == 32


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"format": "other"}', "format is 'other'"),
        ('{"format": "ape-decai-encoder/1", "model": "sparse-perceptron"}', "missing classes, encoder"),
        (
            '{"format":"ape-decai-encoder/1","model":"sparse-perceptron","classes":["a"],"encoder":{}}',
            "classes must be a list of 2 to 256",
        ),
        (
            '{"format":"ape-decai-encoder/1","model":"","classes":["a","b"],"encoder":{}}',
            "model must be a non-empty string",
        ),
        (
            '{"format":"ape-decai-encoder/1","model":"sparse-perceptron","classes":["a","b"],'
            '"encoder":{"type":"vocabulary"}}',
            "on-chain encoder: encoder: description lacks",
        ),
        (b"\xff", "not UTF-8"),
    ],
)
def test_parse_onchain_encoder__malformed__raises_a_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        parse_onchain_encoder(text)
