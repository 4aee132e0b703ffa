"""Many transactions into one block at a chosen time, on a local Anvil (for simulations).

Sending through Ape's contract methods costs a dry run, a gas estimate, a send and a receipt
poll per transaction (about 10 a second). A simulation sends thousands, at simulated times, so
`BlockBuilder` signs them locally (the test accounts' keys), sends a whole block's worth in one
JSON-RPC batch, mines them with `evm_mine` at the block's timestamp (automine is off while it
runs) and reads every receipt with one `eth_getBlockReceipts`. Nothing is estimated: the caller
knows the transactions succeed (its Python twin of the contract says so), and a failed one is an
error (`BlockError`), never silently ignored.

Local development chains only (Anvil's `evm_*` and `anvil_*` methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account

from ape_decai.errors import DecaiError

# Gas limit of every transaction (well above what add_data, refund or report use) and the block
# gas limit while building, so that a block holds `MAX_TRANSACTIONS` of them.
TRANSACTION_GAS = 2_000_000
MAX_TRANSACTIONS = 200
BLOCK_GAS_LIMIT = TRANSACTION_GAS * (MAX_TRANSACTIONS + 1)
# What a transaction offers per gas: above any base fee a local chain reaches; the priority fee is
# 0, so each pays exactly the block's base fee (what `effectiveGasPrice` says).
MAX_FEE_PER_GAS = 1000 * 10**9


class BlockError(DecaiError):
    """A transaction of a built block failed, or the node refused the block."""


@dataclass
class Sent:
    """One transaction of a mined block: who sent it, its hash, its receipt (a JSON-RPC dict)."""

    sender: str
    tag: Any
    txn_hash: str
    receipt: dict

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"], 16)

    @property
    def fee(self) -> int:
        return self.gas_used * int(self.receipt["effectiveGasPrice"], 16)

    @property
    def logs(self) -> list[dict]:
        return self.receipt["logs"]


class BlockBuilder:
    """Queue signed transactions (`add`), then `mine(timestamp)` them into one block.

    Use as a context manager: automine is switched off (and the block gas limit raised) on
    entry, and both are restored on exit.
    """

    def __init__(self, provider: Any, accounts: list[Any]):
        self.provider = provider
        self.web3 = provider.web3
        self.chain_id = int(provider.chain_id)
        self.keys = {str(a.address): Account.from_key(a.private_key) for a in accounts}
        self.nonces: dict[str, int] = {}
        self.queue: list[tuple[str, Any, bytes]] = []
        self.transactions = 0
        self._gas_limit: int | None = None

    def _request(self, method: str, params: list) -> Any:
        response = self.web3.provider.make_request(method, params)
        if "error" in response:
            raise BlockError(f"{method}: {response['error'].get('message', response['error'])}")
        return response["result"]

    def __enter__(self) -> BlockBuilder:
        self._gas_limit = int(self.provider.get_block("latest").gas_limit)
        self._request("evm_setAutomine", [False])
        self._request("anvil_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
        for address in self.keys:
            self.nonces[address] = int(self._request("eth_getTransactionCount", [address, "latest"]), 16)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.queue.clear()
        self._request("anvil_setBlockGasLimit", [hex(self._gas_limit or BLOCK_GAS_LIMIT)])
        self._request("evm_setAutomine", [True])
        # One empty block with the restored gas limit: clients (Ape) size their transactions'
        # gas by the latest block's limit, which is still the raised one.
        self._request("evm_mine", [])

    def room(self) -> int:
        """How many more transactions the next block takes."""
        return MAX_TRANSACTIONS - len(self.queue)

    def add(self, sender: str, to: str, data: bytes, value: int = 0, tag: Any = None) -> None:
        """Queue a call of `to` with calldata `data` and `value` wei from `sender` (a test account)."""
        if not self.room():
            raise BlockError(f"a block holds at most {MAX_TRANSACTIONS} transactions here")
        nonce = self.nonces[sender]
        signed = self.keys[sender].sign_transaction(
            {
                "type": 2,
                "chainId": self.chain_id,
                "nonce": nonce,
                "to": to,
                "value": value,
                "data": data,
                "gas": TRANSACTION_GAS,
                "maxFeePerGas": MAX_FEE_PER_GAS,
                "maxPriorityFeePerGas": 0,
            }
        )
        self.nonces[sender] = nonce + 1
        self.queue.append((sender, tag, bytes(signed.raw_transaction)))

    def mine(self, timestamp: int) -> list[Sent]:
        """Send what is queued, mine one block at `timestamp`, return each transaction with its
        receipt in the order queued; a BlockError if any failed or was left out."""
        queued, self.queue = self.queue, []
        hashes = []
        if queued:
            batch = [("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, _, raw in queued]
            for response in self.web3.provider.make_batch_request(batch):
                if "error" in response:
                    raise BlockError(f"the node refused a transaction: {response['error'].get('message')}")
                hashes.append(response["result"])
        self._request("evm_mine", [timestamp])
        if not queued:
            return []
        receipts = {r["transactionHash"]: r for r in self._request("eth_getBlockReceipts", ["latest"])}
        out = []
        for (sender, tag, _), txn_hash in zip(queued, hashes, strict=True):
            receipt = receipts.get(txn_hash)
            if receipt is None:
                raise BlockError(f"transaction {txn_hash} was not mined in the block at {timestamp}")
            if int(receipt["status"], 16) != 1:
                raise BlockError(f"transaction {txn_hash} ({tag}) failed")
            out.append(Sent(sender, tag, txn_hash, receipt))
        self.transactions += len(out)
        return out
