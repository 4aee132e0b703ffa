"""Which trainer a network uses, remembered by `ape decai deploy` so later commands can omit it.

Keyed by network name, chain id and genesis block hash: a throwaway Anvil has a new genesis each
time, so a trainer remembered there is never mistaken for one on the next throwaway chain. Under a
key, each deployment is remembered with the hash of the block it was deployed in, and the newest
one whose block is part of the current chain wins. A fork shares its upstream's chain id and
genesis, so this is what tells them apart: the fork sees upstream's trainers (deployed before the
fork point), upstream never sees a trainer deployed on the fork.

Several trainers are remembered per network; the *current* one is what commands use without
`--trainer`: the last entry of the network's list that is part of this chain. `deploy` appends
(the new trainer becomes current), `use_trainer` (`ape decai use`) moves the chosen one to the
end. The file keeps the format it always had (a list of {address, block, block_hash} per
network key; a bare address in the oldest files), so every file written so far still reads.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_decai._ape import managers
from ape_decai.errors import DecaiError
from ape_decai.trainers import Trainer
from ape_decai.units import to_hex

MAX_ENTRIES = 20  # deployments remembered per network


def state_file() -> Path:
    configured = managers.config_manager.get_config("decai").state_dir
    base = Path(configured).expanduser() if configured else managers.config_manager.DATA_FOLDER / "decai"
    return base / "trainers.json"


def network_key() -> str:
    provider = managers.provider
    # Bare hex (no 0x): the key format of every state file written so far.
    genesis_hex = bytes(provider.get_block(0).hash).hex()
    return f"{provider.network.ecosystem.name}:{provider.network.name}:{provider.chain_id}:{genesis_hex}"


def _read(path: Path) -> dict:
    # A file that cannot be read is reported, not treated as empty: `deploy` would otherwise
    # overwrite it and lose every trainer it remembered.
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise DecaiError(f"cannot read the state file {path}: {err.strerror or err}") from None
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if not isinstance(data, dict):
        raise DecaiError(f"the state file {path} is corrupted (not a JSON object): fix it, or delete it to forget the remembered trainers")
    return data


def check_state_file() -> None:
    """Raise DecaiError if the state file exists but cannot be read (before a deployment)."""
    _read(state_file())


def _entries(value: Any) -> list[dict]:
    # Older files held a bare address per network: no block to check it against.
    if isinstance(value, str):
        return [{"address": value}]
    return [e for e in value if isinstance(e, dict) and "address" in e] if isinstance(value, list) else []


def _on_this_chain(entry: dict) -> bool:
    if "block" not in entry:
        return True
    provider = managers.provider
    block = int(entry["block"])
    if block > managers.chain_manager.blocks.height:
        return False
    return to_hex(provider.get_block(block).hash) == to_hex(entry.get("block_hash", ""))


def _remembered_here(data: dict) -> list[dict]:
    """This network's entries that are part of this chain, oldest first (current last)."""
    return [e for e in _entries(data.get(network_key())) if _on_this_chain(e)]


def remembered_trainer() -> str | None:
    """This network's current trainer: the last one deployed or chosen (`use_trainer`) that is part
    of this chain (not on a fork of it, nor in its upstream's future)."""
    data = _read(state_file())
    for entry in reversed(_entries(data.get(network_key()))):
        if _on_this_chain(entry):
            return str(entry["address"])
    return None


def _entry(address: str, block_number: int | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"address": address}
    if block_number is not None:
        entry["block"] = int(block_number)
        entry["block_hash"] = to_hex(managers.provider.get_block(int(block_number)).hash)
    return entry


def remember_trainer(address: str, block_number: int | None = None) -> Path:
    """Remember a deployment (with its block, so that forks and upstream keep theirs apart); it
    becomes this network's current trainer. Returns the state file."""
    path = state_file()
    data = _read(path)
    key = network_key()
    data[key] = [*_entries(data.get(key)), _entry(address, block_number)][-MAX_ENTRIES:]
    _write(path, data)
    return path


@dataclass(frozen=True)
class RememberedTrainer:
    """One trainer remembered for this network, as `ape decai trainers` lists it. `name`, `model`
    and `mechanism` are read from the chain; `problem` says why they could not be (then None)."""

    address: str
    block: int | None
    current: bool
    name: str | None = None
    model: str | None = None
    mechanism: str | None = None
    problem: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "model": self.model,
            "mechanism": self.mechanism,
            "block": self.block,
            "current": self.current,
            **({"problem": self.problem} if self.problem else {}),
        }


def _describe(address: str, block: int | None, current: bool) -> RememberedTrainer:
    try:
        trainer = Trainer.at(address)
        deployment = trainer.deployment
    except DecaiError as err:
        return RememberedTrainer(address, block, current, problem=" ".join(str(err).split()))
    block = deployment["block"] if block is None else block
    return RememberedTrainer(address, block, current, deployment["name"], trainer.model_id, trainer.mechanism)


def remembered_trainers() -> list[RememberedTrainer]:
    """The trainers remembered for this network and chain, in the order remembered (each address
    once, where it was last remembered): the current one is last, and marked. Reads each
    trainer's name from the chain."""
    entries = _remembered_here(_read(state_file()))
    last: dict[str, int] = {str(e["address"]).lower(): k for k, e in enumerate(entries)}
    out = []
    for k, entry in enumerate(entries):
        if last[str(entry["address"]).lower()] != k:
            continue
        block = int(entry["block"]) if "block" in entry else None
        out.append(_describe(str(entry["address"]), block, current=k == len(entries) - 1))
    return out


def use_trainer(address: str) -> RememberedTrainer:
    """Make the trainer at `address` this network's current one (remembering it if it was not).
    A DecaiError (one line, the file untouched) if no trainer of ours is at that address here."""
    if not managers.provider.get_code(address):
        raise DecaiError(f"no contract at {address} on this network: no trainer to use")
    trainer = Trainer.at(address)  # refuses any other contract
    deployment = trainer.deployment
    address = trainer.address
    path = state_file()
    data = _read(path)
    key = network_key()
    # The same address may hold another contract on a fork of this chain: only this chain's
    # entry of it moves.
    kept = [e for e in _entries(data.get(key)) if str(e["address"]).lower() != address.lower() or not _on_this_chain(e)]
    data[key] = [*kept, _entry(address, int(deployment["block"]))][-MAX_ENTRIES:]
    _write(path, data)
    return RememberedTrainer(address, int(deployment["block"]), True, deployment["name"], trainer.model_id, trainer.mechanism)


# --- deployments under way (several transactions) -------------------------------------------


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp" + str(os.getpid()))
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def pending_deployment(model_sha256: str) -> dict | None:
    """The unfinished deployment of this model file on this chain, if one was started here."""
    pending = _read(state_file()).get("pending", {})
    entry = pending.get(network_key()) if isinstance(pending, dict) else None
    if isinstance(entry, dict) and entry.get("model_sha256") == model_sha256 and _on_this_chain(entry):
        return entry
    return None


def remember_pending(entry: dict) -> None:
    """Record (or update) this network's unfinished deployment: address, block, progress."""
    path = state_file()
    data = _read(path)
    pending: dict = data["pending"] if isinstance(data.get("pending"), dict) else {}
    pending[network_key()] = entry
    data["pending"] = pending
    _write(path, data)


def forget_pending() -> None:
    """The deployment is finished (or abandoned): nothing to resume on this network."""
    path = state_file()
    data = _read(path)
    pending = data.get("pending")
    if isinstance(pending, dict) and pending.pop(network_key(), None) is not None:
        _write(path, data)
