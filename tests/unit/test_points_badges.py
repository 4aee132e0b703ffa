"""Badges on chain (paper III-A, issue 13): the points trainers' `badges(account)` view sets one
bit per badge once the account's tallies reach its threshold. Each threshold is checked at its
edge: one below (not earned) and exactly at it (earned), walking the tallies up one contribution,
validation or week at a time; the names come from `ape_decai.trainers.BADGES` in the same order."""

from itertools import combinations

from ape_decai.packing import pack_indices
from ape_decai.trainers import BADGES, badge_names, highest_badges

WEEK = 7 * 24 * 60 * 60
# Distinct two-word samples of the 100-feature default model: enough for 1,000 contributions.
PAIRS = [list(p) for p in combinations(range(100), 2)]


def bit(name: str) -> int:
    return 1 << BADGES.index(name)


def _walk(trainer, who, add_until, edges, name_of):
    """Raise the tally with `add_until(n)` to each edge's n-1 and n: badge clear, then set."""
    for n in edges:
        add_until(n - 1)
        assert not trainer.badges(who) & bit(name_of(n)), f"{name_of(n)} earned one below"
        add_until(n)
        assert trainer.badges(who) & bit(name_of(n)), f"{name_of(n)} not earned at its threshold"


def test_badges__none_before_any_contribution(points_trainer, stranger):
    assert points_trainer.badges(stranger) == 0
    assert badge_names(0) == []


def test_badges__bit_order_matches_the_names():
    assert len(BADGES) == len(set(BADGES)) == 11
    assert badge_names(0b100_1001_0001) == ["1 contribution", "1 validated", "every side (2 labels)", "12 weeks"]


def test_highest_badges__one_per_family_the_highest():
    every = badge_names(2**len(BADGES) - 1)
    assert highest_badges(every) == ["1000 contributions", "100 validated", "every side (2 labels)", "12 weeks"]
    assert highest_badges(["1 contribution", "10 contributions", "2 weeks"]) == ["10 contributions", "2 weeks"]
    assert highest_badges([]) == []


def test_badges__contributions__at_1_10_100_1000(points_trainer, contributor):
    made = [0]

    def add_until(n):
        while made[0] < n:
            k = min(n - made[0], int(points_trainer.MAX_BATCH()))
            batch = PAIRS[made[0] : made[0] + k]
            points_trainer.add_data_batch([pack_indices(p) for p in batch], [0] * k, sender=contributor)
            made[0] += k
        assert points_trainer.contributions(contributor) == n

    _walk(points_trainer, contributor, add_until, [1, 10, 100, 1000], lambda n: f"{n} contribution{'s' * (n > 1)}")
    # label 0 only, one week, nothing validated: exactly the four contribution badges
    assert badge_names(points_trainer.badges(contributor)) == [
        "1 contribution",
        "10 contributions",
        "100 contributions",
        "1000 contributions",
    ]


def test_badges__validated__at_1_10_100(points_trainer, chain, contributor, t):
    # 100 contributions the model agrees with (so it does not change), validated after the wait
    samples = [pack_indices(p) for p in PAIRS[:100]]
    labels = [int(points_trainer.predict(words)) for words in samples]
    batch = int(points_trainer.MAX_BATCH())
    added = []
    for start in range(0, len(samples), batch):
        receipt = points_trainer.add_data_batch(
            samples[start : start + batch], labels[start : start + batch], sender=contributor
        )
        added += [(list(e.data), e.label, e.added_at) for e in receipt.events.filter(points_trainer.DataAdded)]
    chain.mine(deltatime=t)
    validated = [0]

    def validate_until(n):
        while validated[0] < n:
            points_trainer.validate(*added[validated[0]], sender=contributor)
            validated[0] += 1
        assert points_trainer.good_data_count(contributor) == n

    _walk(points_trainer, contributor, validate_until, [1, 10, 100], lambda n: f"{n} validated")


def test_badges__every_side__at_two_distinct_labels(points_trainer, contributor, other_contributor):
    for who, first in ((contributor, 0), (other_contributor, 1)):
        points_trainer.add_data(pack_indices([1, 2]), first, sender=who)
        points_trainer.add_data(pack_indices([3, 4]), first, sender=who)  # the same label again
        assert not points_trainer.badges(who) & bit("every side (2 labels)")
        points_trainer.add_data(pack_indices([5, 6]), 1 - first, sender=who)
        assert points_trainer.badges(who) & bit("every side (2 labels)")


def test_badges__weeks__at_2_4_12(points_trainer, chain, contributor):
    weeks = [0]

    def contribute_until(n):
        while weeks[0] < n:
            if weeks[0]:
                chain.mine(deltatime=WEEK)
            points_trainer.add_data(pack_indices(PAIRS[weeks[0]]), 0, sender=contributor)
            weeks[0] += 1
        assert points_trainer.active_weeks(contributor) == n

    contribute_until(1)
    points_trainer.add_data(pack_indices(PAIRS[-1]), 0, sender=contributor)  # the same week: no new week
    assert points_trainer.active_weeks(contributor) == 1
    _walk(points_trainer, contributor, contribute_until, [2, 4, 12], lambda n: f"{n} weeks")
