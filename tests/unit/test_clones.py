"""Trainers deployed as clones of a shared implementation (`ape_decai.clones`).

The count models' deposit trainers are EIP-1167 minimal proxies to one implementation per
chain, which sits at a deterministic CREATE2 address and is its own factory (`create_trainer`).
What must hold: the implementation is closed (no owner, no model, no data); only it initialises
a clone, once, in the transaction that creates it; every clone has its own storage, owner and
model; the client recognises a clone by its code and refuses the implementation; the deposit
rules (terms in storage) and the re-entrancy lock work through the proxy.
"""

import ape
import pytest
from eth_utils import to_checksum_address
from sparse_models import MODEL_IDS, MODELS, PAID_DEPOSIT, TA, TC, T, deploy, example_model

from ape_decai import DecaiError, Trainer, clones
from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from ape_decai.packing import pack_indices
from ape_decai.trainers import identify

CLONED = [f"{cls.contract_prefix}DepositTrainer" for cls in MODELS]
ENCODER = '{"type": "test"}'


@pytest.fixture(params=MODELS, ids=MODEL_IDS)
def model(request):
    return example_model(request.param)


@pytest.fixture
def name(model):
    return f"{model.contract_prefix}DepositTrainer"


@pytest.fixture
def implementation(name, creator):
    clones.ensure_implementation(name, creator)
    return clones.implementation(name)


def create_args(model, t=T, tc=TC, ta=TA, min_deposit=0, td=None):
    td = t if td is None else td
    return ["Test", "clone", ENCODER, *model.constructor_args(128), True, t, tc, ta, 0, min_deposit, 10**13, td]


def test_cloned_deployables__are_the_count_models_deposit_trainers():
    assert sorted(clones.cloned_deployables()) == sorted(CLONED)


def test_implementation__sits_at_its_create2_address_and_is_its_own_factory(implementation, name):
    assert implementation.address == clones.implementation_address(name)
    assert implementation.implementation() == implementation.address
    assert implementation.deployed_at_block() == 0


def test_implementation__has_no_owner_and_no_model(implementation, model, creator):
    assert implementation.owner() == "0x" + "00" * 20
    assert implementation.n_classes() == 0
    assert not implementation.sealed()
    with ape.reverts("ownable: caller is not the owner"):
        implementation.add_class(sender=creator)
    with ape.reverts("ownable: caller is not the owner"):
        implementation.seal(sender=creator)
    with ape.reverts("sparse_counts: unknown class"):
        implementation.add_data(pack_indices([0, 1]), 0, sender=creator)


def test_ensure_implementation__is_idempotent_and_sends_nothing_the_second_time(implementation, name, creator):
    nonce = creator.nonce
    assert clones.ensure_implementation(name, creator) is None
    assert creator.nonce == nonce


def test_create_trainer__makes_a_minimal_proxy_owned_by_the_caller(implementation, model, name, contributor):
    trainer, receipt = clones.create_trainer(name, create_args(model), contributor)
    code = trainer.provider.get_code(trainer.address)
    assert len(code) == 45
    assert clones.proxy_target(code) == implementation.address
    assert trainer.owner() == contributor.address
    assert trainer.deployed_at_block() == receipt.block_number
    assert trainer.n_features() == model.n_features
    assert trainer.n_classes() == len(model.class_sizes)
    assert trainer.sealed()
    event = next(log for log in receipt.events if log.event_name == "TrainerDeployed")
    assert event.contract_address == trainer.address
    assert event.creator == contributor.address
    assert (trainer.refund_wait(), trainer.creator_wait(), trainer.anyone_wait()) == (T, TC, TA)


def test_create_trainer__on_a_clone__reverts(implementation, model, name, creator):
    trainer, _ = clones.create_trainer(name, create_args(model), creator)
    with ape.reverts("trainer: create trainers from the implementation"):
        trainer.create_trainer(*create_args(model), sender=creator)


def test_initialize__by_anyone_but_the_implementation__reverts(implementation, model, name, creator, stranger):
    trainer, _ = clones.create_trainer(name, create_args(model), creator)
    for target in (trainer, implementation):
        with ape.reverts("trainer: only the implementation initialises"):
            target.initialize(stranger, *create_args(model), sender=stranger)
    assert trainer.owner() == creator.address


def test_initialize__a_second_time__reverts_even_for_the_implementation(
    implementation, model, name, creator, stranger, accounts
):
    trainer, _ = clones.create_trainer(name, create_args(model), creator)
    trainer.provider.set_balance(implementation.address, 10**18)
    as_implementation = accounts.impersonate_account(implementation.address)
    with ape.reverts("trainer: already initialised"):
        trainer.initialize(stranger, *create_args(model), sender=as_implementation)
    assert trainer.owner() == creator.address


@pytest.mark.parametrize(
    "terms, reason",
    [
        (dict(t=2 * T, tc=T, ta=TA), "stakeable: wait times must satisfy t <= td <= tc <= ta"),
        (dict(t=T, tc=TA + 1, ta=TA), "stakeable: wait times must satisfy t <= td <= tc <= ta"),
        (dict(t=2 * T, td=T), "stakeable: wait times must satisfy t <= td <= tc <= ta"),
        (dict(td=TC + 1), "stakeable: wait times must satisfy t <= td <= tc <= ta"),
        (dict(td=2**64, tc=2**64, ta=2**64), "stakeable_terms_stored: waits t and td must be below 2**64 s"),
        (dict(min_deposit=2**96), "stakeable: deposit floor too large"),
    ],
)
def test_create_trainer__with_bad_terms__reverts_and_creates_nothing(implementation, model, name, creator, terms, reason):
    nonce = implementation.nonce
    with ape.reverts(reason):
        implementation.create_trainer(*create_args(model, **terms), sender=creator)
    assert implementation.nonce == nonce


def test_clone__terms__read_back_from_their_packed_slot(implementation, model, name, creator):
    trainer, _ = clones.create_trainer(name, create_args(model, t=T, td=3 * T, min_deposit=2**96 - 1), creator)
    assert (trainer.refund_wait(), trainer.doubt_wait(), trainer.min_deposit()) == (T, 3 * T, 2**96 - 1)
    assert (trainer.creator_wait(), trainer.anyone_wait(), trainer.min_share()) == (TC, TA, 10**13)
    largest, _ = clones.create_trainer(
        name, create_args(model, t=2**64 - 1, td=2**64 - 1, tc=2**64 - 1, ta=2**64 - 1), creator
    )
    assert (largest.refund_wait(), largest.doubt_wait(), largest.min_deposit()) == (2**64 - 1, 2**64 - 1, 0)


def test_clones__have_their_own_storage_owner_and_model(implementation, model, name, creator, contributor):
    first, _ = clones.create_trainer(name, create_args(model), creator)
    second, _ = clones.create_trainer(name, create_args(model, min_deposit=10**15), contributor)
    assert first.address != second.address
    assert (first.owner(), second.owner()) == (creator.address, contributor.address)
    assert (first.min_deposit(), second.min_deposit()) == (0, 10**15)
    before = [second.class_stats(k) for k in range(3)]
    first.add_data(pack_indices([0, 1, 2]), 1, sender=contributor)
    assert [second.class_stats(k) for k in range(3)] == before
    assert first.class_stats(1) != before[1]
    first.add_class(sender=creator)
    assert (first.n_classes(), second.n_classes()) == (4, 3)


def test_client__recognises_a_clone_and_refuses_the_implementation(implementation, model, name, creator):
    trainer, _ = clones.create_trainer(name, create_args(model), creator)
    client = Trainer.at(trainer.address)
    assert (client.contract_name, client.model_id, client.mechanism) == (name, model.model_id, "deposit")
    assert client.reference_model().counts == model.counts
    with pytest.raises(DecaiError, match="shared implementation"):
        Trainer.at(implementation.address)


def test_identify__a_proxy_to_a_contract_that_is_not_ours__is_not_a_trainer(project, creator):
    stranger_code = project.ContributorWallet.deploy(sender=creator)
    proxy_code = clones.EIP1167_PREFIX + bytes.fromhex(stranger_code.address[2:]) + clones.EIP1167_SUFFIX
    assert identify(proxy_code, get_code=stranger_code.provider.get_code) is None
    assert identify(proxy_code) is None  # no way to look the target up


def test_proxy_target__of_other_code__is_none():
    assert clones.proxy_target(b"") is None
    assert clones.proxy_target(b"\x00" * 45) is None
    target = to_checksum_address("0x" + "ab" * 20)
    assert clones.proxy_target(clones.EIP1167_PREFIX + bytes.fromhex("ab" * 20) + clones.EIP1167_SUFFIX) == target


def test_deposits__flow_through_the_proxy_with_terms_from_storage(project, chain, creator, contributor, reporter):
    model = example_model(NaiveBayes)
    trainer = deploy(project, chain, creator, model, **PAID_DEPOSIT)
    words = pack_indices([0, 1, 2, 3])
    agreed = trainer.predict(words)
    asked = trainer.next_deposit()
    # No contribution yet: the seconds since the epoch make cost_weight / s negligible.
    assert asked == PAID_DEPOSIT["min_deposit"]
    with ape.reverts("stakeable: deposit too low"):
        trainer.add_data(words, agreed, sender=contributor, value=PAID_DEPOSIT["min_deposit"] - 1)
    receipt = trainer.add_data(words, agreed, sender=contributor, value=asked * 2)
    assert trainer.balance == asked * 2
    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(words, agreed, receipt.timestamp, sender=contributor)
    chain.mine(deltatime=T)
    before = contributor.balance
    refund = trainer.refund(words, agreed, receipt.timestamp, sender=contributor)
    assert contributor.balance == before + asked * 2 - refund.total_fees_paid
    assert trainer.balance == 0
    assert trainer.good_data_count(contributor) == 1


def test_refund__reentered_through_the_proxy__is_turned_away(project, chain, creator, contributor):
    """The lock is the clone's own (transient storage of the proxy's address)."""
    import eth_abi
    from eth_utils import function_signature_to_4byte_selector as selector

    model = example_model(SparseNearestCentroid)
    trainer = deploy(project, chain, creator, model)
    wallet = project.ContributorWallet.deploy(sender=contributor)
    words = pack_indices([0, 1, 2, 3])
    label = trainer.predict(words)
    deposit = 10**17
    added_at = wallet.add_data(trainer, words, label, sender=contributor, value=deposit).timestamp
    chain.mine(deltatime=T + 1)
    again = selector("refund(uint256[],uint8,uint256)") + eth_abi.encode(
        ["uint256[]", "uint8", "uint256"], [words, label, added_at]
    )
    wallet.arm(trainer, again, 0, sender=contributor)
    wallet.refund(trainer, words, label, added_at, sender=contributor)
    assert wallet.reentry_attempted()
    assert not wallet.reentry_succeeded()
    assert wallet.received() == deposit
    assert trainer.balance == 0
