"""The same sample added again by the same account: a contribution is keyed by its data, label,
contributor and block time, so it is a duplicate only in a block of the same second. The dry run
before sending runs on the pending block (where the transaction lands), not the latest one (whose
time is the first contribution's). The node's clock is set with `evm_setNextBlockTimestamp` (a
later second, or the same one), never by sleeping."""

import pytest


def next_block_at(chain, timestamp: int) -> None:
    chain.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


@pytest.mark.parametrize("mechanism", ["deposit", "points"])
def test_add_data__same_sample_again_in_a_later_second__is_accepted(decai, chain, deploy_reviews_trainer, contributor, texts, added, mechanism):
    trainer, text = deploy_reviews_trainer(mechanism), texts.firm["fresh"][0]
    first = decai.json("add-data", text, "-l", "fresh", account=contributor, trainer=trainer)
    next_block_at(chain, first["added_at"] + 1)  # a command a second later, by the node's clock

    second = decai.json("add-data", text, "-l", "fresh", account=contributor, trainer=trainer)

    assert second["added_at"] == first["added_at"] + 1
    assert added(trainer, chain.get_receipt(second["transaction"])).data == trainer.encode(text)
    assert [c.added_at for c in trainer.contributions(contributor.address)] == [first["added_at"], first["added_at"] + 1]


def test_add_data__same_sample_again_in_a_later_second__is_accepted_through_the_api(chain, reviews_points_trainer, contributor, texts):
    trainer, text = reviews_points_trainer, texts.firm["rotten"][0]
    first = trainer.add_data(text, "rotten", contributor)
    next_block_at(chain, first.timestamp + 1)

    second = trainer.add_data(text, "rotten", contributor)

    assert second.timestamp == first.timestamp + 1
    assert len(trainer.contributions(contributor.address)) == 2


@pytest.mark.parametrize("mechanism", ["deposit", "points"])
def test_add_data__same_sample_again_in_the_same_second__is_refused_before_sending(decai, chain, deploy_reviews_trainer, contributor, texts, mechanism):
    trainer, text = deploy_reviews_trainer(mechanism), texts.firm["fresh"][0]
    first = decai.json("add-data", text, "-l", "fresh", account=contributor, trainer=trainer)
    next_block_at(chain, first["added_at"])  # the next block in the same second
    nonce, head = contributor.nonce, chain.blocks.head.number

    message = decai.fails("add-data", text, "-l", "fresh", account=contributor, trainer=trainer)

    assert message == (
        f"duplicate: {contributor.address} added this sample with this label in a block of the same second "
        "(a contribution is keyed by data, label, contributor and block time): nothing sent; send it again in a later block"
    )
    assert (contributor.nonce, chain.blocks.head.number) == (nonce, head)
    assert len(trainer.contributions(contributor.address)) == 1
