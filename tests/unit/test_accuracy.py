"""The accuracy comparison: twins under a per-sample limit vs scikit-learn on the same features."""

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ape_decai.accuracy import compare, compare_split, order_vocabulary, truncate
from ape_decai.datasets import load_convention_speeches, load_rotten_tomatoes


@pytest.fixture(scope="module")
def speeches():
    return load_convention_speeches()


def test_truncate__keeps_the_lowest_indices():
    assert truncate([9, 2, 40, 5, 7], 3) == [2, 5, 7]
    assert truncate([9, 2], 3) == [2, 9]
    assert truncate([9, 2, 40], None) == [2, 9, 40]


def test_order_vocabulary__by_class_association__puts_the_telling_word_first():
    vocabulary = ["common", "telling", "rare"]
    # "common" in every sample, "telling" only in class 1, "rare" once in each class.
    train = [([0, 1], 1), ([0, 1], 1), ([0, 1, 2], 1), ([0], 0), ([0], 0), ([0, 2], 0)]
    assert order_vocabulary(vocabulary, train, "frequency") == vocabulary
    assert order_vocabulary(vocabulary, train, "chi2")[0] == "telling"
    assert order_vocabulary(vocabulary, train, "log-odds")[0] == "telling"
    with pytest.raises(ValueError, match="unknown ordering 'tf-idf'"):
        order_vocabulary(vocabulary, train, "tf-idf")


def test_without_a_limit__the_count_twins_score_exactly_as_scikit_learn():
    # Naive Bayes and nearest centroid are deterministic: same features, same accuracy. (Review
    # snippets: none has more features than the twins accept without lifting their check.)
    result = compare_split(load_rotten_tomatoes()[:1500], ["naive-bayes", "sparse-ncc"], 500, [None], seed=3)

    for model_id in ("naive-bayes", "sparse-ncc"):
        assert result.ours[(model_id, None)] == pytest.approx(result.sklearn[model_id], abs=1e-6)
    assert result.truncated == {None: 0.0}


def test_a_limit__cuts_the_long_speeches_and_changes_what_the_model_sees(speeches):
    result = compare_split(speeches, ["naive-bayes"], 1000, [32, 128], seed=0)

    assert result.truncated[32] > 0.95 and 0.5 < result.truncated[128] < result.truncated[32]  # hundreds of words
    assert result.held_out == 38
    assert result.ours[("naive-bayes", 32)] != result.ours[("naive-bayes", 128)]


def test_compare__averages_the_splits(speeches):
    rows = compare("convention-speeches", speeches, ["sparse-ncc"], 500, [128], seeds=[0, 1])

    (row,) = rows
    splits = [compare_split(speeches, ["sparse-ncc"], 500, [128], seed=s) for s in (0, 1)]
    assert row.ours == [s.ours[("sparse-ncc", 128)] for s in splits]
    assert row.ours_mean == pytest.approx(sum(row.ours) / 2)
    assert row.to_dict()["estimator"] == "NearestCentroid" and row.to_dict()["splits"] == 2


def test_compare__dense_model__is_refused(speeches):
    with pytest.raises(ValueError, match="not a sparse model: ncc"):
        compare("convention-speeches", speeches, ["ncc"], 500, [None], seeds=[0])


def report_cli():
    """The `cli` command of scripts/accuracy_report.py (a script, not a module of the package)."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "accuracy_report.py"
    spec = importlib.util.spec_from_file_location("accuracy_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cli


def test_report_script__json_and_markdown():
    cli = report_cli()
    args = ["--dataset", "convention-speeches", "--model", "naive-bayes", "--seeds", "1", "--max-features", "128,none"]
    report = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)
    table = CliRunner().invoke(cli, [*args, "--markdown"], catch_exceptions=False).output

    rows = {r["max_features"]: r for r in report["rows"]}
    assert set(rows) == {128, None}
    assert rows[None]["gap"] == 0.0  # no limit: exactly scikit-learn's MultinomialNB
    assert rows[128]["truncated_fraction"] > 0.5
    assert report["within_target"] == {"128": rows[128]["gap"] >= -0.03}
    assert "| convention-speeches | naive-bayes | MultinomialNB " in table
    assert f"{rows[128]['ours']:.3f}" in table
