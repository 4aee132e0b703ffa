# pragma version ~=0.4.3
"""
@title Prediction market with a bounty (paper section III-B, Fig. 2)
@license MIT
@notice A provider posts a bounty B and commits to a hidden test set; staked
        contributions train the model; the test set is revealed and every
        participant is paid by how much their update lowered the error rate,
        by Fig. 2's B-round loop.
@dev Phases, each enforced here (ids in `markets(id).phase`):
     1 COMMITTED   `_open`: the provider sends B (a multiple of the stake, the
                   number of rounds R = B / stake), the stake, N parts, K to
                   reveal, the participation time limit, the largest number of
                   contributions, the reveal window, and the commitment.
     2 DRAWN       `draw_parts` (anyone, from the block after the commit): K of
                   the N parts are drawn by a partial Fisher-Yates shuffle
                   seeded with keccak(block.prevrandao, commitment, market).
                   prevrandao of a later block is not known when committing;
                   it is known about one block ahead, so the draw is open to
                   anyone (a provider waiting for a good draw races every
                   participant). Anvil returns a prevrandao (random per block).
     3 PARTICIPATION `_reveal` of exactly the drawn parts (a mismatch reverts);
                   the weights h0 are hashed (the snapshot) and participation
                   opens for `duration` seconds. Each contribution stakes
                   exactly one unit and updates the model live; its (label,
                   data) is folded into `replay_hash`, its address is the
                   participant's slot (one per interaction, paper footnote 2).
     4 ENDED       `end_market` (anyone) once the time is up or the largest
                   number of contributions is reached.
     5 REVEALED    `_reveal` of the other parts (any number per transaction)
                   before the reveal deadline. A part that does not match its
                   hash, or is malformed, aborts the market. The settlement
                   deadline (SETTLEMENT_WINDOW) starts.
     6 EVALUATED   `evaluate_market` (anyone, resumable): E_t = errors of h_t on
                   the test set for t = 0..T, accumulated a few parts a call;
                   one part (<= MAX_PART_FEATURES) always fits a bounded call.
     7 SETTLED     `settle_market(n)` (anyone, repeatable): Fig. 2's loop in
                   exact integers, then the payouts of n more participants are
                   written; the last call settles.
     8 ABORTED     `abort_market` (anyone) after a missed deadline (drawn parts
                   or the rest not revealed in time, or not settled within
                   SETTLEMENT_WINDOW of the last reveal), or a mismatch as
                   above: every participant takes back the stake, the bounty
                   is burned (stays in the contract).
     Claims are pulled by each participant (`_claim`); unpaid bounty stays
     in the contract (value burning, the paper's design). A new market may
     open once the last one is settled or aborted. Liveness: every phase has
     a deadline or an action anyone can take, and every transaction is
     bounded for any accepted input (tests/unit/test_market_worst_case.py).

     Commitment: part i's hash is a fold h = salt_i; h = keccak(h ++ w) over
     its words; the commitment folds the N part hashes the same way. One slot
     at commit (storing 100 hashes would cost 2.2M gas); each reveal
     re-supplies the N hashes (3.2 kB of calldata), cheaper than a Merkle
     proof per part when parts are revealed many at a time. Nothing of the
     test set is stored: it travels as calldata (the reveal transactions'
     input is public; `TestSetRevealed` says which parts), and is supplied
     again (checked against the commitment) to `evaluate_market`.

     Test set format: a part is a run of samples, each a header word
     (2 * packed words + label) followed by 1..8 packed index words (the
     model's input format). The same layout, folded into `replay_hash`,
     records the contributions.

     Evaluation: the loss is the error rate E_t / M on the M test samples
     (in [0, 1] by construction). h0 (supplied, checked against the snapshot)
     is replayed in memory with the contributions (supplied, checked against
     `replay_hash`). Each sample keeps v = margin - 1 in a 32-bit lane of a
     256-bit word, biased by 2**31: the lane's top bit is the prediction
     (margin > 0), so errors are counted 8 lanes at a time as the top bits
     that differ from a label mask. An intercept change moves every lane by
     one addition per word (done while counting); a weight change moves the
     lanes of the samples holding that feature (an inverted index, linked
     lists built in the pass that computes the margins at h0). v starts
     clamped to [-2**30, 2**30]: a whole market moves a margin by at most
     T * 129 * 32767 < 2**30, so the clamp never changes a prediction and
     lanes never overflow. At the issue's size (500 samples of 15 words,
     100 contributions of 15 words) the whole test set is ~8.9M gas in one
     call; the worst part at every cap ~8.8M.

     Rounds: balances b_t are kept in units of stake / M (exact): b_t = M
     at first, b_t += E_t' - E_t each round, t' the previous participant
     still in S; those under M drop out after the round. While nobody drops
     the per-round changes are constant, so the loop jumps straight to the
     next round in which someone drops (at most T + 1 jumps, each scanning
     only the participants whose change is negative). Payout of t:
     floor(b_t * stake / M) wei: the only rounding, under 1 wei each.
@custom:security Value leaves only through `_claim` (pull payments), called
                 under the trainer's reentrancy lock, state written and the
                 event logged before the payment, which forwards all gas.
                 Every transaction is bounded for any accepted input, and
                 every phase has a deadline or an action anyone can take.
"""

from contracts.interfaces import IPredictionMarket
from contracts.interfaces import ITrainer
from contracts.lib import errors
from contracts.models import sparse_perceptron

uses: sparse_perceptron

# @dev Phases of a market (see the module @dev).
NO_MARKET: constant(uint256) = 0
COMMITTED: constant(uint256) = 1
DRAWN: constant(uint256) = 2
PARTICIPATION: constant(uint256) = 3
ENDED: constant(uint256) = 4
REVEALED: constant(uint256) = 5
EVALUATED: constant(uint256) = 6
SETTLED: constant(uint256) = 7
ABORTED: constant(uint256) = 8

# @dev Largest number of parts (the drawn and revealed sets are bitmaps).
MAX_PARTS: public(constant(uint256)) = 256
# @dev Largest number of contributions in one market.
MAX_PARTICIPANTS: public(constant(uint256)) = 128
# @dev Largest number of test samples (32-bit lanes, 8 per word).
MAX_TEST_SAMPLES: public(constant(uint256)) = 1024
# @dev Largest test set in words (headers and packed indices).
MAX_TEST_WORDS: public(constant(uint256)) = 2048
# @dev Largest part of the test set in feature occurrences (the sum of its
#      samples' sizes). Evaluation goes a whole part at a time and costs, per
#      contribution that updates the model, about 355 gas an occurrence of its
#      features in the part: one part with the most hostile contributions must
#      fit in a bounded transaction (tests/unit/test_market_worst_case.py).
MAX_PART_FEATURES: public(constant(uint256)) = 80
# @dev Largest part in words (a sample holds at least one feature a word).
MAX_PART_WORDS: public(constant(uint256)) = 2 * MAX_PART_FEATURES
# @dev Largest market contribution in packed words (16 features a word).
#      Evaluation replays every contribution in every transaction: ~36,000
#      gas for 32 features that update the model, ~123,000 for 128.
MAX_CONTRIBUTION_DATA_WORDS: public(constant(uint256)) = 2
# @dev Longest participation time and reveal window: a market whose
#      deadlines lie centuries ahead would hold the stakes as surely as one
#      without deadlines.
MAX_WINDOW: public(constant(uint256)) = 365 * 86400
# @dev Once the whole test set is revealed, anyone has this long to evaluate
#      and settle; after it anyone may abort (every stake goes back).
SETTLEMENT_WINDOW: public(constant(uint256)) = 7 * 86400
# @dev Largest model a market can replay in memory (weights, 16 per word).
MAX_MODEL_WORDS: public(constant(uint256)) = 128
# @dev Contributions re-supplied at evaluation: a header and 1..8 words each.
MAX_CONTRIBUTION_WORDS: public(constant(uint256)) = MAX_PARTICIPANTS * (
    1 + MAX_CONTRIBUTION_DATA_WORDS
)
# @dev Largest bounty and stake (payouts are stored in 95 bits).
MAX_AMOUNT: constant(uint256) = 2**90

LANE_WORDS: constant(uint256) = MAX_TEST_SAMPLES // 8
MAX_FEATURES: constant(uint256) = MAX_MODEL_WORDS * 16
BIAS: constant(uint256) = 2**31
CLAMP: constant(int256) = 2**30
# the sign bit of each of 16 int16 lanes
SIGN16: constant(uint256) = 32768 * (
    2**240
    + 2**224
    + 2**208
    + 2**192
    + 2**176
    + 2**160
    + 2**144
    + 2**128
    + 2**112
    + 2**96
    + 2**80
    + 2**64
    + 2**48
    + 2**32
    + 2**16
    + 1
)
MAX_OCCURRENCES: constant(uint256) = MAX_TEST_WORDS * 16
# lane k of 8 (32 bits each): bit 0 set in every lane
LOW_BITS: constant(uint256) = (
    2**224 + 2**192 + 2**160 + 2**128 + 2**96 + 2**64 + 2**32 + 1
)
ADDRESS_MASK: constant(uint256) = 2**160 - 1
PAYOUT_MASK: constant(uint256) = 2**95 - 1
CLAIMED_BIT: constant(uint256) = 1 << 255
INT16_MIN: constant(int256) = -(2**15)
INT16_MAX: constant(int256) = 2**15 - 1


struct Market:
    provider: address
    phase: uint256
    bounty: uint256
    stake: uint256
    commitment: bytes32
    n_parts: uint256
    n_reveal: uint256
    duration: uint256
    max_contributions: uint256
    reveal_window: uint256
    committed_block: uint256
    deadline: uint256
    ends_at: uint256
    drawn: uint256
    revealed: uint256
    n_samples: uint256
    n_test_words: uint256
    h0_hash: bytes32
    replay_hash: bytes32
    contributions: uint256
    settled_count: uint256
    paid: uint256
    evaluated_parts: uint256


# @dev The markets by id (1, 2, ...); see the module @dev for the fields' use.
markets: public(HashMap[uint256, Market])

# @dev Id of the latest market (0: none yet).
market_count: public(uint256)

# @dev market id -> participant t (0-based) -> address (bits 0..159), payout
#      in wei (bits 160..254, written at settlement), claimed (bit 255).
participants: public(HashMap[uint256, HashMap[uint256, uint256]])

# @dev market id -> word k -> E_t for t = 16k .. 16k + 15 (16-bit lanes).
error_counts: public(HashMap[uint256, HashMap[uint256, uint256]])


# --- phase 1: commit --------------------------------------------------------


@internal
def _open(
    provider: address,
    bounty: uint256,
    stake: uint256,
    commitment: bytes32,
    n_parts: uint256,
    n_reveal: uint256,
    duration: uint256,
    max_contributions: uint256,
    reveal_window: uint256,
) -> uint256:
    # Opens a market (`bounty`: msg.value) and logs `TestSetCommitted`; returns its id.
    phase: uint256 = self.markets[self.market_count].phase
    if not (phase == NO_MARKET or phase == SETTLED or phase == ABORTED):
        errors._fail("prediction_market: a market is running")
    if sparse_perceptron.header & sparse_perceptron.SEALED_BIT == 0:
        errors._fail("prediction_market: model not sealed")
    if sparse_perceptron.n_features > MAX_FEATURES:
        errors._fail("prediction_market: model too large")
    if stake == 0 or stake > MAX_AMOUNT:
        errors._fail("prediction_market: bad stake")
    if bounty == 0 or bounty > MAX_AMOUNT or bounty % stake != 0:
        errors._fail("prediction_market: bounty not a multiple of the stake")
    if not (n_parts > 0 and n_parts <= MAX_PARTS and n_reveal <= n_parts):
        errors._fail("prediction_market: bad number of parts")
    if duration == 0 or duration > MAX_WINDOW:
        errors._fail("prediction_market: no time limit")
    if not (max_contributions > 0 and max_contributions <= MAX_PARTICIPANTS):
        errors._fail("prediction_market: bad number of contributions")
    if reveal_window == 0 or reveal_window > MAX_WINDOW:
        errors._fail("prediction_market: no reveal window")
    market_id: uint256 = self.market_count + 1
    self.market_count = market_id
    self.markets[market_id] = Market(
        provider=provider,
        phase=COMMITTED,
        bounty=bounty,
        stake=stake,
        commitment=commitment,
        n_parts=n_parts,
        n_reveal=n_reveal,
        duration=duration,
        max_contributions=max_contributions,
        reveal_window=reveal_window,
        committed_block=block.number,
        deadline=block.timestamp + reveal_window,
        ends_at=0,
        drawn=0,
        revealed=0,
        n_samples=0,
        n_test_words=0,
        h0_hash=empty(bytes32),
        replay_hash=empty(bytes32),
        contributions=0,
        settled_count=0,
        paid=0,
        evaluated_parts=0,
    )
    log IPredictionMarket.TestSetCommitted(
        provider=provider,
        market_id=market_id,
        bounty=bounty,
        stake=stake,
        commitment=commitment,
        n_parts=n_parts,
        n_reveal=n_reveal,
        duration=duration,
        max_contributions=max_contributions,
        reveal_window=reveal_window,
    )
    return market_id


# --- phase 2: draw ----------------------------------------------------------


@external
def draw_parts():
    """
    @notice Draw the parts the provider reveals before participation
            (anyone, from the block after the commit).
    """
    market_id: uint256 = self.market_count
    phase: uint256 = self.markets[market_id].phase
    if phase != COMMITTED:
        if phase == NO_MARKET or phase == SETTLED or phase == ABORTED:
            errors._fail("prediction_market: not committed")
        errors._fail("prediction_market: already drawn")
    if block.number <= self.markets[market_id].committed_block:
        errors._fail("prediction_market: draw in a later block")
    n: uint256 = self.markets[market_id].n_parts
    seed: bytes32 = keccak256(
        abi_encode(block.prevrandao, self.markets[market_id].commitment, market_id)
    )
    order: uint256[MAX_PARTS] = empty(uint256[MAX_PARTS])
    for i: uint256 in range(n, bound=MAX_PARTS):
        order[i] = i
    drawn: uint256 = 0
    for j: uint256 in range(self.markets[market_id].n_reveal, bound=MAX_PARTS):
        # partial Fisher-Yates: pick among the parts not drawn yet
        r: uint256 = j + convert(keccak256(abi_encode(seed, j)), uint256) % (n - j)
        picked: uint256 = order[r]
        order[r] = order[j]
        order[j] = picked
        drawn |= 1 << picked
    self.markets[market_id].drawn = drawn
    self.markets[market_id].phase = DRAWN
    log IPredictionMarket.PartsDrawn(caller=msg.sender, market_id=market_id, drawn=drawn)


# --- phases 3 and 5: reveal -------------------------------------------------


@internal
@pure
def _all_parts(n_parts: uint256) -> uint256:
    # The bitmap of parts 0..n_parts - 1 (1 <= n_parts <= 256: no 1 << 256).
    return max_value(uint256) >> (256 - n_parts)


@internal
@pure
def _fold(h: bytes32, w: uint256) -> bytes32:
    return keccak256(concat(h, convert(w, bytes32)))


@external
def reveal(
    part_hashes: DynArray[bytes32, MAX_PARTS],
    parts: DynArray[uint256, MAX_PARTS],
    salts: DynArray[bytes32, MAX_PARTS],
    sizes: DynArray[uint256, MAX_PARTS],
    data: DynArray[uint256, MAX_TEST_WORDS],
):
    """
    @notice Provider: reveal the drawn parts (all at once: participation then
            opens) or, after the end, any of the others. After the end, a part
            that does not match its hash, or is malformed, aborts the market.
    @param part_hashes The N part hashes (their fold is the commitment).
    @param parts The indices of the parts revealed.
    @param salts Their salts.
    @param sizes Their lengths in data.
    @param data Their data, one part after the other.
    """
    market_id: uint256 = self.market_count
    n_parts: uint256 = self.markets[market_id].n_parts
    if msg.sender != self.markets[market_id].provider:
        errors._fail("prediction_market: not the provider")
    if not (self.markets[market_id].phase == DRAWN or self.markets[market_id].phase == ENDED):
        errors._fail("prediction_market: nothing to reveal")
    if block.timestamp > self.markets[market_id].deadline:
        errors._fail("prediction_market: reveal deadline passed")
    if len(salts) != len(parts) or len(sizes) != len(parts) or len(part_hashes) != n_parts:
        errors._fail("prediction_market: bad reveal lengths")
    drawn_phase: bool = self.markets[market_id].phase == DRAWN
    # the commitment: the fold of the N part hashes
    c: bytes32 = empty(bytes32)
    for h: bytes32 in part_hashes:
        c = keccak256(concat(c, h))
    ok: bool = c == self.markets[market_id].commitment
    before: uint256 = self.markets[market_id].revealed
    revealed: uint256 = before
    samples: uint256 = self.markets[market_id].n_samples
    start: uint256 = 0
    n_features: uint256 = sparse_perceptron.n_features
    for k: uint256 in range(len(parts), bound=MAX_PARTS):
        part: uint256 = parts[k]
        if part >= n_parts:
            errors._fail("prediction_market: no such part")
        if revealed & (1 << part) != 0:
            errors._fail("prediction_market: part already revealed")
        revealed |= 1 << part
        size: uint256 = sizes[k]
        if size > len(data) or start + size > len(data):
            errors._fail("prediction_market: bad reveal lengths")
        # the part's hash, and its shape: headers 2 * n + label with n in
        # 1..8, then n canonical packed data (strictly increasing indices,
        # only the last word partly filled), indices below n_features, at
        # most MAX_PART_FEATURES features in all
        h: bytes32 = salts[k]
        n: uint256 = 0  # samples
        features: uint256 = 0
        left: uint256 = 0  # packed data left in the current sample
        last: uint256 = 0  # last index + 1 in the current sample
        partial: bool = False
        for j: uint256 in range(start, start + size, bound=MAX_TEST_WORDS):
            w: uint256 = data[j]
            h = keccak256(concat(h, convert(w, bytes32)))
            if left == 0:
                if w < 2 or w > 17:
                    ok = False
                left = w >> 1
                last = 0
                partial = False
                n += 1
                continue
            if w == 0 or partial:
                ok = False
            rest: uint256 = w
            in_word: uint256 = 16  # features in this word
            for i: uint256 in range(16):
                x: uint256 = rest & 65535
                if x == 0:
                    partial = True
                    in_word = i
                    if rest != 0:
                        ok = False
                    break
                if x <= last:
                    ok = False
                last = x
                rest = rest >> 16
            # cannot overflow: at most 16 a word
            features = unsafe_add(features, in_word)
            if last > n_features:
                ok = False
            left -= 1
        ok = ok and left == 0 and n > 0 and features <= MAX_PART_FEATURES and h == part_hashes[part]
        samples += n
        start += size
    if start != len(data):
        errors._fail("prediction_market: bad reveal lengths")
    test_words: uint256 = self.markets[market_id].n_test_words + len(data)
    ok = ok and samples <= MAX_TEST_SAMPLES and test_words <= MAX_TEST_WORDS
    if drawn_phase:
        if not ok:
            errors._fail("prediction_market: parts do not match the commitment")
        if revealed != self.markets[market_id].drawn:
            errors._fail("prediction_market: reveal exactly the drawn parts")
        self.markets[market_id].phase = PARTICIPATION
        self.markets[market_id].ends_at = block.timestamp + self.markets[market_id].duration
        self.markets[market_id].h0_hash = self._snapshot()
    elif not ok:
        self.markets[market_id].phase = ABORTED
        log IPredictionMarket.MarketAborted(caller=msg.sender, market_id=market_id)
        return
    elif revealed == self._all_parts(n_parts):
        self.markets[market_id].phase = REVEALED
        self.markets[market_id].deadline = block.timestamp + SETTLEMENT_WINDOW
    self.markets[market_id].revealed = revealed
    self.markets[market_id].n_samples = samples
    self.markets[market_id].n_test_words = test_words
    log IPredictionMarket.TestSetRevealed(
        provider=msg.sender, market_id=market_id, parts=revealed ^ before
    )
    if drawn_phase:
        log IPredictionMarket.ParticipationOpened(
            provider=msg.sender,
            market_id=market_id,
            ends_at=self.markets[market_id].ends_at,
            initial_model_hash=self.markets[market_id].h0_hash,
        )


@internal
@view
def _snapshot() -> bytes32:
    # keccak(abi_encode(intercept, weight words)) of the current model: h0.
    n_words: uint256 = (sparse_perceptron.n_features + 15) // 16
    ws: DynArray[uint256, MAX_MODEL_WORDS] = []
    for k: uint256 in range(n_words, bound=MAX_MODEL_WORDS):
        ws.append(sparse_perceptron.weight_words[k])
    intercept: int256 = sparse_perceptron._lane(sparse_perceptron.header, 0)
    return keccak256(abi_encode(intercept, ws))


# --- phase 3: participation -------------------------------------------------


@internal
def _add(data: DynArray[uint256, sparse_perceptron.MAX_PACKED_WORDS], label: uint8, paid: uint256):
    # Records one staked contribution of msg.sender (stake: `paid`) and logs
    # `DataAdded`; the deployable trains the model.
    market_id: uint256 = self.market_count
    if self.markets[market_id].phase != PARTICIPATION:
        errors._fail("prediction_market: not in participation")
    if paid != self.markets[market_id].stake:
        errors._fail("prediction_market: stake one unit")
    if len(data) > MAX_CONTRIBUTION_DATA_WORDS:
        errors._fail("prediction_market: contribution too large")
    t: uint256 = self.markets[market_id].contributions
    if (
        t >= self.markets[market_id].max_contributions
        or block.timestamp >= self.markets[market_id].ends_at
    ):
        errors._fail("prediction_market: participation is over")
    self.markets[market_id].contributions = t + 1
    h: bytes32 = self._fold(
        self.markets[market_id].replay_hash, len(data) * 2 + convert(label, uint256)
    )
    for w: uint256 in data:
        h = self._fold(h, w)
    self.markets[market_id].replay_hash = h
    self.participants[market_id][t] = convert(msg.sender, uint256)
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=paid, added_at=block.timestamp, data=data
    )


# --- phase 4: end, and aborts ----------------------------------------------


@external
def end_market():
    """
    @notice End participation once the time is up or the largest number of
            contributions is reached (anyone).
    """
    market_id: uint256 = self.market_count
    if self.markets[market_id].phase != PARTICIPATION:
        errors._fail("prediction_market: not in participation")
    if (
        self.markets[market_id].contributions < self.markets[market_id].max_contributions
        and block.timestamp < self.markets[market_id].ends_at
    ):
        errors._fail("prediction_market: end condition not met")
    phase: uint256 = ENDED
    deadline: uint256 = block.timestamp + self.markets[market_id].reveal_window
    if self.markets[market_id].revealed == self._all_parts(self.markets[market_id].n_parts):
        # every part was drawn: nothing left to reveal, the settlement window starts
        phase = REVEALED
        deadline = block.timestamp + SETTLEMENT_WINDOW
    self.markets[market_id].phase = phase
    self.markets[market_id].deadline = deadline
    log IPredictionMarket.MarketEnded(
        caller=msg.sender,
        market_id=market_id,
        contributions=self.markets[market_id].contributions,
        reveal_deadline=deadline,
    )


@external
def abort_market():
    """
    @notice Abort a market whose deadline passed (anyone): the provider's
            reveal deadline (committed, drawn or ended), or the settlement
            deadline (revealed or evaluated, not settled SETTLEMENT_WINDOW
            after the last reveal). Every stake can then be claimed back; the
            bounty is burned (stays in the contract), as when a settled
            market pays out less than it.
    """
    market_id: uint256 = self.market_count
    phase: uint256 = self.markets[market_id].phase
    if not (
        phase == COMMITTED
        or phase == DRAWN
        or phase == ENDED
        or phase == REVEALED
        or phase == EVALUATED
    ):
        errors._fail("prediction_market: cannot abort now")
    if block.timestamp <= self.markets[market_id].deadline:
        errors._fail("prediction_market: deadline not passed")
    self.markets[market_id].phase = ABORTED
    log IPredictionMarket.MarketAborted(caller=msg.sender, market_id=market_id)


# --- phase 6: evaluate ------------------------------------------------------


@external
def evaluate_market(
    intercept0: int256,
    h0_words: DynArray[uint256, MAX_MODEL_WORDS],
    contributions: DynArray[uint256, MAX_CONTRIBUTION_WORDS],
    part_hashes: DynArray[bytes32, MAX_PARTS],
    first_part: uint256,
    salts: DynArray[bytes32, MAX_PARTS],
    sizes: DynArray[uint256, MAX_PARTS],
    test_words: DynArray[uint256, MAX_TEST_WORDS],
) -> bool:
    """
    @notice Add the errors of h_0..h_T on the next parts of the revealed test
            set to E_0..E_T (anyone; everything supplied is public and
            checked). Resumable: call again with the following parts until
            it returns True (the market is then evaluated). One part always
            fits in a bounded transaction (MAX_PART_FEATURES).
    @param intercept0 h0's intercept.
    @param h0_words h0's packed weight words.
    @param contributions The market's contributions in order: a header
           (2 * words + label) and the packed words of each.
    @param part_hashes The N part hashes (their fold is the commitment).
    @param first_part The first part of this call: the number of parts
           evaluated so far (`markets(id).evaluated_parts`).
    @param salts The salts of parts first_part, first_part + 1, ...
    @param sizes Their lengths in words.
    @param test_words Their words, in part order.
    @return True once every part is evaluated.
    """
    market_id: uint256 = self.market_count
    if self.markets[market_id].phase != REVEALED:
        errors._fail("prediction_market: not revealed")
    if keccak256(abi_encode(intercept0, h0_words)) != self.markets[market_id].h0_hash:
        errors._fail("prediction_market: wrong initial model")
    # --- the parts against the commitment: each part's words are checked
    #     against its hash as soon as the pass below reaches its end
    n_parts: uint256 = self.markets[market_id].n_parts
    if first_part != self.markets[market_id].evaluated_parts:
        errors._fail("prediction_market: evaluate the next part")
    n_chunk: uint256 = len(salts)
    if n_chunk == 0 or len(sizes) != n_chunk or n_chunk > n_parts - first_part:
        errors._fail("prediction_market: wrong test set")
    if len(part_hashes) != n_parts:
        errors._fail("prediction_market: wrong test set")
    c: bytes32 = empty(bytes32)
    for ph: bytes32 in part_hashes:
        c = keccak256(concat(c, ph))
    if c != self.markets[market_id].commitment:
        errors._fail("prediction_market: wrong test set")
    total: uint256 = 0
    for size: uint256 in sizes:
        if size == 0 or size > MAX_PART_WORDS:
            errors._fail("prediction_market: wrong test set")
        total += size
    if total != len(test_words):
        errors._fail("prediction_market: wrong test set")
    # --- one pass over the test set: margins at h0 into the lanes, and the
    #     inverted index as linked lists: head[f] = 1 + the last occurrence of
    #     feature f, entry o (32 bits) = (1 + previous occurrence) << 16 | sample.
    #     Weights are kept biased (w + 2**15, flipping each lane's sign bit)
    #     so that summing them needs no sign extension.
    weights: uint256[MAX_MODEL_WORDS] = empty(uint256[MAX_MODEL_WORDS])
    for k: uint256 in range(len(h0_words), bound=MAX_MODEL_WORDS):
        weights[k] = h0_words[k] ^ SIGN16
    lanes: uint256[LANE_WORDS] = empty(uint256[LANE_WORDS])
    labels: uint256[LANE_WORDS] = empty(uint256[LANE_WORDS])  # bit 0 of lane: label 1
    head: uint256[MAX_FEATURES] = empty(uint256[MAX_FEATURES])
    entries: uint256[MAX_OCCURRENCES // 8] = empty(uint256[MAX_OCCURRENCES // 8])
    s: uint256 = 0  # samples so far
    o: uint256 = 0  # occurrences so far
    acc: uint256 = 0  # the entries word being filled
    left: uint256 = 0
    label: uint256 = 0
    biased: uint256 = 0  # sum of the sample's biased weights
    count: uint256 = 0  # and their number
    # each part's words folded from its salt, checked at the part's end
    part: uint256 = 0  # of this call
    part_end: uint256 = sizes[0]
    h: bytes32 = salts[0]
    seen: uint256 = 0  # words so far
    for w: uint256 in test_words:
        h = keccak256(concat(h, convert(w, bytes32)))
        seen = unsafe_add(seen, 1)  # cannot overflow: at most MAX_TEST_WORDS
        if seen == part_end:
            if h != part_hashes[first_part + part]:
                errors._fail("prediction_market: wrong test set")
            part = unsafe_add(part, 1)
            if part < n_chunk:
                h = salts[part]
                part_end = unsafe_add(part_end, sizes[part])  # sizes sum to len(test_words)
        if left == 0:
            left = w >> 1
            label = w & 1
            biased = 0
            count = 0
            continue
        rest: uint256 = w
        for _: uint256 in range(16):
            if rest == 0:
                break
            # lanes > 0, indices < n_features: validated at reveal
            f: uint256 = unsafe_sub(rest & 65535, 1)
            # cannot overflow: at most 128 terms below 2**16
            biased = unsafe_add(biased, (weights[f >> 4] >> ((f & 15) << 4)) & 65535)
            # 8 entries per word: built in `acc`, written when full
            acc |= ((head[f] << 16) | s) << ((o & 7) << 5)
            if o & 7 == 7:
                entries[o >> 3] = acc
                acc = 0
            o = unsafe_add(o, 1)  # cannot overflow: at most 16 per word
            head[f] = o
            count = unsafe_add(count, 1)
            rest = rest >> 16
        left -= 1
        if left == 0:
            # v = margin - 1, clamped: lane = v + 2**31, top bit set iff margin > 0
            v: int256 = intercept0 + convert(biased, int256) - convert(count << 15, int256) - 1
            v = min(max(v, -CLAMP), CLAMP)
            at: uint256 = (s & 7) << 5
            lanes[s >> 3] |= convert(v + convert(BIAS, int256), uint256) << at
            if label == 1:
                labels[s >> 3] |= 1 << at
            s += 1
    if part != n_chunk:
        # a size ran past the words (parts were revealed whole, so every part
        # whose hash matched ends on a sample boundary)
        errors._fail("prediction_market: wrong test set")
    if o & 7 != 0:
        entries[o >> 3] = acc
    n_lane_words: uint256 = (s + 7) >> 3
    for p: uint256 in range(s, n_lane_words * 8, bound=8):
        # padding lanes: firmly predicted 1, labelled 1 (never an error)
        lanes[p >> 3] |= (BIAS + convert(CLAMP, uint256)) << ((p & 7) << 5)
        labels[p >> 3] |= 1 << ((p & 7) << 5)
    # errors: lanes whose top bit (prediction) differs from the label bit. The
    # 8 mismatch bits of a word, at bit 0 of their lanes, are summed into the
    # top lane by one multiplication (the sum is at most 8: no carries).
    wrong: uint256 = 0
    for k: uint256 in range(n_lane_words, bound=LANE_WORDS):
        x: uint256 = ((lanes[k] >> 31) ^ labels[k]) & LOW_BITS
        wrong = unsafe_add(wrong, unsafe_mul(x, LOW_BITS) >> 224)
    errs: DynArray[uint256, MAX_PARTICIPANTS + 1] = [wrong]

    # --- replay the contributions from h0. Lane arithmetic is unsafe on
    #     purpose: every lane stays in [0, 2**32) (the clamp, module @dev), so
    #     adding a lane delta, or its two's complement to subtract it, never
    #     carries or borrows across lanes.
    b: int256 = intercept0
    lri: int256 = sparse_perceptron.learning_rate
    lr: uint256 = convert(lri, uint256)
    h = empty(bytes32)
    i: uint256 = 0
    n_words: uint256 = len(contributions)
    for t: uint256 in range(self.markets[market_id].contributions, bound=MAX_PARTICIPANTS):
        if i >= n_words:
            errors._fail("prediction_market: wrong contributions")
        header: uint256 = contributions[i]
        h = keccak256(concat(h, convert(header, bytes32)))
        nw: uint256 = header >> 1
        y: uint256 = header & 1
        if i + nw >= n_words or nw > MAX_CONTRIBUTION_DATA_WORDS:
            errors._fail("prediction_market: wrong contributions")
        biased = 0
        count = 0
        for j: uint256 in range(i + 1, i + 1 + nw, bound=MAX_CONTRIBUTION_WORDS):
            cw: uint256 = contributions[j]
            h = keccak256(concat(h, convert(cw, bytes32)))
            rest: uint256 = cw
            for _: uint256 in range(16):
                if rest == 0:
                    break
                f: uint256 = unsafe_sub(rest & 65535, 1)
                biased = unsafe_add(biased, (weights[f >> 4] >> ((f & 15) << 4)) & 65535)
                count = unsafe_add(count, 1)
                rest = rest >> 16
        mg: int256 = b + convert(biased, int256) - convert(count << 15, int256)
        if (1 if mg > 0 else 0) != y:
            # 1 or -1 mod 2**256: multiplying a lane delta by it adds or subtracts
            sign: uint256 = 1 if y == 1 else max_value(uint256)
            nb: int256 = min(max(b + (lri if y == 1 else -lri), INT16_MIN), INT16_MAX)
            up: uint256 = convert(abs(nb - b), uint256)
            b = nb
            # the intercept moves every lane: done with the count below
            all_lanes: uint256 = unsafe_mul(sign, up * LOW_BITS)
            for j: uint256 in range(i + 1, i + 1 + nw, bound=MAX_CONTRIBUTION_WORDS):
                cw: uint256 = contributions[j]
                for lane: uint256 in range(16):
                    x: uint256 = (cw >> (lane << 4)) & 65535
                    if x == 0:
                        break
                    f: uint256 = unsafe_sub(x, 1)
                    offset: uint256 = (f & 15) << 4
                    word: uint256 = weights[f >> 4]
                    wb: uint256 = (word >> offset) & 65535
                    # saturate in the biased range [0, 2**16 - 1]
                    nwb: uint256 = 0
                    if y == 1:
                        nwb = min(wb + lr, 65535)
                    else:
                        nwb = wb - min(wb, lr)
                    if nwb == wb:
                        continue
                    weights[f >> 4] = (word & ~(65535 << offset)) | (nwb << offset)
                    amount: uint256 = nwb - wb if y == 1 else wb - nwb
                    o = head[f]
                    for _: uint256 in range(MAX_OCCURRENCES):
                        if o == 0:
                            break
                        o = unsafe_sub(o, 1)
                        e: uint256 = entries[o >> 3] >> ((o & 7) << 5)
                        sid: uint256 = e & 65535
                        o = (e >> 16) & 65535
                        at: uint256 = (sid & 7) << 5
                        lanes[sid >> 3] = unsafe_add(
                            lanes[sid >> 3], unsafe_mul(sign, amount << at)
                        )
            wrong = 0
            for k: uint256 in range(n_lane_words, bound=LANE_WORDS):
                lane: uint256 = unsafe_add(lanes[k], all_lanes)
                lanes[k] = lane
                x: uint256 = ((lane >> 31) ^ labels[k]) & LOW_BITS
                wrong = unsafe_add(wrong, unsafe_mul(x, LOW_BITS) >> 224)
            errs.append(wrong)
        else:
            errs.append(errs[t])
        i += 1 + nw
    if i != n_words or h != self.markets[market_id].replay_hash:
        errors._fail("prediction_market: wrong contributions")
    # --- add this call's E_t to the totals, 16 per word (a lane's total is at
    #     most MAX_TEST_SAMPLES < 2**16: no carry into the next lane)
    packed: uint256 = 0
    for t: uint256 in range(len(errs), bound=MAX_PARTICIPANTS + 1):
        packed |= errs[t] << ((t & 15) << 4)
        if t & 15 == 15 or t + 1 == len(errs):
            self.error_counts[market_id][t >> 4] += packed
            packed = 0
    done: uint256 = first_part + n_chunk
    self.markets[market_id].evaluated_parts = done
    if done < n_parts:
        return False
    self.markets[market_id].phase = EVALUATED
    last: uint256 = len(errs) - 1
    log IPredictionMarket.LossesEvaluated(
        caller=msg.sender,
        market_id=market_id,
        n_samples=self.markets[market_id].n_samples,
        initial_errors=self.error_counts[market_id][0] & 65535,
        final_errors=(self.error_counts[market_id][last >> 4] >> ((last & 15) << 4)) & 65535,
    )
    return True


# --- phase 7: settle ---------------------------------------------------------


@internal
@view
def _balances(market_id: uint256) -> int256[MAX_PARTICIPANTS]:
    """
    @dev Fig. 2's loop: balances b_t (units of stake / M) after R rounds.
         S is a doubly linked list (node t + 1 is participant t, node 0 the
         sentinel). A node's balance is kept lazily as base + (r - since) * d
         after r rounds, d = E_t' - E_t its per-round change: d only changes
         when its predecessor in S drops out. Each jump goes to the first
         round in which a node with d < 0 falls under one unit (M); only
         those nodes are scanned (a list, cleaned lazily), so a jump costs
         the number of losing nodes, not |S|.
    """
    big_m: int256 = convert(self.markets[market_id].n_samples, int256)
    n: uint256 = self.markets[market_id].contributions
    e: int256[MAX_PARTICIPANTS + 1] = empty(int256[MAX_PARTICIPANTS + 1])
    word: uint256 = 0
    for t: uint256 in range(n + 1, bound=MAX_PARTICIPANTS + 1):
        if t & 15 == 0:
            word = self.error_counts[market_id][t >> 4]
        e[t] = convert((word >> ((t & 15) << 4)) & 65535, int256)
    rounds: int256 = convert(
        self.markets[market_id].bounty // self.markets[market_id].stake, int256
    )
    base: int256[MAX_PARTICIPANTS + 1] = empty(int256[MAX_PARTICIPANTS + 1])
    since: int256[MAX_PARTICIPANTS + 1] = empty(int256[MAX_PARTICIPANTS + 1])
    d: int256[MAX_PARTICIPANTS + 1] = empty(int256[MAX_PARTICIPANTS + 1])
    nxt: uint256[MAX_PARTICIPANTS + 1] = empty(uint256[MAX_PARTICIPANTS + 1])
    prv: uint256[MAX_PARTICIPANTS + 1] = empty(uint256[MAX_PARTICIPANTS + 1])
    losers: DynArray[uint256, MAX_PARTICIPANTS] = []
    for node: uint256 in range(1, n + 1, bound=MAX_PARTICIPANTS):
        base[node] = big_m
        d[node] = e[node - 1] - e[node]
        nxt[node - 1] = node
        prv[node] = node - 1
        if d[node] < 0:
            losers.append(node)
    done: int256 = 0  # rounds played
    dropped: DynArray[uint256, MAX_PARTICIPANTS] = []
    # every jump ends the rounds or drops someone: at most n + 1 of them
    for jump: uint256 in range(MAX_PARTICIPANTS + 1):
        if jump > n or done == rounds or nxt[0] == 0:
            break
        # the first round after which a loser is under one unit:
        # base + (r - since) * d < M
        target: int256 = rounds
        kept: DynArray[uint256, MAX_PARTICIPANTS] = []
        for node: uint256 in losers:
            if d[node] < 0 and base[node] >= big_m:
                kept.append(node)
                target = min(target, since[node] + (base[node] - big_m) // (0 - d[node]) + 1)
        losers = kept
        done = target
        if done == rounds:
            break
        # drop them (their balance is final), then their successors' d change
        dropped = []
        for node: uint256 in losers:
            bal: int256 = base[node] + (done - since[node]) * d[node]
            if bal < big_m:
                base[node] = bal
                since[node] = done
                d[node] = 0
                dropped.append(node)
            # unlink them (removals in any order keep S right; their own
            # pointers go stale), then give each alive successor its new d


        for node: uint256 in dropped:
            nxt[prv[node]] = nxt[node]
            prv[nxt[node]] = prv[node]
        for node: uint256 in dropped:
            after: uint256 = nxt[node]
            for _: uint256 in range(MAX_PARTICIPANTS):
                # a dropped node's balance is under M, an alive one's base is not
                if after == 0 or base[after] >= big_m:
                    break
                after = nxt[after]
            if after == 0:
                continue
            old: int256 = d[after]
            base[after] = base[after] + (done - since[after]) * old
            since[after] = done
            d[after] = e[prv[after]] - e[after]
            if d[after] < 0 and old >= 0:
                losers.append(after)
    bal_out: int256[MAX_PARTICIPANTS] = empty(int256[MAX_PARTICIPANTS])
    for node: uint256 in range(1, n + 1, bound=MAX_PARTICIPANTS):
        bal_out[node - 1] = base[node] + (done - since[node]) * d[node]
    return bal_out


@external
def settle_market(max_payouts: uint256) -> bool:
    """
    @notice Run Fig. 2's rounds and write the payouts of up to `max_payouts`
            more participants (anyone; call again until it returns True).
    @param max_payouts How many payouts to write in this transaction.
    @return True once every payout is written (the market is settled).
    """
    market_id: uint256 = self.market_count
    if self.markets[market_id].phase != EVALUATED:
        errors._fail("prediction_market: not evaluated")
    if max_payouts == 0:
        errors._fail("prediction_market: settle at least one")
    bal: int256[MAX_PARTICIPANTS] = self._balances(market_id)
    n: uint256 = self.markets[market_id].contributions
    stake: uint256 = self.markets[market_id].stake
    big_m: uint256 = self.markets[market_id].n_samples
    first: uint256 = self.markets[market_id].settled_count
    last: uint256 = first + min(max_payouts, n - first)
    for t: uint256 in range(first, last, bound=MAX_PARTICIPANTS):
        # b_t >= 0 (it loses at most M a round while >= M), <= (R + 1) * M
        payout: uint256 = convert(bal[t], uint256) * stake // big_m
        entry: uint256 = self.participants[market_id][t]
        self.participants[market_id][t] = (entry & ADDRESS_MASK) | (payout << 160)
    self.markets[market_id].settled_count = last
    done: bool = last == n
    if done:
        self.markets[market_id].phase = SETTLED
        total: uint256 = 0
        for t: uint256 in range(n, bound=MAX_PARTICIPANTS):
            total += convert(bal[t], uint256) * stake // big_m
        log IPredictionMarket.MarketSettled(
            caller=msg.sender, market_id=market_id, total_payout=total
        )
    return done


# --- claims -----------------------------------------------------------------


@internal
def _claim(market_id: uint256, t: uint256):
    # Pays msg.sender its payout (settled) or its stake back (aborted), once;
    # state and log before the payment, which forwards all gas (no 2,300
    # stipend) and reverts if the receiver does. Called under a reentrancy lock.
    claimant: address = msg.sender
    phase: uint256 = self.markets[market_id].phase
    entry: uint256 = self.participants[market_id][t]
    if entry & ADDRESS_MASK != convert(claimant, uint256):
        errors._fail("prediction_market: not your contribution")
    if entry & CLAIMED_BIT != 0:
        errors._fail("prediction_market: already claimed")
    amount: uint256 = 0
    if phase == SETTLED:
        amount = (entry >> 160) & PAYOUT_MASK
    elif phase == ABORTED:
        amount = self.markets[market_id].stake
    else:
        errors._fail("prediction_market: not settled")
    self.participants[market_id][t] = entry | CLAIMED_BIT
    self.markets[market_id].paid += amount
    if phase == SETTLED:
        log IPredictionMarket.PayoutClaimed(
            participant=claimant, market_id=market_id, index=t, amount=amount
        )
    else:
        log IPredictionMarket.StakeReturned(
            participant=claimant, market_id=market_id, index=t, amount=amount
        )
    if amount > 0:
        raw_call(claimant, b"", value=amount)
