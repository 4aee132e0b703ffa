"""Read many words of a trainer's state in a few round trips (JSON-RPC batches of `eth_call`).

A model's state is read back word by word through its public getters (`weight_words(k)`,
`count_words(k)`, ...). One call per word is one HTTP round trip: a 10,000-word naive Bayes is
1,334 of them. Batching sends `BATCH_SIZE` calls per request; the node answers them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import function_signature_to_4byte_selector

from ape_decai._ape import managers

BATCH_SIZE = 500


def read_words(contract: Any, getter: str, indices: Sequence[int]) -> list[int]:
    """`[contract.<getter>(k) for k in indices]` for a `getter(uint256) -> uint256`, batched."""
    indices = list(indices)
    web3 = getattr(managers.provider, "web3", None)
    if web3 is None or not hasattr(web3, "batch_requests"):  # a provider without JSON-RPC batches
        return [int(getattr(contract, getter)(k)) for k in indices]
    selector = function_signature_to_4byte_selector(f"{getter}(uint256)")
    words: list[int] = []
    for start in range(0, len(indices), BATCH_SIZE):
        with web3.batch_requests() as batch:
            for k in indices[start : start + BATCH_SIZE]:
                batch.add(web3.eth.call({"to": str(contract.address), "data": selector + k.to_bytes(32, "big")}))
            results = batch.execute()
        for k, result in zip(indices[start : start + BATCH_SIZE], results, strict=True):
            if len(result) != 32:
                raise ValueError(f"{getter}({k}) returned {len(result)} bytes, not one word")
            words.append(int.from_bytes(bytes(result), "big"))
    return words
