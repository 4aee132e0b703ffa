"""Text -> feature indices, rebuilt from the description the trainer publishes on chain.

A model only ever sees sets of feature indices. The encoder turns a text into such a set, and its
description (a small JSON-able dict) is published in the trainer's deployment event, so that anyone
can rebuild the exact same encoder from the chain and add data or query the model.

Only one encoder exists for now, `"vocabulary"`: a fixed word list; a text's features are the
indices of the listed words it contains (a set: counts do not matter, unknown words are ignored).
"""

from __future__ import annotations

import re
from typing import Any

from ape_decai.models.sparse_perceptron import MAX_FEATURES

DEFAULT_TOKEN_PATTERN = r"[a-z0-9']+"

_VOCABULARY_KEYS = frozenset({"type", "lowercase", "token_pattern", "vocabulary"})


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


class VocabularyEncoder:
    """Encode a text as the sorted indices of the vocabulary words it contains."""

    type = "vocabulary"

    def __init__(
        self,
        vocabulary: list[str],
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        lowercase: bool = True,
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
        self._index = index

    @property
    def n_features(self) -> int:
        """Number of features: one per vocabulary word."""
        return len(self.vocabulary)

    def tokens(self, text: str) -> list[str]:
        """The tokens of `text` under this encoder's rules (known or not)."""
        if self.lowercase:
            text = text.lower()
        return self._pattern.findall(text)

    def encode(self, text: str) -> list[int]:
        """Sorted unique indices of the vocabulary words present in `text`; unknown words are ignored."""
        if not isinstance(text, str):
            raise TypeError(f"encoder: expected a text (str), got {type(text).__name__}")
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
        unknown = sorted(d.keys() - _VOCABULARY_KEYS)
        if unknown:
            raise ValueError(f"encoder: description has unknown keys {', '.join(map(repr, unknown))}")
        if not isinstance(d["vocabulary"], list):
            raise ValueError("encoder: vocabulary must be a list of words")
        return cls(d["vocabulary"], token_pattern=d["token_pattern"], lowercase=d["lowercase"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VocabularyEncoder):
            return NotImplemented
        return self.describe() == other.describe()

    def __repr__(self) -> str:
        return (
            f"VocabularyEncoder({self.n_features} words, token_pattern={self.token_pattern!r}, "
            f"lowercase={self.lowercase})"
        )


ENCODER_TYPES = {VocabularyEncoder.type: VocabularyEncoder}


def encoder_from_description(d: dict) -> VocabularyEncoder:
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
