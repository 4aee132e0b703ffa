# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title Collaborative trainer: sparse perceptron + points (no money)
@notice The paper's gamification mechanism (III-A): contributions cost
        nothing but gas and earn on-chain tallies (contributions, labels
        used, active weeks); once `validation_wait` has passed, a
        contribution the model still agrees with can be validated by its
        author for one good-data point.
@dev Nothing here is payable: no value can enter or leave.
"""

from snekmate.auth import ownable

from contracts import data_handler
from contracts.incentives import points
from contracts.interfaces import ITrainer
from contracts.models import sparse_perceptron

initializes: ownable
initializes: sparse_perceptron
initializes: data_handler
initializes: points

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
    # the tallies
    points.validation_wait,
    points.contributions,
    points.good_data_count,
    points.labels_contributed,
    points.active_weeks,
    points.total_good_data,
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
    validation_wait: uint256,
):
    """
    @notice Deploy a trainer with its model and the points mechanism.
    @param name Short name of the model.
    @param description What the model does.
    @param encoder JSON describing how raw input becomes feature indices.
    @param n_features Number of features of the model.
    @param intercept Initial intercept.
    @param learning_rate Learning rate.
    @param weight_words Initial weights, packed 16 int16 lanes per word.
    @param seal True if the weights are complete (see `seal`).
    @param validation_wait Seconds before a contribution can be validated.
    """
    ownable.__init__()
    sparse_perceptron.__init__(n_features, intercept, learning_rate)
    points.__init__(validation_wait)
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
def add_data(data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8):
    """
    @notice Contribute one labelled sample; the model trains on it.
    @param data The sample's feature indices, packed (see sparse_perceptron).
    @param label The sample's label (0 or 1).
    """
    key: bytes32 = data_handler._key(
        keccak256(abi_encode(data)), label, block.timestamp, msg.sender
    )
    data_handler._add(key, 0)
    sparse_perceptron._update(data, label)
    points._handle_add(msg.sender, label)
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=0, added_at=block.timestamp, data=data
    )


@external
def validate(
    data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8, added_at: uint256
):
    """
    @notice Earn a good-data point for your contribution once
            `validation_wait` has passed, if the model agrees with it.
    @param data The contribution's feature indices, packed, as added.
    @param label The contribution's label.
    @param added_at The contribution's time (from its `DataAdded` event).
    """
    key: bytes32 = data_handler._key(keccak256(abi_encode(data)), label, added_at, msg.sender)
    c: data_handler.Contribution = data_handler._get(key)
    agrees: bool = sparse_perceptron._predict(data) == label
    points._handle_validate(c.refunded, msg.sender, block.timestamp - added_at, agrees)
    c.refunded = True
    data_handler._set(key, c)
    log ITrainer.DataValidated(contributor=msg.sender, key=key)
