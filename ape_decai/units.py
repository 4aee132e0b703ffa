"""Units a user types and reads: durations, amounts, hex, times, JSON output."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

from ape_decai._ape import managers
from ape_decai.errors import DecaiError

MAX_DURATION = 1000 * 365 * 86400  # seconds
MAX_UINT256 = 2**256 - 1


def parse_duration(text: str | int) -> int:
    """'90', '90s', '15m', '2h', '7d', '1w' -> seconds."""
    if isinstance(text, int):
        return text
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = str(text).strip().lower()
    try:
        if raw and raw[-1] in units:
            value = float(raw[:-1]) * units[raw[-1]]
        else:
            value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DecaiError(f"not a duration: {text!r} (use e.g. 3600, 90m, 2h, 7d, 1w)")
    if value < 0:
        raise DecaiError(f"a duration cannot be negative: {text!r}")
    if value > MAX_DURATION:
        raise DecaiError(f"a duration is too large (above 1,000 years): {text!r}")
    return int(value)


def format_duration(seconds: int) -> str:
    """Seconds as a short human string (1d 2h, 5m, 30s)."""
    seconds = int(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])


def parse_amount(text: str | int) -> int:
    """'0.01 ether', '5 gwei', '1000' (wei) -> wei, with a clear error."""
    if isinstance(text, int):
        return text
    raw = str(text).strip()
    try:
        value = int(raw) if raw.isdigit() else managers.conversion_manager.convert(raw, int)
    except Exception:  # noqa: BLE001  Ape's converters raise many types; any of them means "not an amount"
        raise DecaiError(f"not an amount: {text!r} (use e.g. 1000000000000000, '0.001 ether', '5 gwei')") from None
    if not 0 <= value <= MAX_UINT256:
        raise DecaiError(f"an amount cannot be negative or too large (2**256 wei and more): {text!r}")
    return int(value)


def to_hex(value: Any) -> str:
    """Bytes (a hash, a salt) or a hex string as one `0x`-prefixed lower-case hex string."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text.lower() if text[:2].lower() == "0x" else "0x" + text.lower()


def to_json(obj: Any) -> str:
    """One JSON object for --json output (ints stay ints, bytes as hex)."""

    def default(o: Any):
        if isinstance(o, bytes | bytearray):
            return to_hex(o)
        return str(o)

    return json.dumps(obj, default=default, sort_keys=True)


def iso_time(timestamp: int | None) -> str | None:
    """A Unix time as UTC ISO 8601 ('2026-12-03T11:34:37Z'); None for 0 (not set)."""
    if not timestamp:
        return None
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def countdown(timestamp: int, now: int) -> str:
    """'in 2h 3m', '1d 4h ago' or 'now', from the chain's time `now`."""
    delta = int(timestamp) - int(now)
    if delta == 0:
        return "now"
    return f"in {format_duration(delta)}" if delta > 0 else f"{format_duration(-delta)} ago"


def when(timestamp: int, now: int) -> str:
    """'2026-12-03T11:34:37Z (in 2h 3m)'."""
    return f"{iso_time(timestamp)} ({countdown(timestamp, now)})"
