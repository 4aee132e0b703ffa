# pragma version ~=0.4.3
"""
@title Data handler: the record of every contribution
@license MIT
@notice Remembers each contribution under a key that commits to the data,
        the label, the time it was added and the contributor. The data itself
        is not stored (it is public through the trainer's `DataAdded` event);
        whoever acts on a contribution supplies it again and the key is
        recomputed, so a forged sample cannot match a record.
@dev One packed storage slot per contribution:
       bit 255        the record exists (zero deposits still leave a record)
       bit 254        the contributor was refunded / validated (good data)
       bit 253        the model disagreed with the label when it was added
                      (only recorded while the doubt wait is on: `stakeable`)
       bits 96..191   the original deposit d (uint96)
       bits 0..95     what is still claimable, dr <= d (uint96)
     Only the deployable that `initializes:` this module can write it.
@custom:security Its writers are `@internal`: only the deployable that
                 initializes it (through its mechanism) writes records; a
                 record can neither be overwritten nor forged (the key
                 commits to data, label, time and contributor).
"""

from contracts.lib import errors

EXISTS_BIT: constant(uint256) = 1 << 255
REFUNDED_BIT: constant(uint256) = 1 << 254
DOUBTED_BIT: constant(uint256) = 1 << 253
AMOUNT_MASK: constant(uint256) = 2**96 - 1

# @dev Largest deposit a record can hold (wei).
MAX_DEPOSIT: constant(uint256) = 2**96 - 1

# @dev Packed contribution records by key (see the module docstring).
records: public(HashMap[bytes32, uint256])

# @dev Whether an address has already taken a share of a contribution.
taken_by: public(HashMap[bytes32, HashMap[address, bool]])


struct Contribution:
    exists: bool
    refunded: bool
    doubted: bool
    deposit: uint256
    claimable: uint256


@internal
@pure
def _key(data_hash: bytes32, label: uint8, added_at: uint256, contributor: address) -> bytes32:
    # data_hash is keccak256 of the ABI encoding of the model's input.
    return keccak256(abi_encode(data_hash, label, added_at, contributor))


@internal
@pure
def _unpack(packed: uint256) -> Contribution:
    return Contribution(
        exists=packed & EXISTS_BIT != 0,
        refunded=packed & REFUNDED_BIT != 0,
        doubted=packed & DOUBTED_BIT != 0,
        deposit=(packed >> 96) & AMOUNT_MASK,
        claimable=packed & AMOUNT_MASK,
    )


@internal
@pure
def _pack(c: Contribution) -> uint256:
    return (
        EXISTS_BIT
        | (convert(c.refunded, uint256) << 254)
        | (convert(c.doubted, uint256) << 253)
        | (c.deposit << 96)
        | c.claimable
    )


@internal
def _add(key: bytes32, deposit: uint256):
    """
    @dev Record a new contribution (the points mechanism: no verdict kept).
    """
    self._add_judged(key, deposit, False)


@internal
def _add_judged(key: bytes32, deposit: uint256, doubted: bool):
    """
    @dev Record a new contribution; `doubted`: the model disagreed with its
         label when it was added (the deposit mechanism's doubt wait).
    """
    if deposit > MAX_DEPOSIT:
        errors._fail("data_handler: deposit too large")
    if self.records[key] != 0:
        errors._fail("data_handler: duplicate contribution")
    self.records[key] = (
        EXISTS_BIT | (convert(doubted, uint256) << 253) | (deposit << 96) | deposit
    )


@internal
@view
def _get(key: bytes32) -> Contribution:
    packed: uint256 = self.records[key]
    if packed == 0:
        errors._fail("data_handler: unknown contribution")
    return self._unpack(packed)


@internal
def _set(key: bytes32, c: Contribution):
    self.records[key] = self._pack(c)


@internal
def _mark_taken(key: bytes32, taker: address):
    if self.taken_by[key][taker]:
        errors._fail("data_handler: already taken by sender")
    self.taken_by[key][taker] = True
