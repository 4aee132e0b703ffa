"""Files in and out: `ape decai predict --file`, `ape decai evaluate`, `ape decai add-data --file`."""

import csv
import json

import pytest

from ape_decai import deploy
from ape_decai._cli import cli
from ape_decai.datasets import load_sklearn_dataset
from ape_decai.packing import pack_indices
from ape_decai.training import encoder_from_model_file, model_from_file, train_model

from .conftest import CLASSES, DAY, NETWORK


@pytest.fixture(scope="module")
def words_of(review_model):
    """Text -> the packed feature words, with the model file's encoder (not the chain's)."""
    encoder = encoder_from_model_file(review_model)
    return lambda text: pack_indices(encoder.encode(text))


@pytest.fixture
def some_texts(texts):
    """Eight review texts, both labels, firm and flippable ones, one starting with '-'."""
    out = [t for label in CLASSES for t in texts.firm[label][:2] + texts.flippable[label][:2]]
    out[0] = "- " + out[0]
    return out


def write_csv(path, rows, header=("text", "label")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path, objects):
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def labelled_file(tmp_path, samples, name="samples.csv"):
    return write_csv(tmp_path / name, samples)


def on_chain(trainer, words_of, texts, block="latest"):
    return [CLASSES[trainer.contract.predict(words_of(t), block_id=block)] for t in texts]


# --- predict --file -------------------------------------------------------------------------------


def test_predict_file__every_format__gives_the_contracts_labels_in_order(decai, tmp_path, reviews_trainer, some_texts, words_of):
    expected = on_chain(reviews_trainer, words_of, some_texts)
    assert set(expected) == set(CLASSES)
    files = {
        "texts.txt": "\n\n".join(some_texts) + "\n",  # blank lines are skipped
        "texts.csv": None,
        "texts.jsonl": "".join(json.dumps({"text": t}) + "\n" for t in some_texts),
    }
    write_csv(tmp_path / "texts.csv", [(t, "ignored") for t in some_texts])
    for name, content in files.items():
        if content is not None:
            (tmp_path / name).write_text(content, encoding="utf-8")

        result = decai.ok("predict", "--file", tmp_path / name, trainer=reviews_trainer)

        assert result.stdout.splitlines() == expected, name


def test_predict_file__stdin(decai, reviews_trainer, some_texts, words_of):
    expected = on_chain(reviews_trainer, words_of, some_texts)

    plain = decai.runner.invoke(cli, decai.args("predict", "--file", "-", trainer=reviews_trainer), input="\n".join(some_texts))
    as_json = decai.runner.invoke(
        cli, decai.args("predict", "-f", "-", "--json", trainer=reviews_trainer), input="".join(json.dumps({"text": t}) + "\n" for t in some_texts)
    )

    assert plain.exit_code == 0, decai.describe(plain)
    assert plain.stdout.splitlines() == expected
    assert as_json.exit_code == 0, decai.describe(as_json)
    assert [json.loads(line)["label"] for line in as_json.stdout.splitlines()] == expected


def test_predict_file__json_lines__one_per_text_with_errors_for_unreadable_ones(decai, tmp_path, reviews_trainer, some_texts, texts, words_of):
    inputs = [*some_texts[:3], texts.unknown, some_texts[3]]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(inputs) + "\n", encoding="utf-8")
    expected = on_chain(reviews_trainer, words_of, [t for t in inputs if t != texts.unknown])

    result = decai.ok("predict", "--file", path, "--json", trainer=reviews_trainer)

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3, 4]
    assert [line["line"] for line in lines] == [1, 2, 3, 4, 5]
    assert lines[3]["label"] is None and lines[3]["label_index"] is None
    assert lines[3]["error"].startswith("none of the words of this text is in the model's vocabulary")
    assert [line["label"] for line in lines if line["label"]] == expected
    assert all(line["label_index"] == CLASSES.index(line["label"]) for line in lines if line["label"])
    assert all(line["network"] == NETWORK and line["sealed"] is True for line in lines)
    assert result.stderr == ""


def test_predict_file__unreadable_text__dash_and_a_note(decai, tmp_path, reviews_trainer, some_texts, texts):
    path = tmp_path / "texts.txt"
    path.write_text(f"{some_texts[0]}\n{texts.unknown}\n", encoding="utf-8")

    result = decai.ok("predict", "--file", path, trainer=reviews_trainer)

    assert result.stdout.splitlines()[1] == "-"
    assert "1 of 2 text(s) could not be read ('-'): none of the words of this text is in the model's vocabulary" in result.stderr
    assert result.stderr.splitlines()[0].endswith("(line 2)")


def test_predict_file__texts_longer_than_the_csv_field_limit(decai, tmp_path, reviews_trainer, texts, words_of):
    long_text = " ".join([texts.firm["fresh"][0]] * 4000)
    assert len(long_text) > 131_072
    path = write_csv(tmp_path / "long.csv", [(long_text, "fresh")])

    result = decai.ok("predict", "--file", path, trainer=reviews_trainer)

    assert result.stdout == f"{on_chain(reviews_trainer, words_of, [long_text])[0]}\n"


def test_predict__text_starting_with_a_dash__after_double_dash(decai, reviews_trainer, texts, words_of):
    text = "-" + texts.firm["rotten"][0]

    result = decai.ok("predict", "--trainer", reviews_trainer.address, "--network", NETWORK, "--", text)
    refused = decai.usage_error("predict", text, trainer=reviews_trainer)

    assert result.stdout == f"{on_chain(reviews_trainer, words_of, [text])[0]}\n"
    assert "No such option" in refused and "after '--'" in refused and "--file" in refused


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["some text", "--file", "FILE"], "either TEXT or --file, not both", id="both"),
        pytest.param([], "give TEXT, or --file FILE", id="neither"),
        pytest.param(["--file", "missing.txt"], "does not exist", id="missing-file"),
        pytest.param(["--file", "FILE", "--format", "xml"], "'xml' is not one of", id="unknown-format"),
    ],
)
def test_predict_file__usage_errors(decai, tmp_path, reviews_trainer, args, expected):
    path = tmp_path / "texts.txt"
    path.write_text("a film\n", encoding="utf-8")
    args = [str(path) if a == "FILE" else a for a in args]

    assert expected in decai.usage_error("predict", *args, trainer=reviews_trainer)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        pytest.param("empty.txt", "", "no texts (the file is empty)", id="empty-file"),
        pytest.param("blank.txt", "\n \n", "no texts", id="blank-lines-only"),
        pytest.param("bad.csv", "review\nx\n", "missing column text in the header", id="no-text-column"),
        pytest.param("bad.csv", 'text\n"unclosed\n', "malformed CSV", id="malformed-csv"),
        pytest.param("bad.jsonl", '{"text": "a"}\n{"text": \n', "line 2: not valid JSON", id="bad-json"),
        pytest.param("bad.xml", "<a/>", "unknown extension '.xml'", id="unknown-extension"),
        pytest.param("latin1.txt", b"caf\xe9\n", "not UTF-8 text", id="not-utf8"),
    ],
)
def test_predict_file__bad_file__fails_with_one_line(decai, tmp_path, reviews_trainer, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")

    assert expected in decai.fails("predict", "--file", path, trainer=reviews_trainer)


# --- evaluate ---------------------------------------------------------------------------------------


def expected_scores(trainer, words_of, samples, block="latest"):
    """(accuracy, confusion) of the contract's own predictions, one call each."""
    confusion = [[0, 0], [0, 0]]
    for (text, label), predicted in zip(samples, on_chain(trainer, words_of, [t for t, _ in samples], block), strict=True):
        confusion[CLASSES.index(label)][CLASSES.index(predicted)] += 1
    return (confusion[0][0] + confusion[1][1]) / len(samples), confusion


@pytest.fixture
def labelled_samples(texts):
    """Twelve (text, label) pairs; some labels disagree with the model, so nothing is perfect."""
    out = []
    for label in CLASSES:
        other = CLASSES[1 - CLASSES.index(label)]
        out += [(t, label) for t in texts.firm[label][:3]] + [(texts.firm[label][3], other)]
        out += [(t, other) for t in texts.flippable[label][:2]]
    return out


def test_evaluate__json__scores_the_contracts_predictions(decai, tmp_path, reviews_trainer, labelled_samples, words_of, chain):
    path = labelled_file(tmp_path, labelled_samples)
    accuracy, confusion = expected_scores(reviews_trainer, words_of, labelled_samples)
    head = chain.blocks.head.number

    out = decai.json("evaluate", path, trainer=reviews_trainer)

    assert out["accuracy"] == pytest.approx(accuracy) and 0 < accuracy < 1
    assert out["confusion"]["matrix"] == confusion
    assert out["samples"] == out["scored"] == len(labelled_samples) and out["skipped"] == []
    for k, row in enumerate(out["classes"]):
        assert row["class"] == CLASSES[k]
        assert row["precision"] == pytest.approx(confusion[k][k] / (confusion[0][k] + confusion[1][k]))
        assert row["recall"] == pytest.approx(confusion[k][k] / sum(confusion[k]))
        assert row["support"] == sum(confusion[k])
    assert out["block"] is None and out["network"] == NETWORK
    assert chain.blocks.head.number == head


def test_evaluate__tables(decai, tmp_path, reviews_trainer, labelled_samples, words_of, texts):
    path = labelled_file(tmp_path, [*labelled_samples, (texts.unknown, "fresh")])
    accuracy, confusion = expected_scores(reviews_trainer, words_of, labelled_samples)

    result = decai.ok("evaluate", path, trainer=reviews_trainer)

    correct = confusion[0][0] + confusion[1][1]
    assert result.stdout.startswith(f"accuracy: {accuracy:.3f} ({correct} of {len(labelled_samples)} samples of {path})\n")
    assert "Per class" in result.stdout and "Confusion matrix" in result.stdout and "true \\ predicted" in result.stdout
    assert "not scored: 1 sample(s) the model cannot read: none of the words of this text" in result.stdout
    assert f"(line {len(labelled_samples) + 2})" in result.stdout
    assert result.stderr == f"network: {NETWORK}\n"


def test_evaluate__at_a_past_block__is_the_model_as_it_was(decai, tmp_path, reviews_trainer, contributor, texts, labelled_samples, words_of, chain):
    path = labelled_file(tmp_path, labelled_samples)
    before = decai.json("evaluate", path, trainer=reviews_trainer)
    block = chain.blocks.head.number
    for label in CLASSES:  # flip the flippable texts the file labels against the model
        for text in texts.flippable[label][:2]:
            reviews_trainer.add_data(text, CLASSES[1 - CLASSES.index(label)], contributor)
    assert expected_scores(reviews_trainer, words_of, labelled_samples)[1] != before["confusion"]["matrix"]

    now = decai.json("evaluate", path, trainer=reviews_trainer)
    then = decai.json("evaluate", path, "--block", block, trainer=reviews_trainer)

    assert now["accuracy"] > before["accuracy"]
    assert {**then, "block": None} == before
    assert then["block"] == block
    assert then["confusion"]["matrix"] == expected_scores(reviews_trainer, words_of, labelled_samples, block)[1]


@pytest.mark.parametrize(
    "block, expected",
    [
        pytest.param("BEYOND", "is beyond the head of this chain", id="beyond-the-head"),
        pytest.param("BEFORE", "is before this trainer existed (it was deployed in block", id="before-the-trainer"),
    ],
)
def test_evaluate__block_out_of_range__fails(decai, tmp_path, reviews_trainer, labelled_samples, chain, block, expected):
    path = labelled_file(tmp_path, labelled_samples)
    number = chain.blocks.head.number + 5 if block == "BEYOND" else reviews_trainer.deployment["block"] - 1

    assert expected in decai.fails("evaluate", path, "--block", number, trainer=reviews_trainer)


@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param("text,label\ngreat film,fresh\ndull film,meh\n", "line 3: unknown class 'meh' (classes: fresh, rotten)", id="unknown-label"),
        pytest.param("", "the file is empty", id="empty-file"),
        pytest.param("text,label\n", "no samples", id="header-only"),
        pytest.param("text,label\na,fresh,extra\n", "line 2: expected 2 fields", id="bad-csv"),
        pytest.param("text\ngreat film\n", "missing column label", id="no-labels"),
    ],
)
def test_evaluate__bad_file__fails_with_one_line(decai, tmp_path, reviews_trainer, content, expected):
    path = tmp_path / "samples.csv"
    path.write_text(content, encoding="utf-8")

    assert expected in decai.fails("evaluate", path, trainer=reviews_trainer)


def test_evaluate__missing_file__usage_error(decai, reviews_trainer):
    assert "does not exist" in decai.usage_error("evaluate", "missing.csv", trainer=reviews_trainer)


# --- add-data --file ----------------------------------------------------------------------------------


def data_added(trainer, chain, contributor):
    return [
        (tuple(int(w) for w in log.event_arguments["data"]), int(log.event_arguments["label"]))
        for log in trainer.contract.DataAdded.range(0, chain.blocks.head.number + 1, search_topics={"contributor": contributor.address})
    ]


def distinct(samples, words_of):
    """The samples whose features differ from every earlier one's (the same features and label
    twice in one second would be a duplicate contribution: see the test of repeated samples)."""
    seen, out = set(), []
    for text, label in samples:
        if tuple(words_of(text)) not in seen:
            seen.add(tuple(words_of(text)))
            out.append((text, label))
    return out


@pytest.fixture
def block_time_steps(chain):
    """Every new block one second after the last (Anvil), so no wall-clock wait is needed."""
    chain.provider.make_request("anvil_setBlockTimestampInterval", [1])
    yield
    chain.provider.make_request("anvil_removeBlockTimestampInterval", [])


def test_add_data_file__adds_every_sample__and_a_rerun_sends_nothing_more(decai, tmp_path, reviews_trainer, contributor, labelled_samples, words_of, chain):
    samples = distinct(labelled_samples, words_of)[:5]
    path = write_jsonl(tmp_path / "samples.jsonl", [{"text": t, "label": label} for t, label in samples])

    first = decai.json("add-data", "--file", path, account=contributor, trainer=reviews_trainer)
    nonce = contributor.nonce
    again = decai.json("add-data", "--file", path, account=contributor, trainer=reviews_trainer)

    expected = [(tuple(words_of(t)), CLASSES.index(label)) for t, label in samples]
    assert data_added(reviews_trainer, chain, contributor) == expected
    assert (first["sent"], first["already_contributed"], first["complete"]) == (5, 0, True)
    assert [t["line"] for t in first["transactions"]] == [1, 2, 3, 4, 5]
    assert first["last_transaction"] == first["transactions"][-1]["transaction"]
    assert (again["sent"], again["already_contributed"], again["not_sent"]) == (0, 5, 0)
    assert contributor.nonce == nonce


def test_add_data_file__stops_at_the_first_refusal__and_a_rerun_continues(decai, tmp_path, reviews_trainer, contributor, labelled_samples, words_of, chain):
    # A day after the last contribution the deposit is the floor; one second after, it is far more
    # than --max-deposit: the first sample goes through, the second is refused.
    samples = distinct(labelled_samples, words_of)[:4]
    path = labelled_file(tmp_path, samples)
    chain.mine(deltatime=DAY)

    message = decai.fails("add-data", "--file", path, "--max-deposit", "0.001 ether", account=contributor, trainer=reviews_trainer)

    assert message.startswith("sent 1 of 4 sample(s) (last transaction 0x")
    assert "stopped at line 3: the deposit asked for the next block is" in message
    assert "more than --max-deposit" in message and "3 not sent" in message and "run the same command again" in message
    assert len(data_added(reviews_trainer, chain, contributor)) == 1

    result = decai.ok("add-data", "--file", path, account=contributor, trainer=reviews_trainer)

    assert result.stdout.startswith("sent 3 of 4 sample(s) (last transaction 0x")
    assert "1 already contributed by this account, skipped" in result.stdout
    expected = [(tuple(words_of(t)), CLASSES.index(label)) for t, label in samples]
    assert data_added(reviews_trainer, chain, contributor) == expected


def test_add_data_file__a_repeated_sample_is_sent_as_often_as_the_file_has_it(decai, tmp_path, reviews_points_trainer, contributor, texts, chain, block_time_steps):
    text = texts.firm["fresh"][0]
    path = labelled_file(tmp_path, [(text, "fresh")])
    decai.ok("add-data", "--file", path, account=contributor, trainer=reviews_points_trainer)
    twice = labelled_file(tmp_path, [(text, "fresh"), (text, "fresh"), (text, "rotten")], name="twice.csv")

    out = decai.json("add-data", "--file", twice, account=contributor, trainer=reviews_points_trainer)

    assert (out["sent"], out["already_contributed"]) == (2, 1)
    assert [label for _, label in data_added(reviews_points_trainer, chain, contributor)] == [0, 0, 1]


@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param("text,label\ngreat film,fresh\ndull film,meh\n", "line 3: unknown class 'meh'", id="unknown-label"),
        pytest.param("text,label\ngreat film,fresh\nUNKNOWN,rotten\n", "line 3: none of the words of this text is in the model's vocabulary", id="unreadable-text"),
        pytest.param("", "the file is empty", id="empty-file"),
        pytest.param('text,label\n"unclosed,fresh\n', "malformed CSV", id="malformed-csv"),
    ],
)
def test_add_data_file__bad_file__fails_before_sending_anything(decai, tmp_path, reviews_trainer, contributor, texts, content, expected):
    path = tmp_path / "samples.csv"
    path.write_text(content.replace("UNKNOWN", texts.unknown), encoding="utf-8")
    nonce = contributor.nonce

    assert expected in decai.fails("add-data", "--file", path, account=contributor, trainer=reviews_trainer)
    assert contributor.nonce == nonce


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["--file", "FILE", "--label", "fresh"], "--label is for TEXT", id="label-with-file"),
        pytest.param(["a fine film"], "missing option '--label'", id="text-without-label"),
        pytest.param(["--file", "missing.csv"], "does not exist", id="missing-file"),
    ],
)
def test_add_data_file__usage_errors(decai, tmp_path, reviews_trainer, contributor, args, expected):
    path = labelled_file(tmp_path, [("a fine film", "fresh")])
    args = [str(path) if a == "FILE" else a for a in args]

    assert expected in decai.usage_error("add-data", *args, account=contributor, trainer=reviews_trainer)


# --- numbers, and no trainer ------------------------------------------------------------------------


def test_files_of_numbers__dense_model__predict_and_evaluate(decai, tmp_path, creator):
    samples, classes, features = load_sklearn_dataset("breast-cancer")
    model = train_model(samples, classes, model="dense-perceptron", feature_names=features, name="bc", dataset="breast-cancer")
    trainer = deploy(model, "deposit", sender=creator).trainer
    reference, encoder = model_from_file(model), encoder_from_model_file(model)
    chosen = samples[:20] + samples[-20:]
    path = write_csv(tmp_path / "bc.csv", [[*x, classes[y]] for x, y in chosen], header=[f"f{k}" for k in range(len(features))] + ["label"])
    expected = [reference.predict(encoder.encode(x)) for x, _ in chosen]

    predicted = decai.ok("predict", "--file", path, trainer=trainer)
    scores = decai.json("evaluate", path, trainer=trainer)

    assert predicted.stdout.splitlines() == [classes[k] for k in expected]
    assert scores["correct"] == sum(k == y for k, (_, y) in zip(expected, chosen, strict=True))
    assert scores["scored"] == 40


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_files__no_trainer_on_this_network__fails(decai, tmp_path, command):
    path = labelled_file(tmp_path, [("a fine film", "fresh")])

    assert decai.fails(command, *(["--file"] if command == "predict" else []), path).startswith("no trainer on this network")
