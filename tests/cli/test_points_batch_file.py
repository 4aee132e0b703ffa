"""`add-data --file` to a points trainer: batches of `MAX_BATCH` samples (`PointsTrainer.add_batch`)."""

import ape
import pytest

from ape_decai.batch import contribute
from ape_decai.datasets import FileText
from ape_decai.errors import DecaiError
from ape_decai.packing import pack_indices
from ape_decai.training import encoder_from_model_file

from .conftest import CLASSES
from .test_files import labelled_file


@pytest.fixture(scope="module")
def words_of(review_model):
    """Text -> the packed feature words, with the model file's encoder (not the chain's)."""
    encoder = encoder_from_model_file(review_model)
    return lambda text: pack_indices(encoder.encode(text))


@pytest.fixture
def sixty(texts, words_of):
    """Sixty (text, label) pairs of real reviews with features distinct from each other."""
    seen, out = set(), []
    for label in CLASSES:
        for text in texts.firm[label] + texts.flippable[label]:
            if tuple(words_of(text)) not in seen and len(out) < 30 * (CLASSES.index(label) + 1):
                seen.add(tuple(words_of(text)))
                out.append((text, label))
    assert len(out) == 60, f"too few distinct review texts: {len(out)}"
    return out


def data_added(trainer, chain, contributor):
    return [
        (tuple(int(w) for w in log.event_arguments["data"]), int(log.event_arguments["label"]))
        for log in trainer.contract.DataAdded.range(0, chain.blocks.head.number + 1, search_topics={"contributor": contributor.address})
    ]


def expected(samples, words_of):
    return [(tuple(words_of(t)), CLASSES.index(label)) for t, label in samples]


def test_add_data_file__points__sixty_samples_in_two_batches__and_a_rerun_sends_nothing(decai, tmp_path, reviews_points_trainer, contributor, sixty, words_of, chain):
    path = labelled_file(tmp_path, sixty)

    first = decai.json("add-data", "--file", path, account=contributor, trainer=reviews_points_trainer)
    nonce = contributor.nonce
    again = decai.json("add-data", "--file", path, account=contributor, trainer=reviews_points_trainer)

    assert data_added(reviews_points_trainer, chain, contributor) == expected(sixty, words_of)
    assert (first["sent"], first["complete"], first["transaction_count"]) == (60, True, 2)
    hashes = [t["transaction"] for t in first["transactions"]]
    assert hashes == [hashes[0]] * 50 + [hashes[-1]] * 10 and hashes[0] != hashes[-1]
    receipts = [chain.provider.get_receipt(h) for h in (hashes[0], hashes[-1])]
    assert first["gas_used"] == sum(int(r.gas_used) for r in receipts)
    assert [len(r.events.filter(reviews_points_trainer.contract.DataAdded)) for r in receipts] == [50, 10]
    assert (again["sent"], again["already_contributed"], again["transaction_count"]) == (0, 60, 0)
    assert contributor.nonce == nonce


def test_add_data_file__points__text_output_counts_transactions(decai, tmp_path, reviews_points_trainer, contributor, sixty):
    path = labelled_file(tmp_path, sixty[:3])

    out = decai.ok("add-data", "--file", path, account=contributor, trainer=reviews_points_trainer).stdout

    assert out.startswith("sent 3 of 3 sample(s) (last transaction 0x")
    assert " in 1 transaction(s); deposits: 0" in out


def test_add_batch__the_same_sample_twice__the_contract_refuses_the_batch(reviews_points_trainer, contributor, texts, words_of):
    words = words_of(texts.firm["fresh"][0])

    with ape.reverts("data_handler: duplicate contribution"):
        reviews_points_trainer.contract.add_data_batch([words, words], [0, 0], sender=contributor)


def test_add_batch__the_same_sample_twice__refused_in_one_line_before_sending(reviews_points_trainer, contributor, texts, words_of):
    words, other = words_of(texts.firm["fresh"][0]), words_of(texts.firm["rotten"][0])
    nonce = contributor.nonce

    with pytest.raises(DecaiError, match=r"^sample 3 of the batch repeats an earlier one with the same label: .* nothing sent"):
        reviews_points_trainer.add_batch([words, other, words], [0, 1, 0], contributor)

    assert contributor.nonce == nonce


@pytest.mark.parametrize(
    "size, labels, expected",
    [
        pytest.param(0, [], "an empty batch: nothing to send", id="empty"),
        pytest.param(2, [0], "2 sample(s) but 1 label(s): one label per sample; nothing sent", id="labels"),
        pytest.param(51, [0] * 51, "51 samples: this trainer takes at most 50 per batch; nothing sent", id="too-many"),
    ],
)
def test_add_batch__bad_batch__refused_in_one_line(reviews_points_trainer, contributor, sixty, words_of, size, labels, expected):
    words_list = [words_of(t) for t, _ in (sixty * 2)[:size]]
    nonce = contributor.nonce

    with pytest.raises(DecaiError) as err:
        reviews_points_trainer.add_batch(words_list, labels, contributor)

    assert str(err.value) == expected
    assert contributor.nonce == nonce


def test_add_data_file__points__a_sample_twice_in_one_batch__is_split_and_both_added(decai, tmp_path, reviews_points_trainer, contributor, sixty, words_of, chain):
    # No block-time interval: the second copy waits for the chain's clock to pass the first's.
    samples = [sixty[0], sixty[1], sixty[0], sixty[2]]
    path = labelled_file(tmp_path, samples)

    out = decai.json("add-data", "--file", path, account=contributor, trainer=reviews_points_trainer)

    assert (out["sent"], out["complete"], out["transaction_count"]) == (4, True, 2)
    assert [t["line"] for t in out["transactions"]] == [2, 3, 4, 5]
    assert data_added(reviews_points_trainer, chain, contributor) == expected(samples, words_of)


def test_contribute__points__a_refusal_after_the_first_batch__reports_what_was_sent(reviews_points_trainer, contributor, sixty, words_of, chain):
    samples = [FileText(k + 2, text, CLASSES.index(label)) for k, (text, label) in enumerate(sixty)]
    progress = []

    def drain_after_the_first_batch(done, total, what=""):
        progress.append((done, total))
        if done == 50:
            contributor.balance = 0  # the account is emptied between the two batches

    result = contribute(reviews_points_trainer, samples, contributor, on_progress=drain_after_the_first_batch)

    assert progress == [(0, 60), (50, 60)]
    assert (len(result.sent), result.not_sent, result.stopped_at, result.complete) == (50, 10, 52, False)
    assert result.reason.startswith(f"insufficient funds: {contributor.address} holds 0 wei")
    assert result.summary().startswith("sent 50 of 60 sample(s) (last transaction 0x")
    assert "stopped at line 52: insufficient funds" in result.summary() and "10 not sent" in result.summary()
    assert data_added(reviews_points_trainer, chain, contributor) == expected(sixty[:50], words_of)
