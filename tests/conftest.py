"""Shared fixtures of the ape-decai contract tests.

Everything a test needs to talk about the trainers by role:

- accounts named by role: ``creator`` (deploys, so it is the owner), ``contributor``,
  ``other_contributor``, ``reporter`` and ``stranger``;
- the paper's waits as fixtures ``t``, ``tc`` and ``ta`` (1, 30 and 60 days);
- factories ``deploy_deposit_trainer(**overrides)`` and ``deploy_points_trainer(**overrides)``
  that deploy a small 100-feature model (weights from a fixed seed, see ``INITIAL_WEIGHTS``)
  with the defaults below, and ``deposit_trainer`` / ``points_trainer`` built with no overrides;
- ``reference_model(**overrides)``: the bit-exact Python model with the same weights;
- ``stateful_settings``: the example and step counts of the state machines under the profile;
- ``record_key(packed_words, label, added_at, contributor)`` and ``unpack_record(packed)``
  to find and read a contribution's record, ``read_weights(trainer)`` for the whole weight vector.

Helpers are fixtures (not importable names) so that another ``conftest.py`` in a
sub-folder (``tests/cli/``) can sit next to this one without a module-name clash.
The Hypothesis strategies live in ``tests/strategies.py``.

Ape isolates the chain per test (snapshot before, revert after). It does not isolate
Hypothesis examples or state-machine runs: those take ``chain.snapshot()`` themselves.
"""

import os

# Tests never attach to a node someone else started (see TOOLCHAIN.md): with
# `foundry: host: auto` every run starts its own throwaway Anvil.
os.environ.pop("APE_FOUNDRY_HOST", None)
# Anvil without --steps-tracing (scripts/bin/anvil says why): the market's settlement
# would take minutes to mine with it.
os.environ["PATH"] = os.pathsep.join([os.path.join(os.path.dirname(__file__), "..", "scripts", "bin"), os.environ["PATH"]])

import random  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import eth_abi  # noqa: E402
import pytest  # noqa: E402
from eth_utils import keccak  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from ape_decai.models.sparse_perceptron import SparsePerceptron  # noqa: E402
from ape_decai.packing import LANES, pack_weights, unpack_weights  # noqa: E402
from deploying import deploy_trainer  # noqa: E402
from fast_chain import install as install_fast_chain  # noqa: E402
from fast_chain import isolate_node_registry  # noqa: E402

install_fast_chain()


def pytest_collection_modifyitems(items):
    """Slow tests first (a stable sort, the same in every xdist worker): with `--dist worksteal`
    the state machines then start at once on both workers and the short tests fill in around
    them, instead of one long machine running alone at the end."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, "tests/stateful/" not in item.nodeid))


def pytest_sessionstart(session):
    """Before Ape starts the test Anvil: this run's own registry of node processes."""
    from ape.utils import ManagerAccessMixin

    isolate_node_registry(ManagerAccessMixin.network_manager, Path(tempfile.mkdtemp(prefix="decai-nodes-")))

# --- Hypothesis -----------------------------------------------------------------------------------
# "ci" (default) is fast and reproducible; "deep" runs ten times as many examples with fresh
# randomness. Select with DECAI_HYPOTHESIS_PROFILE=deep. Property tests do not set max_examples
# themselves (or scale the profile's), so the profile decides; the state machines take theirs
# from `stateful_settings` below.
settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("deep", settings.get_profile("ci"), max_examples=300, derandomize=False)
PROFILE = os.environ.get("DECAI_HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# The stateful machines (tests/stateful/) are the invariants at depth: they get their own example
# count, 100 runs of 30 steps in "ci" and ten times that in "deep". DECAI_STATEFUL_EXAMPLES
# overrides the count (e.g. a deep run cut to fit a time budget; say so when quoting it).
STATEFUL_EXAMPLES = {"ci": 100, "deep": 1000}
STATEFUL_STEPS = 30

# --- Time -----------------------------------------------------------------------------------------
HOUR = 60 * 60
DAY = 24 * HOUR
WEEK = 7 * DAY

T = 1 * DAY  # refund_wait: before it nobody refunds or reports
TC = 30 * DAY  # creator_wait: then the creator (owner) takes what is left
TA = 60 * DAY  # anyone_wait: then anyone takes what is left

# --- The default model ----------------------------------------------------------------------------
N_FEATURES = 100
SEED = 20190618  # the paper's arXiv date
_rng = random.Random(SEED)
# Features 0..49 vote for label 1, features 50..99 for label 0, each by at least 20:
# a sample of k features from one half has a margin of at least 20k in that direction,
# so one update (learning rate 1 moves the margin by k + 1) never flips its prediction.
INITIAL_WEIGHTS = [_rng.randint(20, 100) for _ in range(50)] + [_rng.randint(-100, -20) for _ in range(50)]
del _rng
ONES_SAMPLE = [3, 17, 42]  # the default model firmly predicts 1
ZEROS_SAMPLE = [55, 70, 99]  # the default model firmly predicts 0

# --- The default mechanism ------------------------------------------------------------------------
COST_WEIGHT = 10**18  # wei * s: 1 ether one second after the last contribution ...
MIN_DEPOSIT = 10**15  # ... and this floor from 1,000 s on
MIN_SHARE = 10**13  # the paper's epsilon

DEPOSIT_DEFAULTS = dict(
    name="Sentiment",
    description="A 100-feature sparse perceptron for the tests",
    encoder='{"type": "test", "n_features": 100}',
    n_features=N_FEATURES,
    intercept=0,
    learning_rate=1,
    weights=INITIAL_WEIGHTS,
    seal=True,
    refund_wait=T,
    creator_wait=TC,
    anyone_wait=TA,
    cost_weight=COST_WEIGHT,
    min_deposit=MIN_DEPOSIT,
    min_share=MIN_SHARE,
)

POINTS_DEFAULTS = dict(
    name="Sentiment",
    description="A 100-feature sparse perceptron for the tests",
    encoder='{"type": "test", "n_features": 100}',
    n_features=N_FEATURES,
    intercept=0,
    learning_rate=1,
    weights=INITIAL_WEIGHTS,
    seal=True,
    validation_wait=T,
)

# --- Records (see contracts/data_handler.vy) ------------------------------------------------------
AMOUNT_MASK = 2**96 - 1


class Record(NamedTuple):
    """A contribution's record as `data_handler` packs it in one word."""

    exists: bool
    refunded: bool
    deposit: int
    claimable: int


def _unpack_record(packed: int) -> Record:
    return Record(
        exists=bool(packed >> 255 & 1),
        refunded=bool(packed >> 254 & 1),
        deposit=packed >> 96 & AMOUNT_MASK,
        claimable=packed & AMOUNT_MASK,
    )


def _record_key(data, label: int, added_at: int, contributor) -> bytes:
    """keccak256(abi_encode(keccak256(abi_encode(data)), label, added_at, contributor))."""
    data_hash = keccak(eth_abi.encode(["uint256[]"], [list(data)]))
    return keccak(
        eth_abi.encode(
            ["bytes32", "uint8", "uint256", "address"],
            [data_hash, label, added_at, str(getattr(contributor, "address", contributor))],
        )
    )


def _deploy_sparse_perceptron(mechanism: str, defaults: dict, overrides: dict, sender):
    """A sparse perceptron trainer through `tests/deploying.py` (the plan `ape decai deploy` makes),
    with `defaults` and then `overrides` as its constructor's arguments, by name; ``weights`` (int16
    values) are packed here unless ``weight_words`` is given."""
    params = {**defaults, **overrides}
    sender = params.pop("sender", sender)
    weights = params.pop("weights")
    params.setdefault("weight_words", pack_weights(weights))
    texts = {k: params.pop(k) for k in ("name", "description", "encoder")}
    twin = SparsePerceptron(N_FEATURES, 1, 0, list(INITIAL_WEIGHTS))  # only the plan's shape: every value is given
    return deploy_trainer(twin, mechanism, sender=sender, **texts, **params)


# --- Accounts -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def creator(accounts):
    """Deploys every trainer, so it is the owner: seals, and takes what is left after tc."""
    return accounts[0]


@pytest.fixture(scope="session")
def contributor(accounts):
    """Adds data (and is refunded, or loses its deposit)."""
    return accounts[1]


@pytest.fixture(scope="session")
def other_contributor(accounts):
    """A second contributor."""
    return accounts[2]


@pytest.fixture(scope="session")
def reporter(accounts):
    """Earns good data by refunds, then takes shares of bad contributions."""
    return accounts[3]


@pytest.fixture(scope="session")
def stranger(accounts):
    """Never contributes: may only take what is left after ta."""
    return accounts[4]


# --- Hypothesis: the stateful machines ------------------------------------------------------------
@pytest.fixture(scope="session")
def stateful_settings():
    """Settings of a state machine under the current profile: STATEFUL_EXAMPLES[profile] examples
    (or $DECAI_STATEFUL_EXAMPLES) of STATEFUL_STEPS steps each."""
    examples = int(os.environ.get("DECAI_STATEFUL_EXAMPLES") or STATEFUL_EXAMPLES.get(PROFILE, 100))
    return settings(max_examples=examples, stateful_step_count=STATEFUL_STEPS)


# --- Time -----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def t():
    """refund_wait of the default trainers (1 day)."""
    return T


@pytest.fixture(scope="session")
def tc():
    """creator_wait of the default deposit trainer (30 days)."""
    return TC


@pytest.fixture(scope="session")
def ta():
    """anyone_wait of the default deposit trainer (60 days)."""
    return TA


# --- Model ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def initial_weights():
    """The default model's 100 weights (a fresh list each time it is asked)."""
    return list(INITIAL_WEIGHTS)


@pytest.fixture(scope="session")
def ones_sample():
    """Feature indices the default model firmly labels 1 (one update cannot flip it)."""
    return list(ONES_SAMPLE)


@pytest.fixture(scope="session")
def zeros_sample():
    """Feature indices the default model firmly labels 0 (one update cannot flip it)."""
    return list(ZEROS_SAMPLE)


@pytest.fixture(scope="session")
def reference_model():
    """Factory: the Python reference with the default model's parameters, or overrides
    (``n_features``, ``intercept``, ``learning_rate``, ``weights``)."""

    def make(**overrides) -> SparsePerceptron:
        params = {k: DEPOSIT_DEFAULTS[k] for k in ("n_features", "intercept", "learning_rate", "weights")}
        params.update(overrides)
        params["weights"] = list(params["weights"])
        return SparsePerceptron(**params)

    return make


# --- Trainers -------------------------------------------------------------------------------------
@pytest.fixture
def deploy_deposit_trainer(project, chain, creator):
    """Factory: deploy a SparsePerceptronDepositTrainer (creator is the sender unless
    ``sender=`` is given). Any constructor argument can be overridden by name; ``weights``
    is a list of int16 values packed here, or pass ``weight_words`` already packed."""

    def deploy(**overrides):
        return _deploy_sparse_perceptron("deposit", DEPOSIT_DEFAULTS, overrides, creator)

    return deploy


@pytest.fixture
def deploy_points_trainer(project, chain, creator):
    """Factory: deploy a SparsePerceptronPointsTrainer, like ``deploy_deposit_trainer``."""

    def deploy(**overrides):
        return _deploy_sparse_perceptron("points", POINTS_DEFAULTS, overrides, creator)

    return deploy


@pytest.fixture
def deposit_trainer(deploy_deposit_trainer):
    """The default deposit trainer (sealed, t/tc/ta = 1/30/60 days)."""
    return deploy_deposit_trainer()


@pytest.fixture
def points_trainer(deploy_points_trainer):
    """The default points trainer (sealed, validation wait 1 day)."""
    return deploy_points_trainer()


@pytest.fixture(scope="session")
def deposit_defaults():
    """The default constructor arguments of the deposit trainer (a copy), by name."""
    return dict(DEPOSIT_DEFAULTS)


@pytest.fixture(scope="session")
def points_defaults():
    """The default constructor arguments of the points trainer (a copy), by name."""
    return dict(POINTS_DEFAULTS)


# --- Records --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def record_key():
    """Function (packed_words, label, added_at, contributor) -> the record's bytes32 key.
    ``packed_words`` is what was sent (``pack_indices(indices)``)."""
    return _record_key


@pytest.fixture(scope="session")
def unpack_record():
    """Function packed uint256 -> Record(exists, refunded, deposit, claimable)."""
    return _unpack_record


@pytest.fixture(scope="session")
def read_weights():
    """Function trainer -> its full weight vector (a list of n_features ints), read word by
    word through the exported `weight_words` view."""

    def read(trainer) -> list[int]:
        n = trainer.n_features()
        return unpack_weights([trainer.weight_words(k) for k in range((n + LANES - 1) // LANES)], n)

    return read


# --- The prediction market (see tests/market_support.py) -----------------------------------------
MARKET_DEFAULTS = dict(
    name="Sentiment",
    description="A 100-feature sparse perceptron for the tests",
    encoder='{"type": "test", "n_features": 100}',
    n_features=N_FEATURES,
    intercept=0,
    learning_rate=1,
    weights=INITIAL_WEIGHTS,
    seal=True,
)


@pytest.fixture(scope="session")
def provider(accounts):
    """Opens a market: posts the bounty, commits to a test set, reveals it."""
    return accounts[5]


@pytest.fixture
def deploy_market_trainer(project, chain, creator):
    """Factory: deploy a SparsePerceptronMarketTrainer, like ``deploy_deposit_trainer``."""

    def deploy(**overrides):
        return _deploy_sparse_perceptron("market", MARKET_DEFAULTS, overrides, creator)

    return deploy


@pytest.fixture
def market_trainer(deploy_market_trainer):
    """The default market trainer (sealed, no market open)."""
    return deploy_market_trainer()
