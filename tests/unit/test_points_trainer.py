"""The points trainer: free contributions, on-chain tallies and validation (paper III-A)."""

import ape
import pytest

from ape_decai.packing import pack_indices

WEEK = 7 * 24 * 60 * 60
ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture
def add(record_key):
    """Function (trainer, sender, indices, label) -> (words, label, added_at, key, receipt)."""

    def add(trainer, sender, indices, label):
        words = pack_indices(indices)
        receipt = trainer.add_data(words, label, sender=sender)
        return words, label, receipt.timestamp, record_key(words, label, receipt.timestamp, sender), receipt

    return add


def test_deploy__logs_trainer_deployed_and_views(points_trainer, chain, creator, points_defaults, t):
    receipt = chain.get_receipt(points_trainer.txn_hash)
    assert receipt.events == [
        points_trainer.OwnershipTransferred(previous_owner=ZERO_ADDRESS, new_owner=creator.address),
        points_trainer.TrainerDeployed(
            creator=creator.address,
            name=points_defaults["name"],
            description=points_defaults["description"],
            encoder=points_defaults["encoder"],
        ),
    ]
    assert points_trainer.deployed_at_block() == receipt.block_number
    assert points_trainer.owner() == creator
    assert points_trainer.validation_wait() == t
    assert points_trainer.total_good_data() == 0


def test_seal__not_owner__reverts(deploy_points_trainer, stranger):
    trainer = deploy_points_trainer(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.seal(sender=stranger)


def test_initialize_weights__not_owner__reverts(deploy_points_trainer, contributor):
    trainer = deploy_points_trainer(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.initialize_weights(0, [1], sender=contributor)


def test_initialize_weights_then_seal__owner__works(deploy_points_trainer, creator, contributor):
    trainer = deploy_points_trainer(seal=False, weight_words=[])
    trainer.initialize_weights(0, [2**16 - 1], sender=creator)  # weight 0 = -1, others 0
    trainer.seal(sender=creator)
    assert trainer.predict(pack_indices([0])) == 0
    trainer.add_data(pack_indices([0]), 1, sender=contributor)
    assert trainer.intercept() == 1


def test_add_data__not_sealed__reverts(deploy_points_trainer, contributor):
    trainer = deploy_points_trainer(seal=False)
    with ape.reverts("sparse_perceptron: not sealed"):
        trainer.add_data(pack_indices([0]), 1, sender=contributor)


# --- add_data -------------------------------------------------------------------------------------


def test_add_data__logs_data_added_and_records_it(points_trainer, add, contributor, unpack_record):
    words, label, added_at, key, receipt = add(points_trainer, contributor, [3, 4, 5], 1)
    assert receipt.events == [
        points_trainer.DataAdded(
            contributor=contributor.address, label=1, deposit=0, added_at=added_at, data=words
        )
    ]
    assert unpack_record(points_trainer.records(key)) == (True, False, 0, 0)


def test_add_data__counts_contributions_per_address(points_trainer, add, contributor, other_contributor):
    for k in range(3):
        add(points_trainer, contributor, [k], 1)
    add(points_trainer, other_contributor, [5], 0)
    assert points_trainer.contributions(contributor) == 3
    assert points_trainer.contributions(other_contributor) == 1
    assert points_trainer.contributions(ape.accounts.test_accounts[5]) == 0


@pytest.mark.parametrize(
    "labels, bitmask", [([], 0), ([0], 1), ([1], 2), ([1, 1], 2), ([0, 1], 3), ([1, 0, 1], 3)]
)
def test_add_data__labels_contributed__is_a_bitmask_of_labels(
    points_trainer, add, contributor, labels, bitmask
):
    for k, label in enumerate(labels):
        add(points_trainer, contributor, [k], label)
    assert points_trainer.labels_contributed(contributor) == bitmask


def test_add_data__active_weeks__counts_distinct_weeks(
    points_trainer, add, chain, contributor, other_contributor
):
    week = chain.pending_timestamp // WEEK + 1
    chain.pending_timestamp = week * WEEK  # the first second of a week
    add(points_trainer, contributor, [0], 1)
    assert points_trainer.active_weeks(contributor) == 1
    chain.pending_timestamp = week * WEEK + WEEK - 1  # its last second
    add(points_trainer, contributor, [1], 1)
    assert points_trainer.active_weeks(contributor) == 1
    chain.pending_timestamp = (week + 1) * WEEK  # the next week
    add(points_trainer, contributor, [2], 1)
    assert points_trainer.active_weeks(contributor) == 2
    chain.mine(deltatime=3 * WEEK)  # a gap of weeks still counts once
    add(points_trainer, contributor, [3], 1)
    add(points_trainer, other_contributor, [3], 1)
    assert points_trainer.active_weeks(contributor) == 3
    assert points_trainer.active_weeks(other_contributor) == 1


def test_add_data__weekly_routine__one_week_each(points_trainer, add, chain, contributor):
    for k in range(4):
        add(points_trainer, contributor, [k], 1)
        chain.mine(deltatime=WEEK)
    assert points_trainer.active_weeks(contributor) == 4


def test_add_data__with_value__reverts(points_trainer, contributor):
    # Nothing is payable: the call is rejected before any check of the contract's own.
    with ape.reverts():
        points_trainer.add_data(pack_indices([0]), 1, sender=contributor, value=1)
    assert points_trainer.contributions(contributor) == 0


def test_add_data__plain_transfer__reverts(points_trainer, contributor):
    with ape.reverts():
        contributor.transfer(points_trainer, 1)
    assert points_trainer.balance == 0


def test_add_data__same_sample_same_time__reverts(points_trainer, chain, contributor):
    now = chain.pending_timestamp + 5
    chain.pending_timestamp = now
    points_trainer.add_data(pack_indices([7]), 1, sender=contributor)
    chain.pending_timestamp = now
    with ape.reverts("data_handler: duplicate contribution"):
        points_trainer.add_data(pack_indices([7]), 1, sender=contributor)


# --- validate -------------------------------------------------------------------------------------


def test_validate__after_wait_model_agrees__earns_a_point(
    points_trainer, add, chain, contributor, ones_sample, unpack_record, t
):
    words, label, added_at, key, _ = add(points_trainer, contributor, ones_sample, 1)
    chain.pending_timestamp = added_at + t
    receipt = points_trainer.validate(words, label, added_at, sender=contributor)
    assert receipt.events == [points_trainer.DataValidated(contributor=contributor.address, key=key)]
    assert points_trainer.good_data_count(contributor) == 1
    assert points_trainer.total_good_data() == 1
    assert unpack_record(points_trainer.records(key)) == (True, True, 0, 0)


def test_validate__total__sums_over_addresses(points_trainer, add, chain, contributor, other_contributor, t):
    mine = [add(points_trainer, contributor, [k], 1) for k in range(2)]
    theirs = add(points_trainer, other_contributor, [60], 0)
    chain.mine(deltatime=t)
    for words, label, added_at, _, _ in mine:
        points_trainer.validate(words, label, added_at, sender=contributor)
    points_trainer.validate(*theirs[:3], sender=other_contributor)
    assert points_trainer.good_data_count(contributor) == 2
    assert points_trainer.good_data_count(other_contributor) == 1
    assert points_trainer.total_good_data() == 3


def test_validate__twice__reverts(points_trainer, add, chain, contributor, ones_sample, t):
    words, label, added_at, _, _ = add(points_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=t)
    points_trainer.validate(words, label, added_at, sender=contributor)
    with ape.reverts("points: already validated"):
        points_trainer.validate(words, label, added_at, sender=contributor)


def test_validate__before_wait__reverts(points_trainer, add, chain, contributor, ones_sample, t):
    words, label, added_at, _, _ = add(points_trainer, contributor, ones_sample, 1)
    chain.pending_timestamp = added_at + t - 1
    with ape.reverts("points: validation wait not over"):
        points_trainer.validate(words, label, added_at, sender=contributor)


def test_validate__model_disagrees__reverts(points_trainer, add, chain, contributor, ones_sample, t):
    words, label, added_at, _, _ = add(points_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    with ape.reverts("points: model disagrees"):
        points_trainer.validate(words, label, added_at, sender=contributor)


def test_validate__someone_elses_contribution__reverts(
    points_trainer, add, chain, contributor, stranger, ones_sample, t
):
    words, label, added_at, _, _ = add(points_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=t)
    with ape.reverts("data_handler: unknown contribution"):
        points_trainer.validate(words, label, added_at, sender=stranger)


def test_validate__zero_wait__works_in_the_next_block(deploy_points_trainer, add, contributor, ones_sample):
    trainer = deploy_points_trainer(validation_wait=0)
    words, label, added_at, _, _ = add(trainer, contributor, ones_sample, 1)
    trainer.validate(words, label, added_at, sender=contributor)
    assert trainer.good_data_count(contributor) == 1
