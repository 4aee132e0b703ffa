# pragma version ~=0.4.3
"""
@title Encoder publisher
@license MIT
@notice Publishes the parts of an encoder description too large for a
        trainer's constructor (a vocabulary of tens of thousands of words) as
        logs, one part per transaction. One publisher serves every trainer on a
        chain (`ape_decai.publishing` deploys it at a deterministic address).
        The trainer's own description commits to the keccak256 of every part,
        in order, so a client rebuilds the word list from the chain alone and
        accepts a part only if its hash is listed: anyone may publish, and a
        wrong or missing part cannot go unnoticed.
@custom:security No state, no owner, no value: it only logs what it is sent.
"""

# @dev Largest part, in bytes (calldata and log: ~1.4M gas at the most).
MAX_PART_BYTES: public(constant(uint256)) = 32768


# @dev One published part, found by its hash (topic 1) and its sender.
event EncoderPartPublished:
    part_hash: indexed(bytes32)
    publisher: indexed(address)
    part: Bytes[MAX_PART_BYTES]


@external
def publish(part: Bytes[MAX_PART_BYTES]):
    """
    @notice Log one part of an encoder description.
    @param part The part's bytes, 1 to MAX_PART_BYTES of them.
    """
    if len(part) == 0:
        raise "encoder_publisher: empty part"
    log EncoderPartPublished(part_hash=keccak256(part), publisher=msg.sender, part=part)
