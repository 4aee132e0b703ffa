"""The public API (`from ape_decai import ...`) and how a deployment's calls are sized (pure Python).

A deployment's initialisation calls are positional writes `f(first_word, words)`: `rechunk` gives
the same writes in calls of another size (the gas cap's), and `covered_prefix` says where a
deployment interrupted under one size goes on under another.
"""

import inspect

import pytest
from ape.exceptions import ApeException

import ape_decai
from ape_decai.deployment import covered_prefix, rechunk

WORDS = list(range(16, 50))  # what the calls write after a constructor of 16 words
BY_16 = [("initialize_weights", (k, WORDS[k - 16 : k])) for k in range(16, 50, 16)]


def test_public_api__every_exported_name_imports():
    for name in ape_decai.__all__:
        value = getattr(ape_decai, name)
        assert value is not None, name
        assert not inspect.ismodule(value), f"{name} is a submodule, not the exported object"
    with pytest.raises(AttributeError):
        ape_decai.no_such_name  # noqa: B018


def test_errors__one_hierarchy_on_apes_exception():
    assert issubclass(ape_decai.DecaiError, ApeException)
    for error in (ape_decai.DeploymentError, ape_decai.CloneError, ape_decai.DeclinedError):
        assert issubclass(error, ape_decai.DecaiError)


def test_rechunk__joins_contiguous_writes_then_cuts_them_at_the_call_size():
    calls = rechunk(BY_16, 20)

    assert [(args[0], len(args[1])) for _, args in calls] == [(16, 20), (36, 14)]
    assert [w for _, (_, words) in calls for w in words] == WORDS


def test_rechunk__leaves_calls_that_are_not_positional_writes():
    classes = [("add_class", (0, [1, 2], 3)), ("add_class", (1, [4], 5))]

    assert rechunk(classes, 1) == classes


def test_covered_prefix__goes_on_after_the_words_already_written():
    by_20 = rechunk(BY_16, 20)

    assert covered_prefix([], by_20) == 0
    assert covered_prefix(BY_16[:1], by_20) == 0  # words 16..31 written: the call of 16..35 is not done
    assert covered_prefix(BY_16[:2], by_20) == 1  # 16..47 written
    assert covered_prefix(BY_16, by_20) == 2
