"""Read many words of a trainer's state in a few round trips (JSON-RPC batches of `eth_call`).

A model's state is read back word by word through its public getters (`weight_words(k)`,
`count_words(k)`, ...). One call per word is one HTTP round trip: a 10,000-word naive Bayes is
1,334 of them. Batching sends `BATCH_SIZE` calls per request; the node answers them all at once.

`call_many` is the same for any calls to one contract (already encoded), at any block: the
predictions of a whole file (`ape_decai.batch`) go through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def block_tag(block: int | None) -> str:
    """The JSON-RPC block parameter: "latest", or a block number in hex."""
    return "latest" if block is None else hex(block)


def call_many(
    address: str,
    calldatas: Sequence[bytes],
    block: int | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> list[bytes]:
    """The return data of `eth_call(to=address, data=d)` for each `d`, at `block` (None: the
    latest), sent `batch_size` calls per JSON-RPC batch. `on_batch(done)` is called after each
    batch. A call that fails raises `CallFailed` with its position in `calldatas`."""
    calldatas = list(calldatas)
    tag = block_tag(block)
    web3 = getattr(managers.provider, "web3", None)
    batching = web3 is not None and hasattr(getattr(web3, "provider", None), "make_batch_request")
    out: list[bytes] = []
    for start in range(0, len(calldatas), batch_size):
        chunk = calldatas[start : start + batch_size]
        requests = [("eth_call", [{"to": str(address), "data": "0x" + bytes(d).hex()}, tag]) for d in chunk]
        if batching and web3 is not None:
            responses = web3.provider.make_batch_request(requests)
            if not isinstance(responses, list):  # the node refused the whole batch
                raise CallFailed(start, f"the node refused a batch of {len(requests)} calls: {responses}")
        else:  # one request per call
            responses = [_one_call(*request) for request in requests]
        for k, response in enumerate(responses):
            if "error" in response or "result" not in response:
                error = response.get("error", response)
                message = error.get("message", error) if isinstance(error, dict) else error
                raise CallFailed(start + k, str(message))
            out.append(bytes.fromhex(str(response["result"]).removeprefix("0x")))
        if on_batch is not None:
            on_batch(len(out))
    return out


def _one_call(method: str, params: list) -> dict:
    """One JSON-RPC request, answered as a batch's item would be ({"result"} or {"error"})."""
    try:
        result = managers.provider.make_request(method, params)
    except Exception as err:  # noqa: BLE001  any failure is this call's error
        return {"error": {"message": " ".join(str(err).split())}}
    return {"result": result.hex() if isinstance(result, bytes | bytearray) else result}


class CallFailed(Exception):
    """One call of a `call_many` batch failed (reverted, or the node refused it)."""

    def __init__(self, position: int, message: str):
        super().__init__(f"call {position} failed: {message}")
        self.position = position
        self.message = message
