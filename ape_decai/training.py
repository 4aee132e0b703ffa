"""Off-chain training of the initial model, and the model file that carries it to the chain.

`train_model` builds the encoder on the training split (a vocabulary, feature hashing, or a
standardisation of numeric columns), encodes the samples, trains the bit-exact reference of the
chosen model (`ape_decai.models.REFERENCE_MODELS`) and returns a *model file* (a JSON-able dict):

    {"format": "ape-decai-model/1", "model": "sparse-perceptron", "name": ..., "description": ...,
     "classes": [name of label 0, name of label 1, ...], "encoder": {"type": "vocabulary", ...},
     <the model's state: its `to_dict()`, e.g. "n_features", "learning_rate", "intercept",
      "weights" for the sparse perceptron>,
     "training": {"dataset": ..., "samples": ..., "skipped_empty": ..., "epochs": ...,
                  "test_accuracy": ..., "sklearn": {"estimator": ..., "test_accuracy": ...}}}

The held-out accuracy is reported next to scikit-learn's equivalent classifier trained on the
same features and split, when scikit-learn is installed (it is a test and report dependency).

Deployment publishes `onchain_encoder_json(model)` in the trainer's `TrainerDeployed` event, so
anyone can rebuild the encoder from the chain with `parse_onchain_encoder`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ape_decai.datasets import Sample, load_training_data, train_test_split
from ape_decai.encoders import (
    DEFAULT_TOKEN_PATTERN,
    Encoder,
    HashingEncoder,
    NumericEncoder,
    VocabularyEncoder,
    encoder_from_description,
    tokenize,
)
from ape_decai.errors import DecaiError
from ape_decai.models import REFERENCE_MODELS, ReferenceModel
from ape_decai.models.sparse_perceptron import (
    INT16_MAX,
    INT16_MIN,
    MAX_FEATURES,
    MAX_INPUT_LENGTH,
)
from ape_decai.publishing import parts_of, published_description

MODEL_FORMAT = "ape-decai-model/1"
ENCODER_FORMAT = "ape-decai-encoder/1"
MODEL_TYPE = "sparse-perceptron"

# What fits in the trainer's constructor (`String[64]`, `String[512]`, `String[32768]`), in bytes.
MAX_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 512
MAX_ENCODER_JSON_LENGTH = 32768

# A small English stop-word list. Negations ("not", "no", "never", "n't" forms) and words that
# carry sentiment are kept on purpose: for reviews they are among the most useful features.
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he he'd he'll he's her here here's hers herself him himself his how i i'd
    i'll i'm i've if in into is it it's its itself let's me more most my myself of off on once only
    or other our ours ourselves out over own same she she'd she'll she's should so some such than
    that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was we we'd we'll we're we've
    were what what's when when's where where's which while who who's whom why why's will with
    would you you'd you'll you're you've your yours yourself yourselves
    """.split()  # noqa: SIM905  a word list reads better as text than as 170 quoted strings
)

_MODEL_KEYS = (
    "format", "model", "name", "description", "classes", "n_features", "learning_rate",
    "intercept", "weights", "encoder",
)
# Keys every model file has; the rest is the model's state (`ReferenceModel.to_dict()`).
_COMMON_KEYS = ("format", "model", "name", "description", "classes", "encoder")

# The numeric encoder's default scale per dense model: the perceptron's weights are int16 and
# move by lr * x per mistake (small inputs), the centroids are means (large inputs lose less
# to truncation).
DEFAULT_SCALE = {"dense-perceptron": 16, "ncc": 1000}

# scikit-learn's counterpart of each model, for the comparison `train` prints.
SKLEARN_EQUIVALENTS = {
    "sparse-perceptron": "Perceptron",
    "dense-perceptron": "Perceptron",
    "ncc": "NearestCentroid",
    "sparse-ncc": "NearestCentroid",
    "naive-bayes": "MultinomialNB",
}


# ---------------------------------------------------------------------------------------------
# Vocabulary and training


def build_vocabulary(
    texts: Iterable[str],
    size: int,
    token_pattern: str = DEFAULT_TOKEN_PATTERN,
    lowercase: bool = True,
    stop_words: Iterable[str] | None = ENGLISH_STOP_WORDS,
    min_token_length: int = 2,
) -> list[str]:
    """The `size` tokens found in the most texts (document frequency), most frequent first.

    Ties are broken alphabetically, so the result is deterministic. Stop words (a built-in English
    list by default; `None` keeps every word) and tokens shorter than `min_token_length` are
    dropped, as are tokens without a letter or digit (e.g. a lone "''"). May return fewer than
    `size` words if the texts have fewer distinct tokens.
    """
    if size < 1:
        raise ValueError(f"vocabulary size must be at least 1, got {size}")
    if size > MAX_FEATURES:
        raise ValueError(f"vocabulary size must be at most {MAX_FEATURES}, got {size}")
    drop = frozenset(stop_words or ())
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(tokenize(text, token_pattern, lowercase)))
    kept = [
        (count, token)
        for token, count in df.items()
        if len(token) >= min_token_length and token not in drop and any(c.isalnum() for c in token)
    ]
    kept.sort(key=lambda ct: (-ct[0], ct[1]))
    return [token for _, token in kept[:size]]


def _encode_all(
    encoder: Encoder, samples: Sequence[Sample]
) -> tuple[list[tuple[list[int], int]], int, int]:
    """(encoded usable samples, number empty, number too long for one contract call)."""
    out, empty, too_long = [], 0, 0
    for text, label in samples:
        x = encoder.encode(text)
        if encoder.input_kind == "dense":
            out.append((x, label))
        elif not x:
            empty += 1
        elif len(x) > MAX_INPUT_LENGTH:
            too_long += 1
        else:
            out.append((x, label))
    return out, empty, too_long


def _accuracy(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def _fit(model_id: str, samples, n_features: int, n_classes: int, **hyper: Any) -> ReferenceModel:
    """Train `model_id`'s reference, passing only the hyper-parameters its `fit` takes."""
    cls = REFERENCE_MODELS[model_id]
    accepted = inspect.signature(cls.fit).parameters
    return cls.fit(samples, n_features, n_classes, **{k: v for k, v in hyper.items() if k in accepted})


def sklearn_accuracy(
    model_id: str, train: Sequence[tuple[list[int], int]], test: Sequence[tuple[list[int], int]],
    n_features: int, input_kind: str, epochs: int = 5,
) -> dict | None:
    """Held-out accuracy of scikit-learn's equivalent classifier on the same features and split.

    Sparse inputs become binary indicator rows; dense ones are the int16 vectors themselves.
    None when scikit-learn is not installed or there is nothing to compare.
    """
    try:
        import numpy as np
        from sklearn.linear_model import Perceptron  # type: ignore[import-untyped]
        from sklearn.naive_bayes import MultinomialNB  # type: ignore[import-untyped]
        from sklearn.neighbors import NearestCentroid  # type: ignore[import-untyped]
    except ImportError:
        return None
    if not train or not test or len({y for _, y in train}) < 2:
        return None

    def matrix(samples):
        if input_kind == "dense":
            return np.array([x for x, _ in samples], dtype=float)
        m = np.zeros((len(samples), n_features))
        for row, (x, _) in enumerate(samples):
            m[row, list(x)] = 1.0
        return m

    name = SKLEARN_EQUIVALENTS.get(model_id, "Perceptron")
    estimator: Any
    if name == "Perceptron":
        estimator = Perceptron(max_iter=epochs, tol=None, shuffle=False, random_state=0)
    elif name == "NearestCentroid":
        estimator = NearestCentroid()
    else:
        estimator = MultinomialNB(alpha=1.0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Perceptron's ConvergenceWarning at few epochs
        estimator.fit(matrix(train), [y for _, y in train])
        accuracy = float(estimator.score(matrix(test), [y for _, y in test]))
    return {"estimator": name, "test_accuracy": _accuracy(accuracy)}


def train_model(
    samples: Sequence[Sample],
    classes: Sequence[str],
    vocab_size: int = 1000,
    epochs: int = 5,
    learning_rate: int = 1,
    name: str = "sparse perceptron",
    description: str = "",
    test_fraction: float = 0.2,
    seed: int = 0,
    dataset: str = "custom",
    token_pattern: str = DEFAULT_TOKEN_PATTERN,
    lowercase: bool = True,
    stop_words: Iterable[str] | None = ENGLISH_STOP_WORDS,
    model: str = MODEL_TYPE,
    encoder: str = "vocabulary",
    scale: int | None = None,
    feature_names: Sequence[str] | None = None,
) -> dict:
    """Train the initial model off chain and return its model file (a dict, see the module doc).

    The samples are split with `train_test_split(samples, test_fraction, seed)`; the encoder is
    built on the training split only: for texts a vocabulary of `vocab_size` words, or feature
    hashing into `vocab_size` features (`encoder="hashing"`); for numeric vectors a
    standardisation at `scale` (`NumericEncoder.fit`). The model (`model`, a key of
    `REFERENCE_MODELS`) is trained on the training split (perceptrons: `epochs` passes in the
    shuffled order). Text samples with no feature (or more than `MAX_INPUT_LENGTH`) cannot be
    sent to the contract, so they are skipped for training and left out of both accuracies;
    `training` says how many.
    """
    if model not in REFERENCE_MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(REFERENCE_MODELS)}")
    cls = REFERENCE_MODELS[model]
    classes = list(classes)
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"need at least two different classes, got {classes!r}")
    if not samples:
        raise ValueError("no samples to train on")
    numeric = isinstance(samples[0][0], list)
    for k, (x, label) in enumerate(samples):
        if not _is_int(label) or not 0 <= label < len(classes):
            raise ValueError(f"sample {k}: label {label!r} is not in 0..{len(classes) - 1}")
        if numeric != isinstance(x, list) or not (numeric or isinstance(x, str)):
            raise ValueError(f"sample {k}: expected {'a list of numbers' if numeric else 'a string'}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if numeric and cls.input_kind != "dense":
        raise ValueError(f"{model} takes sets of features (texts); choose a dense model for numeric data")
    if not numeric and cls.input_kind != "sparse":
        raise ValueError(f"{model} takes numeric vectors; choose a sparse model for texts")

    train, test = train_test_split(samples, test_fraction, seed)
    if not train:
        raise ValueError("the training split is empty; lower test_fraction or add samples")
    enc: Encoder
    if scale is None:
        scale = DEFAULT_SCALE.get(model, 1000)
    if numeric:
        enc = NumericEncoder.fit([x for x, _ in train], scale=scale, names=list(feature_names) if feature_names else None)
    elif encoder == "hashing":
        enc = HashingEncoder(vocab_size, token_pattern=token_pattern, lowercase=lowercase)
    elif encoder == "vocabulary":
        vocabulary = build_vocabulary((t for t, _ in train), vocab_size, token_pattern, lowercase, stop_words)
        if not vocabulary:
            raise ValueError("the training texts contain no usable word; check the data and the token pattern")
        enc = VocabularyEncoder(vocabulary, token_pattern=token_pattern, lowercase=lowercase)
    else:
        raise ValueError(f"unknown encoder {encoder!r}; choose vocabulary or hashing")

    train_x, train_empty, train_long = _encode_all(enc, train)
    test_x, test_empty, test_long = _encode_all(enc, test)
    if not train_x:
        raise ValueError("no training sample contains a feature of the encoder")

    # A dense perceptron's intercept is the weight of a constant feature worth 1.0, i.e. `scale`.
    reference = _fit(
        model, train_x, enc.n_features, len(classes), learning_rate=learning_rate, epochs=epochs, x_scale=scale
    )

    counts = Counter(y for _, y in train_x)
    majority = min(counts, key=lambda y: (-counts[y], y))
    majority_accuracy = (
        sum(y == majority for _, y in test_x) / len(test_x) if test_x else float("nan")
    )
    result = {
        "format": MODEL_FORMAT,
        "model": model,
        "name": name,
        "description": description,
        "classes": classes,
        **reference.to_dict(),
        "encoder": enc.describe(),
        "training": {
            "dataset": dataset,
            "samples": len(samples),
            "train_samples": len(train_x),
            "test_samples": len(test_x),
            "skipped_empty": train_empty + test_empty,
            "skipped_too_long": train_long + test_long,
            "epochs": epochs,
            "test_fraction": test_fraction,
            "seed": seed,
            "train_accuracy": _accuracy(reference.accuracy(train_x)),
            "test_accuracy": _accuracy(reference.accuracy(test_x)),
            "test_majority_accuracy": _accuracy(majority_accuracy),
            "sklearn": sklearn_accuracy(model, train_x, test_x, enc.n_features, cls.input_kind, epochs),
        },
    }
    validate_model(result)
    return result


# ---------------------------------------------------------------------------------------------
# The model file


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_classes(classes: Any, what: str) -> list[str]:
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or len(classes) > 256
        or not all(isinstance(c, str) and c for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise ValueError(
            f"{what}: classes must be a list of 2 to 256 different names (label 0, label 1, ...), got {classes!r}"
        )
    return classes


def validate_model(d: Any) -> dict:
    """Check a model-file dict; raise ValueError saying what is wrong and how to fix it."""
    if not isinstance(d, dict):
        raise ValueError(f"model file: expected a JSON object, got {type(d).__name__}")
    missing = [k for k in _COMMON_KEYS if k not in d]
    if d.get("model") == MODEL_TYPE:
        missing += [k for k in _MODEL_KEYS if k not in d and k not in _COMMON_KEYS]
    if missing:
        raise ValueError(f"model file: missing {', '.join(missing)}")
    if d["format"] != MODEL_FORMAT:
        raise ValueError(
            f"model file: format is {d['format']!r}, expected {MODEL_FORMAT!r} "
            "(is this a model file written by `ape decai train`?)"
        )
    if d["model"] not in REFERENCE_MODELS:
        raise ValueError(
            f"model file: model {d['model']!r} is not supported (known: {', '.join(REFERENCE_MODELS)})"
        )
    for key, limit in (("name", MAX_NAME_LENGTH), ("description", MAX_DESCRIPTION_LENGTH)):
        if not isinstance(d[key], str):
            raise ValueError(f"model file: {key} must be a string")
        size = len(d[key].encode("utf-8"))
        if size > limit:
            raise ValueError(f"model file: {key} is {size} bytes, at most {limit} fit on chain; shorten it")
    if not d["name"].strip():
        raise ValueError("model file: name is empty")
    _check_classes(d["classes"], "model file")

    if d["model"] == MODEL_TYPE:
        # The first model's own checks, with messages that name the offending weight.
        n = d["n_features"]
        if not _is_int(n) or not 0 < n <= MAX_FEATURES:
            raise ValueError(f"model file: n_features must be an integer in [1, {MAX_FEATURES}], got {n!r}")
        lr = d["learning_rate"]
        if not _is_int(lr) or not 0 < lr <= INT16_MAX:
            raise ValueError(f"model file: learning_rate must be an integer in [1, {INT16_MAX}], got {lr!r}")
        b = d["intercept"]
        if not _is_int(b) or not INT16_MIN <= b <= INT16_MAX:
            raise ValueError(f"model file: intercept must be an int16 integer, got {b!r}")
        weights = d["weights"]
        if not isinstance(weights, list):
            raise ValueError("model file: weights must be a list of integers")
        if len(weights) != n:
            raise ValueError(f"model file: {len(weights)} weights for n_features = {n}; they must match")
        for k, w in enumerate(weights):
            if not _is_int(w) or not INT16_MIN <= w <= INT16_MAX:
                raise ValueError(
                    f"model file: weight {k} = {w!r} is not an integer in [{INT16_MIN}, {INT16_MAX}]"
                )
    state = {k: v for k, v in d.items() if k not in _COMMON_KEYS and k != "training"}
    try:
        reference = REFERENCE_MODELS[d["model"]].from_dict(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"model file: invalid {d['model']} state: {exc}") from None
    n = reference.n_features
    if len(d["classes"]) != reference.n_classes:
        raise ValueError(
            f"model file: {len(d['classes'])} class names for a model of {reference.n_classes} classes"
        )

    try:
        encoder = encoder_from_description(d["encoder"])
    except ValueError as exc:
        raise ValueError(f"model file: invalid encoder: {exc}") from None
    if encoder.n_features != n:
        raise ValueError(
            f"model file: the encoder has {encoder.n_features} features but n_features = {n}"
        )
    if encoder.input_kind != reference.input_kind:
        raise ValueError(
            f"model file: a {encoder.type} encoder cannot feed a {d['model']} ({reference.input_kind} input)"
        )
    if "training" in d and not isinstance(d["training"], dict):
        raise ValueError("model file: training must be an object")
    unknown = sorted(set(d) - set(_COMMON_KEYS) - set(reference.to_dict()) - {"training"})
    if unknown:
        raise ValueError(f"model file: unknown keys {', '.join(map(repr, unknown))}")
    return d


class ModelFile(BaseModel):
    """A validated model file (see the module doc): what `train` writes and `deploy` reads.

    The common fields are typed; the model's own state (`n_features`, `weights`, ...) is kept as
    extra fields, checked against its reference model. Build one with `ModelFile.parse(dict)`,
    `ModelFile.load(path)` or `train_model(...)`; `to_dict()` gives the JSON object back.
    """

    model_config = ConfigDict(extra="allow")

    format: Literal["ape-decai-model/1"]
    model: str
    name: str
    description: str
    classes: list[str]
    encoder: dict[str, Any]
    training: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        # The checks name the field, say what is wrong and how to fix it (one line).
        return validate_model(data)

    @classmethod
    def parse(cls, data: dict | ModelFile) -> ModelFile:
        """A ModelFile from its dict; ValueError (one line) saying what is wrong."""
        if isinstance(data, ModelFile):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            cause = first.get("ctx", {}).get("error")
            raise ValueError(str(cause) if cause else first["msg"]) from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> ModelFile:
        """Read and validate a model file; ValueError names the file and the problem."""
        return cls.model_validate(load_model_file(path))

    def to_dict(self) -> dict:
        """The model file as the JSON object it is written as."""
        return self.model_dump(exclude_unset=True)

    def reference(self) -> ReferenceModel:
        """The reference model holding the file's state."""
        return model_from_file(self.to_dict())

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the file (see `save_model_file`)."""
        return save_model_file(self.to_dict(), path, overwrite)


def save_model_file(model: dict, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Validate and write `model` as JSON to `path`, atomically (temporary file + rename).

    Refuses to replace an existing file unless `overwrite` (FileExistsError).
    """
    validate_model(model)
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another path or allow overwriting (--force)")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {directory} does not exist")
    text = json.dumps(model, indent=1) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    # mkstemp makes the file private (0600); a model file is as readable as any file the user
    # creates (0666 less the umask), like `open(path, "w")` would make it.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # Exclusive even against a file created since the check above.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(
                    f"{path} already exists; choose another path or allow overwriting (--force)"
                ) from None
            except OSError:  # a file system without hard links
                os.replace(tmp, path)
            else:
                os.unlink(tmp)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_model_file(path: str | os.PathLike) -> dict:
    """Read and validate a model file; ValueError names the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist (create one with `ape decai train`)")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (expected JSON)") from None
    try:
        return validate_model(d)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def model_from_file(d: dict) -> Any:
    """The reference model holding the model file's state (a `ReferenceModel`)."""
    validate_model(d)
    state = {k: v for k, v in d.items() if k not in _COMMON_KEYS and k != "training"}
    return REFERENCE_MODELS[d["model"]].from_dict(state)


def encoder_from_model_file(d: dict) -> Any:
    """The encoder the model file describes."""
    validate_model(d)
    return encoder_from_description(d["encoder"])


# ---------------------------------------------------------------------------------------------
# The encoder as published on chain


def _onchain_text(model: dict, encoder: dict) -> str:
    return json.dumps(
        {"format": ENCODER_FORMAT, "model": model["model"], "classes": model["classes"], "encoder": encoder},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def onchain_encoder_json(model: dict, max_features: int | None = None) -> str:
    """The compact JSON (sorted keys, no spaces, ASCII) the trainer logs in `TrainerDeployed`.

    The encoder's per-sample maximum and truncation policy are always published explicitly;
    `max_features` lowers the maximum to what the trainer's mechanism takes (a market's
    contribution is smaller than the model's input bound). A vocabulary too large for the
    trainer's 32 kB is replaced by a commitment to its parts (`ape_decai.publishing`), which
    `onchain_encoder_parts` gives and the deployment publishes first.
    """
    validate_model(model)
    encoder = encoder_from_description(model["encoder"]).describe()
    if max_features is not None and "max_features" in encoder:
        encoder["max_features"] = min(encoder["max_features"], max_features)
    text = _onchain_text(model, encoder)
    if len(text) > MAX_ENCODER_JSON_LENGTH and encoder["type"] == "vocabulary":
        text = _onchain_text(model, published_description(encoder))
    if len(text) > MAX_ENCODER_JSON_LENGTH:
        raise ValueError(
            f"the encoder description is {len(text)} bytes, at most {MAX_ENCODER_JSON_LENGTH} fit on "
            "chain; shorten the name, classes or token pattern"
        )
    return text


def onchain_encoder_parts(model: dict) -> list[bytes]:
    """The vocabulary parts the deployment publishes before the trainer (none for a description
    that fits in the trainer: see `onchain_encoder_json`)."""
    if "published" not in json.loads(onchain_encoder_json(model))["encoder"]:
        return []
    return parts_of(model["encoder"])


def check_deployable(model: dict | ModelFile) -> None:
    """DecaiError (one line, the reason) if `model` (a model file) cannot be deployed: an invalid
    file, or an encoder description that does not fit on chain even with its vocabulary published
    apart. Chain-free: `train` calls it before writing a model; `deployment.check_deployable`."""
    data = model.to_dict() if isinstance(model, ModelFile) else model
    try:
        onchain_encoder_json(data)
    except ValueError as err:
        raise DecaiError(f"this model cannot be deployed: {err}") from None


def parse_onchain_encoder(
    json_str: str | bytes, fetch_vocabulary: Callable[[Any], list[str]] | None = None
) -> tuple[list[str], Any]:
    """(classes, encoder) from the JSON a trainer published; ValueError if it is not one.

    A vocabulary published apart (`"published"`: a commitment to its parts) is read with
    `fetch_vocabulary(commitment)` (`publishing.fetch_vocabulary` on a chain).
    """
    if isinstance(json_str, (bytes, bytearray)):
        try:
            json_str = bytes(json_str).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("on-chain encoder: not UTF-8 text") from None
    try:
        d = json.loads(json_str)
    except json.JSONDecodeError as exc:
        raise ValueError(f"on-chain encoder: not valid JSON: {exc.msg} (at character {exc.pos})") from None
    if not isinstance(d, dict):
        raise ValueError("on-chain encoder: expected a JSON object")
    if d.get("format") != ENCODER_FORMAT:
        raise ValueError(
            f"on-chain encoder: format is {d.get('format')!r}, expected {ENCODER_FORMAT!r} "
            "(was this trainer deployed by ape-decai?)"
        )
    missing = [k for k in ("model", "classes", "encoder") if k not in d]
    if missing:
        raise ValueError(f"on-chain encoder: missing {', '.join(missing)}")
    if not isinstance(d["model"], str) or not d["model"]:
        raise ValueError("on-chain encoder: model must be a non-empty string")
    classes = _check_classes(d["classes"], "on-chain encoder")
    description = d["encoder"]
    try:
        if isinstance(description, dict) and "published" in description and "vocabulary" not in description:
            if fetch_vocabulary is None:
                raise ValueError("the vocabulary is published apart: it needs a chain to be read from")
            words = fetch_vocabulary(description["published"])
            description = {**{k: v for k, v in description.items() if k != "published"}, "vocabulary": words}
        encoder = encoder_from_description(description)
    except ValueError as exc:
        raise ValueError(f"on-chain encoder: {exc}") from None
    return list(classes), encoder


# ---------------------------------------------------------------------------------------------
# One call: data in, model file out


def train(
    data_file: str | os.PathLike | None = None,
    *,
    dataset: str | None = None,
    model: str = MODEL_TYPE,
    name: str | None = None,
    **options: Any,
) -> ModelFile:
    """Train `model` on a data file (CSV or JSON lines) or a named dataset (`datasets.DATASETS`).

    `options` are `train_model`'s (vocab_size, encoder, epochs, seed, ...). The name defaults to
    the file's stem or the dataset's name. ValueError (one line) for anything that does not fit,
    e.g. a three-class dataset for a binary model; DecaiError (`check_deployable`) for a model
    that could not be deployed.
    """
    if model not in REFERENCE_MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(REFERENCE_MODELS)}")
    data = load_training_data(data_file, dataset, REFERENCE_MODELS[model].max_classes)
    trained = ModelFile.parse(
        train_model(
            data.samples,
            data.classes,
            model=model,
            name=name or data.name,
            dataset=data.source,
            feature_names=data.feature_names,
            **options,
        )
    )
    check_deployable(trained)  # before any file is written: a model `deploy` would refuse
    return trained
