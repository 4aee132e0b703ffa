# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title Collaborative trainer: sparse perceptron + prediction market with a bounty
@license MIT
@notice The paper's Fig. 4 with the Fig. 2 mechanism: a provider posts a
        bounty and commits to a hidden test set, contributors stake one unit
        each while the model trains live, the test set is revealed and every
        participant is paid by how much their update lowered the error rate.
        See `contracts/incentives/prediction_market.vy` for the phases.
@custom:security Every path that sends value is `@nonreentrant`, updates
                 state before the call and forwards all gas (contract
                 wallets can receive).
@dev No data handler: a market contribution's record is its participant slot, and
     the data is public through `DataAdded`.
"""

from snekmate.auth import ownable

from contracts.incentives import prediction_market
from contracts.interfaces import IPredictionMarket
from contracts.interfaces import ITrainer
from contracts.lib import constants
from contracts.models import sparse_perceptron

initializes: ownable
initializes: sparse_perceptron[ownable := ownable]
initializes: prediction_market[sparse_perceptron := sparse_perceptron]

implements: ITrainer
implements: IPredictionMarket

exports: (
    # The owner is the creator: the deploying account (it seals the model).
    # Transfer and renounce are left out on purpose, as in the other trainers.
    ownable.owner,
    # the model: free views
    sparse_perceptron.predict,
    sparse_perceptron.intercept,
    sparse_perceptron.sealed,
    sparse_perceptron.weight_words,
    sparse_perceptron.n_features,
    sparse_perceptron.learning_rate,
    sparse_perceptron.initialize_weights,
    sparse_perceptron.seal,
    # the market's phases (open_market, add_data and claim move value: below)
    prediction_market.draw_parts,
    prediction_market.reveal,
    prediction_market.end_market,
    prediction_market.abort_market,
    prediction_market.evaluate_market,
    prediction_market.settle_market,
    # the market's state
    prediction_market.markets,
    prediction_market.market_count,
    prediction_market.participants,
    prediction_market.error_counts,
    prediction_market.MAX_PARTS,
    prediction_market.MAX_PARTICIPANTS,
    prediction_market.MAX_TEST_SAMPLES,
    prediction_market.MAX_TEST_WORDS,
    prediction_market.MAX_PART_WORDS,
    prediction_market.MAX_PART_FEATURES,
    prediction_market.MAX_CONTRIBUTION_DATA_WORDS,
    prediction_market.SETTLEMENT_WINDOW,
    prediction_market.MAX_WINDOW,
    prediction_market.MAX_MODEL_WORDS,
    prediction_market.MAX_CONTRIBUTION_WORDS,
)

# @dev Block of deployment: where clients find `TrainerDeployed`.
deployed_at_block: public(immutable(uint256))


@deploy
def __init__(
    name: String[64],
    description: String[512],
    encoder: String[constants.MAX_ENCODER_LENGTH],
    n_features: uint256,
    intercept: int256,
    learning_rate: int256,
    weight_words: DynArray[uint256, sparse_perceptron.MAX_WORDS_PER_CALL],
    seal: bool,
):
    """
    @notice Deploy a trainer with its model; markets are opened later.
    @param name Short name of the model.
    @param description What the model does.
    @param encoder JSON describing how raw input becomes feature indices.
    @param n_features Number of features of the model (a market replays at
           most MAX_MODEL_WORDS * 16 of them).
    @param intercept Initial intercept (x SCALE).
    @param learning_rate Learning rate (x SCALE).
    @param weight_words Initial weights, packed 16 int16 lanes per word.
    @param seal True if the weights are complete.
    """
    ownable.__init__()
    sparse_perceptron.__init__(n_features, intercept, learning_rate)
    sparse_perceptron._set_weight_words(0, weight_words)
    if seal:
        sparse_perceptron._seal()
    deployed_at_block = block.number
    log ITrainer.TrainerDeployed(
        creator=msg.sender, name=name, description=description, encoder=encoder
    )


@external
@payable
@nonreentrant
def open_market(
    stake: uint256,
    commitment: bytes32,
    n_parts: uint256,
    n_reveal: uint256,
    duration: uint256,
    max_contributions: uint256,
    reveal_window: uint256,
) -> uint256:
    """
    @notice Open a market as its provider; msg.value is the bounty B, a
            multiple of the stake (R = B / stake rounds of Fig. 2).
    @param stake The unit every contribution stakes, in wei.
    @param commitment The fold of the parts' hashes (see the module @dev).
    @param n_parts N, the number of parts of the test set (<= MAX_PARTS).
    @param n_reveal K, the number of parts drawn for early reveal (<= N).
    @param duration Seconds participation stays open (1..MAX_WINDOW).
    @param max_contributions Participation ends after this many (<= MAX_PARTICIPANTS).
    @param reveal_window Seconds (1..MAX_WINDOW) to draw and reveal the drawn parts after
           the commit, and to reveal the rest after the end.
    @return The market's id.
    """
    return prediction_market._open(
        msg.sender,
        msg.value,
        stake,
        commitment,
        n_parts,
        n_reveal,
        duration,
        max_contributions,
        reveal_window,
    )


@external
@payable
@nonreentrant
def add_data(data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8):
    """
    @notice Contribute one labelled sample to the open market, staking
            exactly one unit (`markets(id).stake`); the model trains on it.
    @param data Feature indices present in the sample, packed.
    @param label The sample's label (0 or 1).
    """
    prediction_market._add(data, label, msg.value)
    sparse_perceptron._update(data, label)


@external
@nonreentrant
def claim(market_id: uint256, index: uint256):
    """
    @notice Withdraw your payout (settled market) or your stake (aborted).
    @param market_id The market.
    @param index Your contribution's index in the market (0-based).
    """
    prediction_market._claim(market_id, index)
