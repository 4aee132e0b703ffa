"""Vocabularies of any size: the word list published in parts, the trainer committing to them.

A trainer logs its encoder description in `TrainerDeployed`, at most 32 kB (`String[32768]`):
about 4,000 words. A larger vocabulary is published before the trainer is deployed, as logs of
the shared `EncoderPublisher` contract, one part (at most `PART_BYTES`) per transaction; the
trainer's description then carries, instead of the word list, a commitment:

    "published": {"publisher": <address>, "words": <count>, "parts": [<keccak256 of each part>]}

The parts, concatenated, are the word list as compact JSON (`vocabulary_bytes`). A client finds
each part by its hash (an indexed topic of `EncoderPartPublished`), checks it, and rebuilds the
vocabulary from the chain alone (`fetch_vocabulary`). Anyone may publish, so nothing is trusted:
a part counts only if its hash is the committed one. Publishing is resumable for free: a part
already on chain (found by its hash) is not sent again.

The publisher is deployed once per chain at a deterministic address, through the CREATE2
deployer the shared implementations use (`ape_decai.clones`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from ape_decai._ape import managers
from ape_decai.clones import CREATE2_DEPLOYER, check_create2_deployer
from ape_decai.manifest import load_contract_type

PUBLISHER = "EncoderPublisher"
SALT = keccak(b"ape-decai encoder publisher")
# The contract's MAX_PART_BYTES: one part's calldata and log stay around 1.4M gas.
PART_BYTES = 32768
# A part's transaction: 21,000 + calldata (40 a byte at the EIP-7623 floor) + log (8 a byte) and
# memory; an upper bound for fitting parts under a gas cap.
GAS_PER_PART_BYTE = 49
GAS_PER_PART = 60_000
EVENT_SIGNATURE = "EncoderPartPublished(bytes32,address,bytes)"
EVENT_TOPIC = "0x" + keccak(text=EVENT_SIGNATURE).hex()

Progress = Callable[[int, int, str], None]


def vocabulary_bytes(words: list[str]) -> bytes:
    """The word list as published: compact JSON, ASCII."""
    return json.dumps(list(words), separators=(",", ":"), ensure_ascii=True).encode("ascii")


def split_parts(data: bytes, part_bytes: int = PART_BYTES) -> list[bytes]:
    """`data` in consecutive parts of at most `part_bytes`."""
    return [data[k : k + part_bytes] for k in range(0, len(data), part_bytes)]


def part_hash(part: bytes) -> str:
    """The commitment to one part: its keccak256, 0x-hex."""
    return "0x" + keccak(part).hex()


def init_code() -> bytes:
    bytecode = load_contract_type(PUBLISHER).deployment_bytecode
    assert bytecode is not None and bytecode.bytecode, "the manifest lacks the publisher's bytecode"
    return bytes.fromhex(bytecode.bytecode.removeprefix("0x"))


def publisher_address() -> str:
    """Where the shared publisher is (or will be) on any chain."""
    digest = keccak(b"\xff" + bytes.fromhex(CREATE2_DEPLOYER[2:]) + SALT + keccak(init_code()))
    return to_checksum_address(digest[12:])


def published_description(description: dict) -> dict:
    """A vocabulary encoder's description with its word list replaced by the commitment."""
    words = description["vocabulary"]
    parts = split_parts(vocabulary_bytes(words))
    compact = {k: v for k, v in description.items() if k != "vocabulary"}
    compact["published"] = {
        "publisher": publisher_address(),
        "words": len(words),
        "parts": [part_hash(p) for p in parts],
    }
    return compact


def parts_of(description: dict) -> list[bytes]:
    """The parts to publish for a vocabulary encoder's (full) description."""
    return split_parts(vocabulary_bytes(description["vocabulary"]))


def _check_commitment(published: Any) -> tuple[str, int, list[str]]:
    if not isinstance(published, dict) or set(published) != {"publisher", "words", "parts"}:
        raise ValueError("encoder: published must be an object with publisher, words and parts")
    parts, words = published["parts"], published["words"]
    if not isinstance(parts, list) or not parts or not all(isinstance(h, str) and len(h) == 66 for h in parts):
        raise ValueError("encoder: published parts must be a non-empty list of 32-byte hashes")
    if isinstance(words, bool) or not isinstance(words, int) or words < 1:
        raise ValueError("encoder: published words must be a positive integer")
    return str(published["publisher"]), words, [h.lower() for h in parts]


def _logs(publisher: str, hashes: list[str], to_block: int | str = "latest") -> dict[str, bytes]:
    """hash -> the part of the first log of `publisher` with that hash (checked), up to `to_block`."""
    found: dict[str, bytes] = {}
    if not hashes:
        return found
    logs = managers.provider.web3.eth.get_logs(
        {
            "address": to_checksum_address(publisher),
            "fromBlock": 0,
            "toBlock": to_block,
            "topics": [EVENT_TOPIC, sorted(set(hashes))],
        }
    )
    for log in logs:
        topic = log["topics"][1]
        wanted = "0x" + (topic.hex() if isinstance(topic, bytes | bytearray) else str(topic)).removeprefix("0x")
        (part,) = abi_decode(["bytes"], bytes(log["data"]))
        if wanted.lower() not in found and part_hash(part) == wanted.lower():
            found[wanted.lower()] = part
    return found


def fetch_vocabulary(published: Any, to_block: int | str = "latest") -> list[str]:
    """The word list a commitment describes, read from the chain and checked (ValueError if a part
    is missing or the parts do not make the committed list)."""
    publisher, count, hashes = _check_commitment(published)
    found = _logs(publisher, hashes, to_block)
    missing = [k for k, h in enumerate(hashes) if h not in found]
    if missing:
        raise ValueError(
            f"encoder: {len(missing)} of the {len(hashes)} published vocabulary parts are not on this chain "
            f"(first missing: part {missing[0]}, {hashes[missing[0]]}); finish the deployment with `ape decai deploy`"
        )
    try:
        words = json.loads(b"".join(found[h] for h in hashes).decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("encoder: the published vocabulary parts do not make a JSON word list") from None
    if not isinstance(words, list) or len(words) != count:
        raise ValueError(f"encoder: the published vocabulary has {len(words)} entries, the commitment says {count}")
    return words


def publisher_deployed() -> bool:
    return bool(managers.provider.get_code(publisher_address()))


def ensure_publisher(sender: Any) -> int | None:
    """Deploy the shared publisher if this chain lacks it; its gas, or None if it was there."""
    if publisher_deployed():
        return None
    check_create2_deployer()
    receipt = sender.transfer(CREATE2_DEPLOYER, 0, data=SALT + init_code())
    if not publisher_deployed():
        raise ValueError(f"the CREATE2 deployer did not create the encoder publisher at {publisher_address()}")
    return int(receipt.gas_used)


def publish(parts: list[bytes], sender: Any, on_progress: Progress | None = None) -> list[int]:
    """Publish the parts not yet on chain (resumable: a part found by its hash is skipped).
    Returns the gas of every transaction sent (the publisher's deployment first, if sent)."""
    gas: list[int] = []
    deployed = ensure_publisher(sender)
    if deployed is not None:
        gas.append(deployed)
    hashes = [part_hash(p) for p in parts]
    on_chain = _logs(publisher_address(), hashes)
    publisher = managers.chain_manager.contracts.instance_at(
        publisher_address(), contract_type=load_contract_type(PUBLISHER)
    )
    for k, (part, h) in enumerate(zip(parts, hashes, strict=True)):
        if h not in on_chain:
            gas.append(int(publisher.publish(part, sender=sender).gas_used))
        if on_progress:
            on_progress(k + 1, len(parts), "vocabulary part")
    return gas
