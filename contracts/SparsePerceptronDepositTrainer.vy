# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title Collaborative trainer: sparse perceptron + deposit, refund and take
@notice The paper's Fig. 4 in one contract: this trainer is the only entry
        point; it asks the incentive mechanism (`stakeable`) what a
        contribution costs and who may be paid, records contributions in the
        `data_handler`, and trains the `sparse_perceptron`. The modules compile
        into this contract, so the composition costs no external calls.
@dev Every path that sends value is `@nonreentrant`, updates state before
     the call and forwards all gas (contract wallets can receive).
"""

from snekmate.auth import ownable

from contracts import data_handler
from contracts.incentives import stakeable
from contracts.interfaces import ITrainer
from contracts.models import sparse_perceptron

initializes: ownable
initializes: sparse_perceptron
initializes: data_handler
initializes: stakeable

exports: (
    # The owner is the creator: the deploying account. Transfer and renounce
    # are left out on purpose: the creator's claim (deposit mechanism) is
    # fixed at deployment, and 420 bytes of code cost ~90,000 gas per deploy.
    ownable.owner,
    # the model: free views
    sparse_perceptron.predict,
    sparse_perceptron.intercept,
    sparse_perceptron.sealed,
    sparse_perceptron.weight_words,
    sparse_perceptron.n_features,
    sparse_perceptron.learning_rate,
    # the records
    data_handler.records,
    data_handler.taken_by,
    # the mechanism's parameters and tallies
    stakeable.next_deposit,
    stakeable.refund_wait,
    stakeable.creator_wait,
    stakeable.anyone_wait,
    stakeable.cost_weight,
    stakeable.min_deposit,
    stakeable.min_share,
    stakeable.last_update_time,
    stakeable.good_data_count,
    stakeable.total_good_data,
)

MAX_ENCODER_LENGTH: constant(uint256) = 32768

# @dev Block of deployment: where clients find `TrainerDeployed` (only this
#      contract's constructor can log it, so the encoder needs no stored hash).
deployed_at_block: public(immutable(uint256))


@deploy
def __init__(
    name: String[64],
    description: String[512],
    encoder: String[MAX_ENCODER_LENGTH],
    n_features: uint256,
    intercept: int256,
    learning_rate: int256,
    weight_words: DynArray[uint256, sparse_perceptron.MAX_WORDS_PER_CALL],
    seal: bool,
    refund_wait: uint256,
    creator_wait: uint256,
    anyone_wait: uint256,
    cost_weight: uint256,
    min_deposit: uint256,
    min_share: uint256,
):
    """
    @notice Deploy a trainer with its model and mechanism.
    @param name Short name of the model.
    @param description What the model does.
    @param encoder JSON describing how raw input becomes feature indices.
    @param n_features Number of features of the model.
    @param intercept Initial intercept (x SCALE).
    @param learning_rate Learning rate (x SCALE).
    @param weight_words Initial weights, packed 16 int16 lanes per word.
    @param seal True if the weights are complete: the model accepts data now.
           Otherwise the owner adds weights with `initialize_weights` and
           calls `seal`.
    @param refund_wait t in seconds.
    @param creator_wait tc in seconds.
    @param anyone_wait ta in seconds.
    @param cost_weight Deposit numerator in wei * seconds.
    @param min_deposit Deposit floor in wei.
    @param min_share Smallest reporter's share in wei (epsilon).
    """
    ownable.__init__()
    sparse_perceptron.__init__(n_features, intercept, learning_rate)
    stakeable.__init__(refund_wait, creator_wait, anyone_wait, cost_weight, min_deposit, min_share)
    sparse_perceptron._set_weight_words(0, weight_words)
    if seal:
        sparse_perceptron._seal()
    deployed_at_block = block.number
    log ITrainer.TrainerDeployed(
        creator=msg.sender, name=name, description=description, encoder=encoder
    )


@external
def initialize_weights(
    first_word: uint256, weight_words: DynArray[uint256, sparse_perceptron.MAX_WORDS_PER_CALL]
):
    """
    @notice Add packed weights before the model is sealed (large models).
    @param first_word Index of the first packed word written.
    @param weight_words Packed weights, 16 int16 lanes per word.
    """
    ownable._check_owner()
    sparse_perceptron._set_weight_words(first_word, weight_words)


@external
def seal():
    """
    @notice End initialisation: the model starts accepting data.
    """
    ownable._check_owner()
    sparse_perceptron._seal()


@external
@payable
@nonreentrant
def add_data(data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8):
    """
    @notice Contribute one labelled sample; the model trains on it.
    @dev msg.value must be at least `next_deposit()`; all of it is the deposit.
    @param data Feature indices present in the sample, strictly increasing.
    @param label The sample's label (0 or 1).
    """
    deposit: uint256 = stakeable._handle_add(msg.value)
    key: bytes32 = data_handler._key(
        keccak256(abi_encode(data)), label, block.timestamp, msg.sender
    )
    data_handler._add(key, deposit)
    sparse_perceptron._update(data, label)
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=deposit, added_at=block.timestamp, data=data
    )


@external
@nonreentrant
def refund(
    data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8, added_at: uint256
):
    """
    @notice Get your whole deposit back once `refund_wait` has passed if the
            model agrees with your label; counts once as good data.
    @param data The contribution's feature indices, packed, as added.
    @param label The contribution's label.
    @param added_at The contribution's time (from its `DataAdded` event).
    """
    key: bytes32 = data_handler._key(keccak256(abi_encode(data)), label, added_at, msg.sender)
    c: data_handler.Contribution = data_handler._get(key)
    agrees: bool = sparse_perceptron._predict(data) == label
    amount: uint256 = stakeable._handle_refund(c, msg.sender, block.timestamp - added_at, agrees)
    c.refunded = True
    c.claimable = 0
    data_handler._set(key, c)
    log ITrainer.DepositRefunded(contributor=msg.sender, key=key, amount=amount)
    self._pay(msg.sender, amount)


@external
@nonreentrant
def report(
    data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS],
    label: uint8,
    added_at: uint256,
    contributor: address,
):
    """
    @notice Take from a contribution's deposit. Before the long waits: a
            share of a contribution the model now disagrees with, deposit *
            n(you) / sum n(c) (at least `min_share`, at most what is left),
            once per contribution, if you have refunded data and are not the
            author. After `creator_wait` the creator (owner), and after
            `anyone_wait` anyone, takes everything that is left, so that no
            value stays locked forever.
    @param data The contribution's feature indices, packed, as added.
    @param label The contribution's label.
    @param added_at The contribution's time (from its `DataAdded` event).
    @param contributor Who added it.
    """
    key: bytes32 = data_handler._key(keccak256(abi_encode(data)), label, added_at, contributor)
    c: data_handler.Contribution = data_handler._get(key)
    age: uint256 = block.timestamp - added_at
    amount: uint256 = 0
    if stakeable._may_take_remaining(msg.sender, ownable.owner, age):
        amount = stakeable._handle_take_remaining(c)
    else:
        agrees: bool = sparse_perceptron._predict(data) == label
        amount = stakeable._handle_report(c, msg.sender, contributor, age, agrees)
        data_handler._mark_taken(key, msg.sender)
    c.claimable -= amount
    data_handler._set(key, c)
    log ITrainer.DepositTaken(taker=msg.sender, contributor=contributor, key=key, amount=amount)
    self._pay(msg.sender, amount)


@internal
def _pay(to: address, amount: uint256):
    # Forwards all gas (no 2,300 stipend); reverts if the receiver does.
    if amount > 0:
        raw_call(to, b"", value=amount)
