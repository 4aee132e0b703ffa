"""The scores of `ape decai evaluate` (`batch.Evaluation`) and the one-line report of
`add-data --file` (`batch.Contributed`): arithmetic only, no chain."""

import pytest

from ape_decai.batch import BATCH_WORDS, Contributed, Evaluation, Sent, as_input, batches
from ape_decai.datasets import FileText


def test_evaluation__accuracy_precision_recall_from_the_confusion_matrix():
    e = Evaluation(["rotten", "fresh"], [[3, 1], [2, 4]], skipped=[(7, "no known word")])

    assert (e.scored, e.correct, e.accuracy) == (10, 7, 0.7)
    assert e.precision(0) == pytest.approx(3 / 5) and e.recall(0) == pytest.approx(3 / 4)
    assert e.precision(1) == pytest.approx(4 / 5) and e.recall(1) == pytest.approx(4 / 6)
    d = e.as_dict()
    assert d["samples"] == 11 and d["skipped"] == [{"line": 7, "reason": "no known word"}]
    assert [c["support"] for c in d["classes"]] == [4, 6]


def test_evaluation__a_class_never_predicted_or_absent__has_no_precision_or_recall():
    e = Evaluation(["a", "b", "c"], [[2, 0, 0], [1, 0, 0], [0, 0, 0]])

    assert e.precision(1) is None and e.recall(1) == 0
    assert e.precision(2) is None and e.recall(2) is None
    assert Evaluation(["a", "b"], [[0, 0], [0, 0]]).accuracy is None


def test_contributed__summary_says_what_was_sent_and_what_not():
    done = Contributed(total=4, sent=[Sent(2, "0xabc", 80_000, 10)], already=[1], stopped_at=3, reason="the contract refused: x", not_sent=2)

    assert not done.complete
    assert done.summary() == (
        "sent 1 of 4 sample(s) (last transaction 0xabc); 1 already contributed by this account, skipped; "
        "stopped at line 3: the contract refused: x; 2 not sent (run the same command again to continue: what was sent is skipped)"
    )
    assert done.as_dict()["stopped_at"] == {"line": 3, "reason": "the contract refused: x"}
    assert Contributed(total=0).complete


def test_as_input__a_vector_is_one_text_of_exact_numbers():
    assert as_input([1.0, -2.5, 1e-7]) == "1.0, -2.5, 1e-07"
    assert as_input("a text") == "a text"


# --- add-data --file batches: by samples, by input words, never a repeat ------------------------


def _pending(word_counts, same=()):
    """(sample, packed words) pairs: sample k has word_counts[k] words, distinct unless in `same`."""
    return [(FileText(k + 2, f"text {k}", 0), [0 if k in same else k + 1] * n) for k, n in enumerate(word_counts)]


def test_batches__long_texts__cut_by_input_words_so_a_batch_fits_a_block():
    full = BATCH_WORDS // 16  # samples of 16 words (256 features, the per-sample maximum)
    groups = batches(_pending([16] * (full + 1)), 50, BATCH_WORDS)

    assert [len(g) for g in groups] == [full, 1]
    assert all(sum(len(words) for _, words in g) <= BATCH_WORDS for g in groups)


def test_batches__short_texts__cut_by_the_contract_s_sample_bound():
    assert [len(g) for g in batches(_pending([1] * 60), 50, BATCH_WORDS)] == [50, 10]


def test_batches__a_sample_larger_than_the_word_bound__goes_alone():
    assert [len(g) for g in batches(_pending([2, BATCH_WORDS + 1, 2]), 50, BATCH_WORDS)] == [1, 1, 1]


def test_batches__a_repeat__starts_a_new_batch():
    assert [[s.number for s, _ in g] for g in batches(_pending([1, 1, 1], same=(0, 2)), 50, BATCH_WORDS)] == [[2, 3], [4]]
