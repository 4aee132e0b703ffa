"""The scores of `ape decai evaluate` (`batch.Evaluation`) and the one-line report of
`add-data --file` (`batch.Contributed`): arithmetic only, no chain."""

import pytest

from ape_decai.batch import Contributed, Evaluation, Sent, as_input


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
