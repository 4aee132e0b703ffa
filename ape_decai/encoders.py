"""Raw input -> a model's input, rebuilt from the description the trainer publishes on chain.

A model sees either a set of feature indices (sparse models) or a vector of int16 integers (dense
models). The encoder turns the user's raw input into that, and its description (a small JSON-able
dict) is published in the trainer's deployment event, so that anyone can rebuild the exact same
encoder from the chain alone and add data or query the model.

- `"vocabulary"`: a fixed word list; a text's features are the indices of the listed words it
  contains (a set: counts do not matter, unknown words are ignored). The list itself is on chain.
- `"hashing"`: no list to publish: a token's feature is MurmurHash3 (32-bit, seed 0, unsigned)
  of its UTF-8 bytes modulo the number of features (lower-cased tokens by default). Suits large
  or open vocabularies; two words may share a feature.
- `"numeric"`: a vector of numbers (comma- or space-separated text, or a list); feature i is
  round((x_i - center_i) / spread_i * scale), clipped to the int16 range. With no center and
  spread it is round(x_i * scale): raw numbers at a stated scale.

Any text can be used: a contribution carries at most `max_features` distinct features (the
sparse models' input bound, `MAX_SAMPLE_FEATURES`, unless the description asks for fewer). A text
with more keeps its `max_features` LOWEST feature indices (policy `"lowest-index"`: for a
vocabulary encoder the words of lowest rank, i.e. the most frequent in the training texts; for
hashing the lowest buckets) and drops the rest. Both travel in the description
(`"max_features": N, "truncate": "lowest-index"`), so `train`, `add-data`, `predict` and any
other client truncate identically; a description without them (trainers deployed before the
policy was published) means `UNPUBLISHED_MAX_FEATURES` and the same policy. `encode(text)` returns
the kept features; `encode_with_info(text)` also says how many were found (`Encoding.truncated`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ape_decai.packing import MAX_FEATURES, MAX_SAMPLE_FEATURES

DEFAULT_TOKEN_PATTERN = r"[a-z0-9']+"

# The one truncation policy: keep the sample's N lowest feature indices.
TRUNCATE_LOWEST_INDEX = "lowest-index"

# What a description without "max_features" means: the input bound of every sparse trainer
# deployed before the policy was published (8 packed words of 16 indices).
UNPUBLISHED_MAX_FEATURES = 128

# Keys every sparse text encoder's description may carry beyond its own (absent: see above).
_TRUNCATION_KEYS = frozenset({"max_features", "truncate"})

_VOCABULARY_KEYS = frozenset({"type", "lowercase", "token_pattern", "vocabulary"})


@dataclass(frozen=True)
class Encoding:
    """One text's features under an encoder's per-sample maximum.

    `features`: what a contribution carries (sorted, unique, at most `max_features` of them);
    `found`: how many distinct features the text has before truncation (for a dense encoder, the
    vector's length: nothing is ever truncated).
    """

    features: list[int]
    found: int

    @property
    def truncated(self) -> int:
        """How many of the text's distinct features were dropped (0: none)."""
        return self.found - len(self.features)


def truncate(indices, max_features: int) -> list[int]:
    """The truncation policy, for clients that already hold a sample's feature indices: the
    `max_features` lowest distinct indices, ascending ("lowest-index")."""
    return sorted({int(i) for i in indices})[:max_features]


def _check_max_features(max_features: Any) -> int:
    if isinstance(max_features, bool) or not isinstance(max_features, int) or not (
        0 < max_features <= MAX_SAMPLE_FEATURES
    ):
        raise ValueError(
            f"encoder: max_features must be an integer in [1, {MAX_SAMPLE_FEATURES}], got {max_features!r}"
        )
    return max_features


def _truncation_from_description(d: dict) -> int:
    """The per-sample maximum a description publishes (UNPUBLISHED_MAX_FEATURES if it does not)."""
    policy = d.get("truncate", TRUNCATE_LOWEST_INDEX)
    if policy != TRUNCATE_LOWEST_INDEX:
        raise ValueError(f"encoder: unknown truncation policy {policy!r} (known: {TRUNCATE_LOWEST_INDEX!r})")
    return _check_max_features(d.get("max_features", UNPUBLISHED_MAX_FEATURES))


def tokenize(text: str, token_pattern: str = DEFAULT_TOKEN_PATTERN, lowercase: bool = True) -> list[str]:
    """All matches of `token_pattern` in `text`, in order (lower-cased first if `lowercase`)."""
    if lowercase:
        text = text.lower()
    return re.findall(token_pattern, text)


def _compile_pattern(token_pattern: Any) -> re.Pattern:
    if not isinstance(token_pattern, str) or not token_pattern:
        raise ValueError("encoder: token_pattern must be a non-empty string")
    try:
        compiled = re.compile(token_pattern)
    except re.error as exc:
        raise ValueError(f"encoder: token_pattern {token_pattern!r} is not a valid regular expression: {exc}") from None
    if compiled.groups:
        # re.findall returns the groups, not the whole match, when the pattern has groups.
        raise ValueError(
            f"encoder: token_pattern {token_pattern!r} has capturing groups; use (?:...) instead"
        )
    return compiled


class _SparseTextEncoder:
    """What the text encoders share: tokens, and the truncation to `max_features` per sample."""

    input_kind = "sparse"
    max_features: int
    lowercase: bool
    _pattern: re.Pattern

    def tokens(self, text: str) -> list[str]:
        """The tokens of `text` under this encoder's rules (known or not)."""
        if self.lowercase:
            text = text.lower()
        return self._pattern.findall(text)

    def all_features(self, text: str) -> list[int]:
        """Every distinct feature of `text`, ascending (before truncation)."""
        raise NotImplementedError

    def encode_with_info(self, text: str) -> Encoding:
        """The features a contribution of `text` carries (its `max_features` lowest), and how many
        the text has in all."""
        if not isinstance(text, str):
            raise TypeError(f"encoder: expected a text (str), got {type(text).__name__}")
        found = self.all_features(text)
        return Encoding(found[: self.max_features], len(found))

    def encode(self, text: str) -> list[int]:
        """Sorted unique features of `text`, its `max_features` lowest if it has more."""
        return self.encode_with_info(text).features

    def _truncation_description(self) -> dict:
        return {"max_features": self.max_features, "truncate": TRUNCATE_LOWEST_INDEX}


class VocabularyEncoder(_SparseTextEncoder):
    """Encode a text as the sorted indices of the vocabulary words it contains."""

    type = "vocabulary"

    def __init__(
        self,
        vocabulary: list[str],
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        lowercase: bool = True,
        max_features: int = MAX_SAMPLE_FEATURES,
    ) -> None:
        if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, (list, tuple)):
            raise ValueError("encoder: vocabulary must be a list of words")
        if not vocabulary:
            raise ValueError("encoder: vocabulary is empty")
        if len(vocabulary) > MAX_FEATURES:
            raise ValueError(f"encoder: vocabulary has {len(vocabulary)} words, at most {MAX_FEATURES} allowed")
        index: dict[str, int] = {}
        for i, word in enumerate(vocabulary):
            if not isinstance(word, str) or not word:
                raise ValueError(f"encoder: vocabulary entry {i} ({word!r}) is not a non-empty string")
            if word in index:
                raise ValueError(f"encoder: vocabulary word {word!r} appears twice (entries {index[word]} and {i})")
            index[word] = i
        if not isinstance(lowercase, bool):
            raise ValueError("encoder: lowercase must be true or false")
        self._pattern = _compile_pattern(token_pattern)
        self.vocabulary = list(vocabulary)
        self.token_pattern = token_pattern
        self.lowercase = lowercase
        self.max_features = _check_max_features(max_features)
        self._index = index

    @property
    def n_features(self) -> int:
        """Number of features: one per vocabulary word."""
        return len(self.vocabulary)

    def all_features(self, text: str) -> list[int]:
        """Sorted unique indices of the vocabulary words present in `text`; unknown words are ignored."""
        return sorted({self._index[t] for t in self.tokens(text) if t in self._index})

    def decode(self, indices) -> list[str]:
        """The vocabulary words of a set of feature indices (for display)."""
        return [self.vocabulary[i] for i in indices]

    def describe(self) -> dict:
        """A JSON-able description from which `from_description` rebuilds this encoder exactly."""
        return {
            "type": self.type,
            "lowercase": self.lowercase,
            "token_pattern": self.token_pattern,
            "vocabulary": list(self.vocabulary),
            **self._truncation_description(),
        }

    @classmethod
    def from_description(cls, d: dict) -> VocabularyEncoder:
        """Rebuild an encoder from `describe()` output; ValueError says what is wrong with it."""
        if not isinstance(d, dict):
            raise ValueError(f"encoder: description must be an object, got {type(d).__name__}")
        if d.get("type") != cls.type:
            raise ValueError(f"encoder: description type is {d.get('type')!r}, expected {cls.type!r}")
        missing = sorted(_VOCABULARY_KEYS - d.keys())
        if missing:
            raise ValueError(f"encoder: description lacks {', '.join(missing)}")
        unknown = sorted(d.keys() - _VOCABULARY_KEYS - _TRUNCATION_KEYS)
        if unknown:
            raise ValueError(f"encoder: description has unknown keys {', '.join(map(repr, unknown))}")
        if not isinstance(d["vocabulary"], list):
            raise ValueError("encoder: vocabulary must be a list of words")
        return cls(
            d["vocabulary"],
            token_pattern=d["token_pattern"],
            lowercase=d["lowercase"],
            max_features=_truncation_from_description(d),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VocabularyEncoder):
            return NotImplemented
        return self.describe() == other.describe()

    def __repr__(self) -> str:
        return (
            f"VocabularyEncoder({self.n_features} words, token_pattern={self.token_pattern!r}, "
            f"lowercase={self.lowercase}, max_features={self.max_features})"
        )


def _check_keys(d: Any, kind: str, required: frozenset, optional: frozenset = frozenset()) -> None:
    if not isinstance(d, dict):
        raise ValueError(f"encoder: description must be an object, got {type(d).__name__}")
    if d.get("type") != kind:
        raise ValueError(f"encoder: description type is {d.get('type')!r}, expected {kind!r}")
    missing = sorted(required - d.keys())
    if missing:
        raise ValueError(f"encoder: description lacks {', '.join(missing)}")
    unknown = sorted(d.keys() - required - optional)
    if unknown:
        raise ValueError(f"encoder: description has unknown keys {', '.join(map(repr, unknown))}")


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


class HashingEncoder(_SparseTextEncoder):
    """Encode a text as the sorted unique hashes of its tokens modulo `n_features` (MurmurHash3)."""

    type = "hashing"
    _KEYS = frozenset({"type", "n_features", "lowercase", "token_pattern"})

    def __init__(
        self,
        n_features: int,
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        lowercase: bool = True,
        max_features: int = MAX_SAMPLE_FEATURES,
    ) -> None:
        if not _is_count(n_features) or n_features > MAX_FEATURES:
            raise ValueError(f"encoder: n_features must be an integer in [1, {MAX_FEATURES}], got {n_features!r}")
        if not isinstance(lowercase, bool):
            raise ValueError("encoder: lowercase must be true or false")
        self._pattern = _compile_pattern(token_pattern)
        self._n_features = n_features
        self.token_pattern = token_pattern
        self.lowercase = lowercase
        self.max_features = _check_max_features(max_features)

    @property
    def n_features(self) -> int:
        return self._n_features

    def feature(self, token: str) -> int:
        """The feature of one token: murmur3_32(utf-8 bytes, seed 0) mod n_features."""
        import mmh3

        return mmh3.hash(token.encode("utf-8"), 0, signed=False) % self._n_features

    def all_features(self, text: str) -> list[int]:
        """Sorted unique features of the tokens of `text`."""
        return sorted({self.feature(t) for t in self.tokens(text)})

    def describe(self) -> dict:
        return {
            "type": self.type,
            "n_features": self._n_features,
            "lowercase": self.lowercase,
            "token_pattern": self.token_pattern,
            **self._truncation_description(),
        }

    @classmethod
    def from_description(cls, d: dict) -> HashingEncoder:
        _check_keys(d, cls.type, cls._KEYS, _TRUNCATION_KEYS)
        return cls(
            d["n_features"],
            token_pattern=d["token_pattern"],
            lowercase=d["lowercase"],
            max_features=_truncation_from_description(d),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HashingEncoder):
            return NotImplemented
        return self.describe() == other.describe()

    def __repr__(self) -> str:
        return f"HashingEncoder({self._n_features} features, lowercase={self.lowercase}, max_features={self.max_features})"


INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1
_NUMBER_SEPARATORS = re.compile(r"[\s,;]+")


class NumericEncoder:
    """Encode a vector of numbers as int16 integers: round((x - center) / spread * scale), clipped."""

    type = "numeric"
    input_kind = "dense"
    _KEYS = frozenset({"type", "dimensions", "scale"})
    _OPTIONAL = frozenset({"center", "spread", "names"})

    def __init__(
        self,
        dimensions: int,
        scale: int | float = 1,
        center: list[float] | None = None,
        spread: list[float] | None = None,
        names: list[str] | None = None,
    ) -> None:
        if not _is_count(dimensions) or dimensions > 1024:
            raise ValueError(f"encoder: dimensions must be an integer in [1, 1024], got {dimensions!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"encoder: scale must be a positive number, got {scale!r}")
        for key, values in (("center", center), ("spread", spread)):
            if values is None:
                continue
            if not isinstance(values, list) or len(values) != dimensions:
                raise ValueError(f"encoder: {key} must be a list of {dimensions} numbers")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in values):
                raise ValueError(f"encoder: {key} must hold finite numbers only")
        if spread is not None and any(v <= 0 for v in spread):
            raise ValueError("encoder: every spread must be positive")
        if names is not None and (
            not isinstance(names, list) or len(names) != dimensions or not all(isinstance(n, str) for n in names)
        ):
            raise ValueError(f"encoder: names must be a list of {dimensions} strings")
        self.dimensions = dimensions
        self.scale = scale
        self.center = center
        self.spread = spread
        self.names = names

    @property
    def n_features(self) -> int:
        return self.dimensions

    def parse(self, raw: str | list) -> list[float]:
        """Numbers from a text ("1.5, 2, 3e-2") or a list; ValueError for anything else."""
        if isinstance(raw, str):
            parts = [p for p in _NUMBER_SEPARATORS.split(raw.strip().strip("[]")) if p]
            try:
                values = [float(p) for p in parts]
            except ValueError:
                raise ValueError("encoder: expected numbers separated by commas or spaces") from None
        else:
            values = [float(v) for v in raw]
        if len(values) != self.dimensions:
            raise ValueError(f"encoder: expected {self.dimensions} numbers, got {len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise ValueError("encoder: numbers must be finite")
        return values

    def encode(self, raw: str | list) -> list[int]:
        """The int16 vector of `raw` (numbers beyond the int16 range are clipped)."""
        out = []
        for i, x in enumerate(self.parse(raw)):
            if self.center is not None:
                x -= self.center[i]
            if self.spread is not None:
                x /= self.spread[i]
            out.append(min(max(round(x * self.scale), INT16_MIN), INT16_MAX))
        return out

    def encode_with_info(self, raw: str | list) -> Encoding:
        """`encode(raw)` as an `Encoding` (a dense vector is never truncated)."""
        values = self.encode(raw)
        return Encoding(values, len(values))

    def describe(self) -> dict:
        d: dict[str, Any] = {"type": self.type, "dimensions": self.dimensions, "scale": self.scale}
        for key in ("center", "spread", "names"):
            if getattr(self, key) is not None:
                d[key] = list(getattr(self, key))
        return d

    @classmethod
    def from_description(cls, d: dict) -> NumericEncoder:
        _check_keys(d, cls.type, cls._KEYS, cls._OPTIONAL)
        return cls(d["dimensions"], d["scale"], d.get("center"), d.get("spread"), d.get("names"))

    @classmethod
    def fit(cls, vectors: list[list[float]], scale: int = 1000, names: list[str] | None = None) -> NumericEncoder:
        """Standardise: center = mean, spread = one standard deviation (z-scores times `scale`)."""
        if not vectors:
            raise ValueError("encoder: no vectors to fit")
        n = len(vectors[0])
        center = [sum(v[i] for v in vectors) / len(vectors) for i in range(n)]
        spread = []
        for i in range(n):
            var = sum((v[i] - center[i]) ** 2 for v in vectors) / len(vectors)
            spread.append(math.sqrt(var) if var > 0 else 1.0)
        return cls(n, scale, [round(c, 9) for c in center], [round(s, 9) for s in spread], names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NumericEncoder):
            return NotImplemented
        return self.describe() == other.describe()

    def __repr__(self) -> str:
        return f"NumericEncoder({self.dimensions} dimensions, scale={self.scale})"


Encoder = VocabularyEncoder | HashingEncoder | NumericEncoder
ENCODER_TYPES: dict[str, Any] = {cls.type: cls for cls in (VocabularyEncoder, HashingEncoder, NumericEncoder)}


def encoder_from_description(d: dict) -> Encoder:
    """Rebuild any known encoder from its description, dispatching on `d["type"]`."""
    if not isinstance(d, dict):
        raise ValueError(f"encoder: description must be an object, got {type(d).__name__}")
    if "type" not in d:
        raise ValueError("encoder: description lacks type")
    kind = d["type"]
    if kind not in ENCODER_TYPES:
        known = ", ".join(sorted(ENCODER_TYPES))
        raise ValueError(f"encoder: unknown type {kind!r} (known: {known})")
    return ENCODER_TYPES[kind].from_description(d)
