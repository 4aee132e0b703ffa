"""Text -> feature indices: the tokenizer, the vocabulary encoder and its description."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ape_decai.encoders import (
    DEFAULT_TOKEN_PATTERN,
    UNPUBLISHED_MAX_FEATURES,
    HashingEncoder,
    NumericEncoder,
    VocabularyEncoder,
    encoder_from_description,
    tokenize,
    truncate,
)
from ape_decai.packing import MAX_SAMPLE_FEATURES

VOCABULARY = ["good", "bad", "movie", "don't", "2"]


@pytest.fixture
def encoder():
    return VocabularyEncoder(VOCABULARY)


def test_tokenize__lowercases_and_keeps_apostrophes_and_digits():
    assert tokenize("Don't watch IT, 2 stars!") == ["don't", "watch", "it", "2", "stars"]


def test_tokenize__without_lowercase__keeps_case_and_the_pattern_decides():
    assert tokenize("Good bad", lowercase=False) == ["ood", "bad"]
    assert tokenize("Good bad", token_pattern=r"[A-Za-z]+", lowercase=False) == ["Good", "bad"]


def test_tokenize__empty_text__gives_no_tokens():
    assert tokenize("") == []
    assert tokenize(" ,.;!") == []


def test_encode__returns_sorted_unique_indices_of_known_words(encoder):
    assert encoder.encode("Movie good, GOOD movie; bad movie") == [0, 1, 2]


def test_encode__ignores_unknown_words(encoder):
    assert encoder.encode("an excellent film") == []
    assert encoder.encode("an excellent good film") == [0]


def test_encode__matches_whole_tokens_only(encoder):
    # "goodness" and "dont" are tokens of their own, not "good" or "don't".
    assert encoder.encode("goodness, dont") == []
    assert encoder.encode("I don't know, 2 of 2") == [3, 4]


def test_encode__rejects_a_non_text(encoder):
    with pytest.raises(TypeError, match="expected a text"):
        encoder.encode(b"good")


def test_decode__gives_the_words_back(encoder):
    assert encoder.decode(encoder.encode("bad good movie")) == ["good", "bad", "movie"]


def test_tokens__agrees_with_tokenize(encoder):
    text = "It's a GOOD movie, isn't it? 10/10"
    assert encoder.tokens(text) == tokenize(text, DEFAULT_TOKEN_PATTERN, True)


def test_describe__has_the_documented_shape(encoder):
    assert encoder.describe() == {
        "type": "vocabulary",
        "lowercase": True,
        "token_pattern": DEFAULT_TOKEN_PATTERN,
        "vocabulary": VOCABULARY,
        "max_features": MAX_SAMPLE_FEATURES,
        "truncate": "lowest-index",
    }
    assert encoder.n_features == len(VOCABULARY)


def test_description__round_trips_through_json(encoder):
    again = encoder_from_description(json.loads(json.dumps(encoder.describe())))
    assert again == encoder
    assert again.encode("good bad movie") == encoder.encode("good bad movie")


def test_description__keeps_a_custom_pattern_and_case():
    encoder = VocabularyEncoder(["Good", "Bad"], token_pattern=r"[A-Za-z]+", lowercase=False)
    again = VocabularyEncoder.from_description(encoder.describe())
    assert again == encoder
    assert again.encode("Good good Bad") == [0, 1]


def test_describe__returns_a_copy(encoder):
    encoder.describe()["vocabulary"].append("x")
    assert encoder.vocabulary == VOCABULARY


def test_encoder_from_description__unknown_type__names_it():
    with pytest.raises(ValueError, match="unknown type 'bag-of-bytes'"):
        encoder_from_description({"type": "bag-of-bytes"})


def test_encoder_from_description__without_type__raises():
    with pytest.raises(ValueError, match="lacks type"):
        encoder_from_description({"vocabulary": ["a"]})


def _description(**changes):
    d = {"type": "vocabulary", "lowercase": True, "token_pattern": DEFAULT_TOKEN_PATTERN, "vocabulary": ["good", "bad"]}
    d.update(changes)
    return {k: v for k, v in d.items() if v is not ...}


@pytest.mark.parametrize(
    "description, message",
    [
        ("vocabulary", "must be an object"),
        (_description(vocabulary=...), "lacks vocabulary"),
        (_description(token_pattern=..., lowercase=...), "lacks lowercase, token_pattern"),
        (_description(vocabulary="good bad"), "vocabulary must be a list"),
        (_description(vocabulary=[]), "vocabulary is empty"),
        (_description(vocabulary=["good", "good"]), "'good' appears twice"),
        (_description(vocabulary=["good", ""]), "entry 1"),
        (_description(vocabulary=["good", 7]), "entry 1"),
        (_description(lowercase="yes"), "lowercase must be true or false"),
        (_description(token_pattern="[a-z"), "not a valid regular expression"),
        (_description(token_pattern="([a-z])+"), "capturing groups"),
        (_description(token_pattern=""), "token_pattern must be a non-empty string"),
        (_description(stemming=True), "unknown keys 'stemming'"),
    ],
)
def test_from_description__malformed__raises_a_clear_error(description, message):
    with pytest.raises(ValueError, match=message):
        encoder_from_description(description)
    if isinstance(description, dict) and description.get("type") == "vocabulary":
        with pytest.raises(ValueError, match=message):
            VocabularyEncoder.from_description(description)


def test_from_description__of_another_type__raises():
    with pytest.raises(ValueError, match="expected 'vocabulary'"):
        VocabularyEncoder.from_description({"type": "hashing"})


words = st.text(alphabet="abcdefg'0", min_size=1, max_size=4)


@settings(max_examples=3 * settings.default.max_examples)  # cheap: scale the profile
# Pure Python (no chain): Hypothesis examples share no state, so no chain.snapshot() is needed.
@given(
    vocabulary=st.lists(words, min_size=1, max_size=20, unique=True),
    text_words=st.lists(words, max_size=30),
    separators=st.sampled_from([" ", ", ", "\n", " - "]),
)
def test_encode__is_the_sorted_set_of_indices_of_known_tokens(vocabulary, text_words, separators):
    encoder = VocabularyEncoder(vocabulary)
    text = separators.join(text_words).upper()
    expected = sorted({vocabulary.index(t) for t in tokenize(text) if t in vocabulary})
    encoded = encoder.encode(text)
    assert encoded == expected
    assert all(0 <= i < encoder.n_features for i in encoded)
    assert encoder_from_description(encoder.describe()).encode(text) == encoded


# --- feature hashing ----------------------------------------------------------------------------
def test_hashing_encoder__uses_murmur3_32_with_seed_0():
    # MurmurHash3_x86_32("hello", seed 0) = 0x248bfa47, the reference implementation's value.
    encoder = HashingEncoder(2**16 - 1)
    assert encoder.feature("hello") == 0x248BFA47 % (2**16 - 1)


def test_hashing_encoder__lowercases_and_deduplicates_tokens():
    encoder = HashingEncoder(1000)
    assert encoder.encode("Hello HELLO hello") == [encoder.feature("hello")]
    assert encoder.encode("a b") == sorted({encoder.feature("a"), encoder.feature("b")})


def test_hashing_encoder__rebuilds_from_its_description():
    encoder = HashingEncoder(512, lowercase=False)
    again = encoder_from_description(json.loads(json.dumps(encoder.describe())))
    assert again == encoder
    assert again.encode("Word word") == encoder.encode("Word word")


@pytest.mark.parametrize(
    "description, message",
    [
        ({"type": "hashing", "n_features": 0, "lowercase": True, "token_pattern": "[a-z]+"}, "n_features must be"),
        ({"type": "hashing", "n_features": 70000, "lowercase": True, "token_pattern": "[a-z]+"}, "n_features must be"),
        ({"type": "hashing", "n_features": 10, "lowercase": True}, "lacks token_pattern"),
        ({"type": "hashing", "n_features": 10, "lowercase": 1, "token_pattern": "[a-z]+"}, "lowercase must be"),
        ({"type": "hashing", "n_features": 10, "lowercase": True, "token_pattern": "[a-z]+", "x": 1}, "unknown keys"),
    ],
)
def test_hashing_encoder__bad_description__raises_a_clear_error(description, message):
    with pytest.raises(ValueError, match=message):
        encoder_from_description(description)


# --- numeric vectors ----------------------------------------------------------------------------
def test_numeric_encoder__raw_numbers_at_a_stated_scale():
    encoder = NumericEncoder(3, scale=100)
    assert encoder.encode("1.5, -2, 0.004") == [150, -200, 0]
    assert encoder.encode([1, 2, 3]) == [100, 200, 300]


def test_numeric_encoder__standardises_and_clips_to_int16():
    encoder = NumericEncoder(2, scale=1000, center=[10.0, 0.0], spread=[2.0, 1.0])
    assert encoder.encode("12 0.5") == [1000, 500]
    assert encoder.encode("10 1000") == [0, 2**15 - 1]  # clipped, not wrapped
    assert encoder.encode("10 -1000") == [0, -(2**15)]


def test_numeric_encoder__fit_centres_on_the_mean():
    encoder = NumericEncoder.fit([[1.0, 10.0], [3.0, 10.0]], scale=1000)
    assert encoder.center == [2.0, 10.0]
    assert encoder.encode([2.0, 10.0]) == [0, 0]
    assert encoder.spread[1] == 1.0  # a constant column: no division by zero


@pytest.mark.parametrize(
    "raw, message",
    [("1, 2", "expected 3 numbers, got 2"), ("1, two, 3", "expected numbers"), ("1, nan, 3", "finite")],
)
def test_numeric_encoder__bad_input__raises_a_clear_error(raw, message):
    with pytest.raises(ValueError, match=message):
        NumericEncoder(3).encode(raw)


def test_numeric_encoder__rebuilds_from_its_description():
    encoder = NumericEncoder(2, scale=250, center=[1.0, 2.0], spread=[3.0, 4.0], names=["a", "b"])
    assert encoder_from_description(json.loads(json.dumps(encoder.describe()))) == encoder


# --- the truncation policy: at most max_features per sample, the lowest indices kept ------------

WORDS = [f"w{k}" for k in range(400)]


def test_encode__long_text__keeps_the_lowest_ranked_words():
    encoder = VocabularyEncoder(WORDS, max_features=3)
    info = encoder.encode_with_info("w9 w1 w300 w2 w1 w7 unknown")
    assert info.features == [1, 2, 7]
    assert info.found == 5
    assert info.truncated == 2
    assert encoder.encode("w9 w1 w300 w2 w1 w7 unknown") == [1, 2, 7]
    assert encoder.all_features("w9 w1 w300 w2 w1 w7 unknown") == [1, 2, 7, 9, 300]


def test_encode__at_the_maximum__truncates_nothing():
    encoder = VocabularyEncoder(WORDS, max_features=4)
    info = encoder.encode_with_info("w3 w2 w1 w0")
    assert (info.features, info.truncated) == ([0, 1, 2, 3], 0)


def test_encode__default_maximum_is_the_contracts_input_bound():
    encoder = VocabularyEncoder(WORDS)
    text = " ".join(reversed(WORDS))
    info = encoder.encode_with_info(text)
    assert info.features == list(range(MAX_SAMPLE_FEATURES))
    assert info.truncated == len(WORDS) - MAX_SAMPLE_FEATURES


def test_hashing_encode__long_text__keeps_the_lowest_buckets():
    encoder = HashingEncoder(1000, max_features=5)
    text = " ".join(WORDS)
    everything = encoder.all_features(text)
    assert len(everything) > 5
    assert encoder.encode(text) == everything[:5]
    assert encoder.encode_with_info(text).truncated == len(everything) - 5


def test_truncate__is_the_policy_on_raw_indices():
    assert truncate([9, 3, 3, 0, 7], 3) == [0, 3, 7]
    assert truncate([2, 1], 5) == [1, 2]


@pytest.mark.parametrize("make", [lambda m: VocabularyEncoder(WORDS, max_features=m), lambda m: HashingEncoder(512, max_features=m)])
def test_description__publishes_the_maximum_and_the_policy(make):
    encoder = make(7)
    d = json.loads(json.dumps(encoder.describe()))
    assert (d["max_features"], d["truncate"]) == (7, "lowest-index")
    again = encoder_from_description(d)
    assert again == encoder and again.max_features == 7


@pytest.mark.parametrize("make", [lambda: VocabularyEncoder(WORDS), lambda: HashingEncoder(512)])
def test_description_without_the_policy__means_the_unpublished_maximum(make):
    d = make().describe()
    del d["max_features"], d["truncate"]
    again = encoder_from_description(d)
    assert again.max_features == UNPUBLISHED_MAX_FEATURES
    assert len(again.encode(" ".join(WORDS))) == UNPUBLISHED_MAX_FEATURES


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"truncate": "random"}, "unknown truncation policy 'random'"),
        ({"max_features": 0}, "max_features must be an integer in"),
        ({"max_features": MAX_SAMPLE_FEATURES + 1}, "max_features must be an integer in"),
        ({"max_features": True}, "max_features must be an integer in"),
        ({"max_features": "8"}, "max_features must be an integer in"),
    ],
)
def test_description__bad_truncation__raises(changes, message):
    for encoder in (VocabularyEncoder(WORDS), HashingEncoder(512)):
        d = {**encoder.describe(), **changes}
        with pytest.raises(ValueError, match=message):
            encoder_from_description(d)


def test_numeric_encode_with_info__never_truncates():
    info = NumericEncoder(3).encode_with_info("1, 2, 3")
    assert (info.features, info.truncated) == ([1, 2, 3], 0)
