# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title Collaborative trainer: sparse perceptron + prediction market with a bounty
@notice The paper's Fig. 4 with the Fig. 2 mechanism: a provider posts a
        bounty and commits to a hidden test set, contributors stake one unit
        each while the model trains live, the test set is revealed and every
        participant is paid by how much their update lowered the error rate.
        See `contracts/incentives/prediction_market.vy` for the phases.
@dev Every path that sends value is `@nonreentrant`, updates state before
     the call and forwards all gas (contract wallets can receive). No data
     handler: a market contribution's record is its participant slot, and
     the data is public through `DataAdded`.
"""

from snekmate.auth import ownable

from contracts.incentives import prediction_market
from contracts.interfaces import ITrainer
from contracts.models import sparse_perceptron

initializes: ownable
initializes: sparse_perceptron
initializes: prediction_market[sparse_perceptron := sparse_perceptron]

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
    # the market's state
    prediction_market.markets,
    prediction_market.market_count,
    prediction_market.participants,
    prediction_market.error_counts,
    prediction_market.MAX_PARTS,
    prediction_market.MAX_PARTICIPANTS,
    prediction_market.MAX_TEST_SAMPLES,
    prediction_market.MAX_TEST_WORDS,
    prediction_market.MAX_MODEL_WORDS,
)

MAX_ENCODER_LENGTH: constant(uint256) = 32768

# @dev Block of deployment: where clients find `TrainerDeployed`.
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
    @notice End initialisation: markets can open.
    """
    ownable._check_owner()
    sparse_perceptron._seal()


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
    @param duration Seconds participation stays open (> 0).
    @param max_contributions Participation ends after this many (<= MAX_PARTICIPANTS).
    @param reveal_window Seconds to draw and reveal the drawn parts after
           the commit, and to reveal the rest after the end.
    @return The market's id.
    """
    market_id: uint256 = prediction_market._open(
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
    log ITrainer.TestSetCommitted(
        provider=msg.sender,
        market_id=market_id,
        bounty=msg.value,
        stake=stake,
        commitment=commitment,
        n_parts=n_parts,
        n_reveal=n_reveal,
        duration=duration,
        max_contributions=max_contributions,
        reveal_window=reveal_window,
    )
    return market_id


@external
def draw_parts():
    """
    @notice Draw the parts the provider reveals before participation
            (anyone, from the block after the commit).
    """
    market_id: uint256 = 0
    drawn: uint256 = 0
    market_id, drawn = prediction_market._draw()
    log ITrainer.PartsDrawn(caller=msg.sender, market_id=market_id, drawn=drawn)


@external
def reveal(
    part_hashes: DynArray[bytes32, prediction_market.MAX_PARTS],
    parts: DynArray[uint256, prediction_market.MAX_PARTS],
    salts: DynArray[bytes32, prediction_market.MAX_PARTS],
    sizes: DynArray[uint256, prediction_market.MAX_PARTS],
    data: DynArray[uint256, prediction_market.MAX_TEST_WORDS],
):
    """
    @notice Provider: reveal the drawn parts (all at once: participation then
            opens) or, after the end, any of the others. After the end, a part
            that does not match its hash aborts the market.
    @param part_hashes The N part hashes (their fold is the commitment).
    @param parts The indices of the parts revealed.
    @param salts Their salts.
    @param sizes Their lengths in words.
    @param data Their words, one part after the other.
    """
    market_id: uint256 = 0
    phase: uint256 = 0
    market_id, phase = prediction_market._reveal(
        msg.sender, part_hashes, parts, salts, sizes, data
    )
    if phase == prediction_market.ABORTED:
        log ITrainer.MarketAborted(caller=msg.sender, market_id=market_id)
        return
    log ITrainer.TestSetRevealed(
        provider=msg.sender, market_id=market_id, parts=parts, salts=salts, sizes=sizes, data=data
    )
    if phase == prediction_market.PARTICIPATION:
        log ITrainer.ParticipationOpened(
            provider=msg.sender,
            market_id=market_id,
            ends_at=prediction_market.markets[market_id].ends_at,
            initial_model_hash=prediction_market.markets[market_id].h0_hash,
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
    prediction_market._handle_add(msg.sender, msg.value, data, label)
    sparse_perceptron._update(data, label)
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=msg.value, added_at=block.timestamp, data=data
    )


@external
def end_market():
    """
    @notice End participation once the time is up or the largest number of
            contributions is reached (anyone).
    """
    market_id: uint256 = 0
    phase: uint256 = 0
    market_id, phase = prediction_market._end()
    log ITrainer.MarketEnded(
        caller=msg.sender,
        market_id=market_id,
        contributions=prediction_market.markets[market_id].contributions,
        reveal_deadline=prediction_market.markets[market_id].deadline,
    )


@external
def abort_market():
    """
    @notice Abort a market whose provider missed a reveal deadline (anyone):
            the bounty stays locked, every stake can be claimed back.
    """
    market_id: uint256 = prediction_market._abort()
    log ITrainer.MarketAborted(caller=msg.sender, market_id=market_id)


@external
def evaluate_market(
    initial_intercept: int256,
    initial_weights: DynArray[uint256, prediction_market.MAX_MODEL_WORDS],
    contributions: DynArray[uint256, prediction_market.MAX_CONTRIBUTION_WORDS],
    salts: DynArray[bytes32, prediction_market.MAX_PARTS],
    sizes: DynArray[uint256, prediction_market.MAX_PARTS],
    data: DynArray[uint256, prediction_market.MAX_TEST_WORDS],
):
    """
    @notice Compute the error counts of h_0..h_T on the revealed test set
            (anyone; everything supplied is public and checked).
    @param initial_intercept h0's intercept.
    @param initial_weights h0's packed weight words.
    @param contributions The market's contributions in order: a header
           (2 * words + label) and the packed words of each.
    @param salts The N salts.
    @param sizes The N parts' lengths in words.
    @param data The N parts' words, in part order.
    """
    market_id: uint256 = 0
    first: uint256 = 0
    final: uint256 = 0
    market_id, first, final = prediction_market._evaluate(
        initial_intercept, initial_weights, contributions, salts, sizes, data
    )
    log ITrainer.LossesEvaluated(
        caller=msg.sender,
        market_id=market_id,
        n_samples=prediction_market.markets[market_id].n_samples,
        initial_errors=first,
        final_errors=final,
    )


@external
def settle_market(max_payouts: uint256) -> bool:
    """
    @notice Run Fig. 2's rounds and write the payouts of up to `max_payouts`
            more participants (anyone; call again until it returns True).
    @param max_payouts How many payouts to write in this transaction.
    @return True once every payout is written (the market is settled).
    """
    market_id: uint256 = 0
    done: bool = False
    total: uint256 = 0
    market_id, done, total = prediction_market._settle(max_payouts)
    if done:
        log ITrainer.MarketSettled(caller=msg.sender, market_id=market_id, total_payout=total)
    return done


@external
@nonreentrant
def claim(market_id: uint256, index: uint256):
    """
    @notice Withdraw your payout (settled market) or your stake (aborted).
    @param market_id The market.
    @param index Your contribution's index in the market (0-based).
    """
    amount: uint256 = 0
    settled: bool = False
    amount, settled = prediction_market._claim(market_id, index, msg.sender)
    if settled:
        log ITrainer.PayoutClaimed(
            participant=msg.sender, market_id=market_id, index=index, amount=amount
        )
    else:
        log ITrainer.StakeReturned(
            participant=msg.sender, market_id=market_id, index=index, amount=amount
        )
    if amount > 0:
        # Forwards all gas (no 2,300 stipend); reverts if the receiver does.
        raw_call(msg.sender, b"", value=amount)
