"""Measure the gas of ape-decai's public entry points in the reference scenario.

Scenario (the spec's, to compare with the paper's reference code): a sparse perceptron with
100 non-zero weights, the deposit mechanism, one sample of 15 distinct word indices; the
vocabulary published on chain is the 100 most frequent words of the rotten-tomatoes reviews.
Everything runs through the public entry points on a throwaway Anvil started by ape-foundry.
From the repository (`make gas`):

    ape run gas_report                  # the tables
    ape run gas_report --json           # one JSON object
    ape run gas_report --only deposit   # every model's deposit scenario (--only market: the market's)
    ape run gas_report --models         # also every model's accuracy on real data (scripts/model_report.py)

The sparse nearest centroid and naive Bayes keys (`sparse_ncc_*`, `naive_bayes_*`) come from
their own scenario, `measure_sparse_models` below.

`refund` is the refund of an account that already has refunded data; `refund_first` is an
account's first refund, which also pays for a new storage slot (its good-data count, 20,000 gas).
"""

import json
import random

import click

from scripts._accuracy import model_rows
from scripts._throwaway import NETWORK, use_throwaway_anvil

N_FEATURES = 100
SAMPLE_SIZE = 15
DAY = 86400
DOUBT_WAIT = 2 * DAY  # td of the doubt-wait rows (paper III-C1)

# The reference code (Solidity 0.6, optimised) measured on Anvil 1.7.1 (see SPEC.md), and our targets.
REFERENCE = {"deploy": 7_210_000, "add_data_agree": 254_210, "add_data_update": 269_560, "refund": 200_379, "report": 165_178}
TARGETS = {"deploy": 2_000_000, "add_data_agree": 80_000, "add_data_update": 115_000, "refund": 80_000, "report": 95_000}
LABELS = {
    "deploy": "deploy trainer + 100-weight model",
    "add_data_agree": "add data, model agrees",
    "add_data_update": "add data, model updates",
    "refund": "refund",
    "refund_first": "refund, account's first",
    "report": "report (take a share)",
}


def scenario_model() -> tuple[dict, list[int], int]:
    """A 100-word model with non-zero weights and a 15-word sample it classifies with a margin > 16."""
    from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes
    from ape_decai.training import build_vocabulary

    vocabulary = build_vocabulary([text for text, _ in load_rotten_tomatoes()], N_FEATURES)
    rng = random.Random(2019)
    while True:
        weights = [rng.choice([-1, 1]) * rng.randint(1, 50) for _ in range(N_FEATURES)]
        sample = sorted(rng.sample(range(N_FEATURES), SAMPLE_SIZE))
        margin = sum(weights[i] for i in sample)
        # One wrong update moves the margin by 16 (15 weights + intercept): keep the sign after it.
        if abs(margin) > 2 * (SAMPLE_SIZE + 1):
            break
    model = {
        "format": "ape-decai-model/1",
        "model": "sparse-perceptron",
        "name": "gas-report",
        "description": "Reference scenario of the gas report",
        "classes": list(CLASSES_ROTTEN_TOMATOES),
        "n_features": N_FEATURES,
        "learning_rate": 1,
        "intercept": 0,
        "weights": weights,
        "encoder": {"type": "vocabulary", "lowercase": True, "token_pattern": r"[a-z0-9']+", "vocabulary": vocabulary},
    }
    return model, sample, 1 if margin > 0 else 0


def measure(doubt_wait: int | None = None) -> dict:
    """The reference scenario; with `doubt_wait` (td) the contribution the model disagrees with
    (`add_data_update`, reported in `report`) waits td instead of t."""
    from ape import accounts, chain, networks

    from ape_decai import DepositParameters, deploy
    from ape_decai.packing import pack_indices

    model, sample, good_label = scenario_model()
    words = pack_indices(sample)
    with networks.parse_network_choice(NETWORK):
        creator, warmup, contributor, bad, = accounts.test_accounts[:4]
        params = DepositParameters(refund_wait=DAY, creator_wait=30 * DAY, anyone_wait=60 * DAY, doubt_wait=doubt_wait)
        deployed = deploy(model, "deposit", params, sender=creator)
        gas = {"deploy": deployed.trainer.contract.creation_metadata.receipt.gas_used}
        trainer = deployed.trainer

        def add(who, label):
            chain.mine(deltatime=600)
            return trainer.add_words(words, label, who)

        add(warmup, good_label)
        gas["add_data_agree"] = add(contributor, good_label).gas_used
        add(contributor, good_label)
        receipt = add(bad, 1 - good_label)
        gas["add_data_update"] = receipt.gas_used
        assert trainer.predict_words(words) == good_label, "scenario broken: the model must still agree"
        chain.mine(deltatime=params.effective_doubt_wait + 1)
        by = {c.transaction_hash: c for c in trainer.contributions()}
        mine = [c for c in by.values() if c.contributor == contributor.address]
        warm = next(c for c in by.values() if c.contributor == warmup.address)
        bad_one = next(c for c in by.values() if c.contributor == bad.address)
        trainer.refund(warm, warmup)  # someone refunded before: the total is not a new slot
        gas["refund_first"] = trainer.refund(mine[0], contributor).gas_used
        gas["refund"] = trainer.refund(mine[1], contributor).gas_used
        gas["report"] = trainer.report(bad_one, contributor).gas_used
    return gas


# --- Dense models (issue 3): dense perceptron and nearest centroid ---------------------------------
# A 100-dimension model of each, trained off chain by its Python twin on deterministic synthetic
# data (two Gaussian classes, fixed seed), deployed with the deposit mechanism; one dense sample
# (all 100 values non-zero) added that the model already predicts ("agree") and one it does not
# ("update"). Kept apart from the sparse block above so that each model family's keys live in
# their own function.
DENSE_DIM = 100
DENSE_SEED = 20190618
DENSE_X_SCALE = 64  # the encoder's scale: real 1.0 -> 64
DENSE_TARGETS = {
    f"{m}_{k}": limit
    for m in ("dense_perceptron", "ncc")
    for k, limit in (("deploy", 2_000_000), ("add_data_agree", 150_000), ("add_data_update", 150_000))
}
DENSE_LABELS = {
    "deploy": "deploy trainer + 100-dimension model",
    "add_data_agree": "add data, model agrees",
    "add_data_update": "add data, model disagrees",
}


def dense_dataset(n: int = 200) -> list[tuple[list[int], int]]:
    """n samples of two Gaussian classes in DENSE_DIM dimensions (means -0.5 / +0.5, sd 1), as int16
    at DENSE_X_SCALE, none of them zero (every lane costs what it can)."""
    rng = random.Random(DENSE_SEED)
    out = []
    for k in range(n):
        label = k % 2
        x = [round((rng.gauss(0.5 if label else -0.5, 1.0)) * DENSE_X_SCALE) or 1 for _ in range(DENSE_DIM)]
        out.append((x, label))
    return out


def measure_dense() -> dict:
    """The six dense keys: {dense_perceptron,ncc}_{deploy,add_data_agree,add_data_update}."""
    from ape import accounts, chain, networks
    from ape.contracts import ContractContainer

    from ape_decai import DepositParameters
    from ape_decai.deployment import mechanism_args
    from ape_decai.manifest import load_contract_type, trainer_name
    from ape_decai.models.dense_perceptron import DensePerceptron
    from ape_decai.models.ncc import NearestCentroid

    data = dense_dataset()
    train, probe = data[:160], data[160:]
    models = {
        "dense_perceptron": DensePerceptron.fit(train, DENSE_DIM, 2, x_scale=DENSE_X_SCALE, epochs=3),
        "ncc": NearestCentroid.fit(train, DENSE_DIM, 2),
    }
    params = DepositParameters()
    gas = {}
    with networks.parse_network_choice(NETWORK):
        creator, warmup, contributor = accounts.test_accounts[:3]
        for key, model in models.items():
            container = ContractContainer(load_contract_type(trainer_name(model.contract_prefix, "deposit")))
            assert not model.init_calls(128), "the scenario's model fits in the constructor"
            trainer = container.deploy(
                "gas-report",
                f"Dense scenario of the gas report ({key})",
                '{"type": "dense", "n_features": 100, "scale": 64}',
                *model.constructor_args(128),
                True,
                *mechanism_args("deposit", params),
                sender=creator,
            )
            gas[f"{key}_deploy"] = trainer.creation_metadata.receipt.gas_used
            agree = next((x, y) for x, y in probe if model.predict(x) == y)
            disagree = next((x, 1 - y) for x, y in probe if model.predict(x) == y)

            def add(who, x, label, trainer=trainer, model=model):
                chain.mine(deltatime=600)
                words = model.pack_input(x)
                assert trainer.predict(words) == model.predict(x), "scenario broken: chain and twin differ"
                return trainer.add_data(words, label, sender=who, value=trainer.next_deposit())

            add(warmup, *agree)  # the first contribution pays for the mechanism's slot
            gas[f"{key}_add_data_agree"] = add(contributor, *agree).gas_used
            gas[f"{key}_add_data_update"] = add(contributor, *disagree).gas_used
    return gas


def print_dense_table(gas: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Gas, dense models (100 dimensions, dense sample), deposit mechanism")
    for col in ("model", "operation", "ape-decai", "target", "met"):
        table.add_column(col, justify="right" if col in ("ape-decai", "target") else "left")
    for model in ("dense_perceptron", "ncc"):
        for op, label in DENSE_LABELS.items():
            key = f"{model}_{op}"
            table.add_row(model, label, f"{gas[key]:,}", f"{DENSE_TARGETS[key]:,}", "yes" if gas[key] <= DENSE_TARGETS[key] else "NO")
    Console(width=120).print(table)


# --- The sparse multi-class models (issue 3): nearest centroid and naive Bayes ------------------------
# Same scenario: the 100 most frequent rotten-tomatoes words, the model trained off chain (the Python
# twin) on every review, set up whole in the trainer's creation and sealed; a 15-word sample from a
# fixed seed. Their deposit trainers are clones (ape_decai.clones): "deploy" is the creation of one
# trainer; the shared implementation, deployed once per chain, is reported apart
# (`<model>_implementation_deploy`). These models count every contribution, so "agree" (the label the model predicts) and "update"
# (the other label) do the same work; both are measured.
SPARSE_MODELS = {"sparse_ncc": "SparseNearestCentroid", "naive_bayes": "NaiveBayes"}
SPARSE_TARGETS = {
    f"{m}_{op}": target
    for m in SPARSE_MODELS
    for op, target in (("deploy", 2_000_000), ("add_data_agree", 150_000), ("add_data_update", 150_000))
}
SPARSE_LABELS = {
    f"{m}_{op}": f"{m}: {label}"
    for m in SPARSE_MODELS
    for op, label in (
        ("deploy", "create a trainer (clone) + 100-word model"),
        ("add_data_agree", "add data, model agrees"),
        ("add_data_update", "add data, model disagrees"),
    )
}


def sparse_scenario() -> tuple[list[str], list[tuple[list[int], int]], list[int]]:
    """(vocabulary, encoded reviews, a 15-word sample)."""
    from ape_decai.datasets import load_rotten_tomatoes
    from ape_decai.encoders import VocabularyEncoder
    from ape_decai.training import build_vocabulary

    reviews = load_rotten_tomatoes()
    vocabulary = build_vocabulary([text for text, _ in reviews], N_FEATURES)
    encoder = VocabularyEncoder(vocabulary)
    samples = [(x, y) for x, y in ((encoder.encode(text), label) for text, label in reviews) if x]
    sample = sorted(random.Random(2019).sample(range(N_FEATURES), SAMPLE_SIZE))
    return vocabulary, samples, sample


def measure_sparse_models() -> dict:
    import json as _json

    from ape import accounts, chain, networks

    from ape_decai import DepositParameters, clones
    from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES
    from ape_decai.encoders import VocabularyEncoder
    from ape_decai.models import REFERENCE_MODELS
    from ape_decai.training import ENCODER_FORMAT

    vocabulary, samples, sample = sparse_scenario()
    gas = {}
    with networks.parse_network_choice(NETWORK):
        creator, warmup, contributor = accounts.test_accounts[:3]
        for key, prefix in SPARSE_MODELS.items():
            cls = next(c for c in REFERENCE_MODELS.values() if c.contract_prefix == prefix)
            model = cls.fit(samples, n_features=N_FEATURES, n_classes=2)
            encoder = _json.dumps(
                {
                    "format": ENCODER_FORMAT,
                    "model": cls.model_id,
                    "classes": list(CLASSES_ROTTEN_TOMATOES),
                    "encoder": VocabularyEncoder(vocabulary).describe(),
                },
                sort_keys=True,
                separators=(",", ":"),
            )
            args = model.constructor_args(128)
            assert not model.init_calls(128), "scenario broken: the model must fit in the constructor"
            # A clone of the shared implementation (ape_decai.clones): the implementation's own
            # deployment is once per chain, reported apart.
            name = f"{prefix}DepositTrainer"
            gas[f"{key}_implementation_deploy"] = clones.ensure_implementation(name, creator)
            trainer, receipt = clones.create_trainer(
                name,
                ["gas-report", "Reference scenario of the gas report", encoder, *args, True,
                 *DepositParameters(refund_wait=DAY, creator_wait=30 * DAY, anyone_wait=60 * DAY).constructor_args()],
                creator,
            )
            gas[f"{key}_deploy"] = receipt.gas_used
            words = model.pack_input(sample)
            agree = model.predict(sample)

            def add(who, label, trainer=trainer, words=words):
                chain.mine(deltatime=600)
                return trainer.add_data(words, label, sender=who, value=trainer.next_deposit() * 2)

            add(warmup, agree)  # the first contribution also writes the mechanism's slots
            assert trainer.predict(words) == agree, "scenario broken: the model must still agree"
            gas[f"{key}_add_data_agree"] = add(contributor, agree).gas_used
            assert trainer.predict(words) == agree, "scenario broken: the model must still agree"
            gas[f"{key}_add_data_update"] = add(contributor, 1 - agree).gas_used
    return gas


# The prediction market scenario (issue 5) and its targets.
MARKET_FEATURES = 1000
MARKET_CONTRIBUTIONS = 100
MARKET_TEST_SAMPLES = 500
MARKET_PARTS = 100
MARKET_REVEAL = 10
MARKET_REVEAL_PER_TX = 30  # the other 90 parts in three transactions
MARKET_TARGETS = {
    "market_commit": 500_000,
    "market_reveal_total": 3_000_000,
    "market_settle_total": 10_000_000,
    "market_settle_max_tx": 10_000_000,
    "market_claim": 100_000,
    "market_worst_tx": 10_000_000,
}
MARKET_LABELS = {
    "market_commit": "market: commit (open with the bounty)",
    "market_reveal_total": "market: reveal, all transactions",
    "market_settle_total": "market: evaluate + settle, all transactions",
    "market_settle_max_tx": "market: largest settlement transaction",
    "market_claim": "market: claim a payout",
    "market_worst_tx": "market at every cap, most hostile inputs: largest transaction",
}


def market_scenario(seed: int = 2019):
    """A 1,000-word model, 100 contributions of 15 words (about half update the model) and a
    test set of 500 samples of 15 words labelled by a hidden "true" model."""
    from ape_decai.models.sparse_perceptron import SparsePerceptron

    rng = random.Random(seed)
    weights = [rng.randint(-30, 30) for _ in range(MARKET_FEATURES)]
    truth = [rng.randint(-30, 30) for _ in range(MARKET_FEATURES)]

    def sample():
        x = sorted(rng.sample(range(MARKET_FEATURES), SAMPLE_SIZE))
        return x, int(sum(truth[i] for i in x) > 0)

    test = [sample() for _ in range(MARKET_TEST_SAMPLES)]
    contributions = []
    for _ in range(MARKET_CONTRIBUTIONS):
        x, y = sample()
        contributions.append((x, y if rng.random() < 0.8 else 1 - y))
    return SparsePerceptron(MARKET_FEATURES, 1, 0, weights), contributions, test


def measure_market() -> dict:
    """Gas of one market at the issue's size, through the public entry points."""
    from ape import accounts, chain, networks, project

    from ape_decai.market import MarketSecrets, encode_samples
    from ape_decai.packing import pack_indices, pack_weights

    model, contributions, test = market_scenario()
    secrets = MarketSecrets.create(test, MARKET_PARTS)
    stake = 10**15
    gas: dict = {}
    with networks.parse_network_choice(NETWORK):
        creator, provider, *others = accounts.test_accounts[:10]
        words = pack_weights(model.weights)
        trainer = project.SparsePerceptronMarketTrainer.deploy(
            "market", "gas report", "{}", MARKET_FEATURES, 0, 1, words, True, sender=creator
        )
        gas["market_deploy"] = trainer.creation_metadata.receipt.gas_used
        receipt = trainer.open_market(
            stake, secrets.commitment, MARKET_PARTS, MARKET_REVEAL, 7 * DAY, MARKET_CONTRIBUTIONS, 7 * DAY,
            sender=provider, value=100 * stake,
        )
        gas["market_commit"] = receipt.gas_used
        chain.mine(1)
        gas["market_draw"] = trainer.draw_parts(sender=others[0]).gas_used
        drawn_bits = trainer.markets(1)[13]
        drawn = [k for k in range(MARKET_PARTS) if drawn_bits >> k & 1]
        reveal = [trainer.reveal(*secrets.reveal_args(drawn), sender=provider).gas_used]
        h0 = (trainer.intercept(), [trainer.weight_words(k) for k in range(len(words))])
        add_gas = []
        updates = 0
        for t, (x, y) in enumerate(contributions):
            updates += model.update(x, y)
            add_gas.append(trainer.add_data(pack_indices(x), y, sender=others[t % len(others)], value=stake).gas_used)
        gas["market_add_max"] = max(add_gas)
        gas["market_updates"] = updates
        trainer.end_market(sender=others[0])
        rest = [k for k in range(MARKET_PARTS) if k not in drawn]
        for i in range(0, len(rest), MARKET_REVEAL_PER_TX):
            reveal.append(trainer.reveal(*secrets.reveal_args(rest[i : i + MARKET_REVEAL_PER_TX]), sender=provider).gas_used)
        gas["market_reveal_total"] = sum(reveal)
        # every part in one evaluation transaction: it fits (the client would split it otherwise)
        settle = [
            trainer.evaluate_market(*h0, encode_samples(contributions), *secrets.evaluate_args(), sender=others[0]).gas_used
        ]
        while trainer.markets(1)[1] != 7:
            settle.append(trainer.settle_market(MARKET_CONTRIBUTIONS, sender=others[0]).gas_used)
        gas["market_evaluate"] = settle[0]
        gas["market_settle_total"] = sum(settle)
        gas["market_settle_max_tx"] = max(settle)
        winner = max(range(MARKET_CONTRIBUTIONS), key=lambda t: trainer.participants(1, t) >> 160 & (2**95 - 1))
        gas["market_claim"] = trainer.claim(1, winner, sender=others[winner % len(others)]).gas_used
    gas.update(measure_market_worst_case())
    return gas


def measure_market_worst_case() -> dict:
    """The market at every cap with the most hostile inputs it accepts (the shape of
    tests/unit/test_market_worst_case.py, one-feature test samples: its most expensive): the
    largest model, MAX_PARTICIPANTS contributions of the largest size each updating the model,
    every part drawn; evaluation a part per transaction. `market_worst_tx`: the largest."""
    from ape import accounts, chain, networks, project

    from ape_decai.market import MarketSecrets, encode_samples, hostile_parts
    from ape_decai.packing import pack_indices

    with networks.parse_network_choice(NETWORK):
        creator, provider, other = accounts.test_accounts[:3]
        probe = project.SparsePerceptronMarketTrainer.deploy("m", "worst", "{}", 16, 0, 1, [0], True, sender=creator)
        caps = {name: int(getattr(probe, name)()) for name in (
            "MAX_PARTS", "MAX_TEST_WORDS", "MAX_TEST_SAMPLES", "MAX_PART_FEATURES", "MAX_PARTICIPANTS",
            "MAX_MODEL_WORDS", "MAX_CONTRIBUTION_DATA_WORDS")}  # fmt: skip
        n_features = 16 * caps["MAX_MODEL_WORDS"]
        features = list(range(16 * caps["MAX_CONTRIBUTION_DATA_WORDS"]))
        trainer = project.SparsePerceptronMarketTrainer.deploy(
            "m", "worst", "{}", n_features, 0, 1, [0] * caps["MAX_MODEL_WORDS"], True, sender=creator
        )
        parts = hostile_parts(caps, features, 1)
        secrets = MarketSecrets(parts=parts, salts=[bytes([k + 1]) * 32 for k in range(len(parts))])
        n = caps["MAX_PARTICIPANTS"]
        txs = [trainer.open_market(1, secrets.commitment, len(parts), len(parts), DAY, n, DAY,
                                   sender=provider, value=10**6)]  # fmt: skip
        chain.mine(1)
        txs.append(trainer.draw_parts(sender=other))
        txs.append(trainer.reveal(*secrets.reveal_args(range(len(parts))), sender=provider))
        h0 = (trainer.intercept(), [trainer.weight_words(k) for k in range(caps["MAX_MODEL_WORDS"])])
        packed = pack_indices(features)
        for _ in range(n):
            txs.append(trainer.add_data(packed, 1 - trainer.predict(packed), sender=other, value=1))
        chain.pending_timestamp += DAY
        txs.append(trainer.end_market(sender=other))
        labels = [int(log.label) for log in trainer.DataAdded.range(txs[3].block_number, chain.blocks.head.number + 1)]
        flat = encode_samples([(features, y) for y in labels])
        for k in range(len(parts)):
            txs.append(trainer.evaluate_market(*h0, flat, *secrets.evaluate_args(k, 1), sender=other))
        txs.append(trainer.settle_market(n, sender=other))
        txs += [trainer.claim(1, t, sender=other) for t in range(n)]
        assert trainer.markets(1)[1] == 7, "worst case: the market did not settle"
    return {"market_worst_tx": max(tx.gas_used for tx in txs)}


# --- The largest contribution (issue 11): every sparse model, every mechanism --------------------
# A sample at the per-sample maximum (`packing.MAX_SAMPLE_FEATURES` distinct indices), each index
# in its own storage word of the model (indices 16k of a 16N-feature model: no two share a read or
# a write), the label the model does not predict (the perceptron updates; the count models always
# do). `max_input_<model>_<mechanism>` is its add_data gas, after a warm-up contribution.
MAX_INPUT_MODELS = ("sparse-perceptron", "sparse-ncc", "naive-bayes")


def measure_max_input() -> dict:
    from ape import accounts, chain, networks

    from ape_decai import deploy
    from ape_decai.encoders import HashingEncoder
    from ape_decai.models import REFERENCE_MODELS
    from ape_decai.packing import MAX_SAMPLE_FEATURES, pack_indices

    n_inputs = MAX_SAMPLE_FEATURES
    n_features = 16 * n_inputs
    worst = [16 * k for k in range(n_inputs)]
    gas: dict = {"max_input_features": n_inputs}
    with networks.parse_network_choice("ethereum:local:foundry"):
        creator, warmup, contributor = accounts.test_accounts[:3]
        for model_id in MAX_INPUT_MODELS:
            twin = REFERENCE_MODELS[model_id].fit([([1], 0), ([2], 1)], n_features=n_features, n_classes=2)
            model = {
                "format": "ape-decai-model/1",
                "model": model_id,
                "name": "gas-report",
                "description": "The largest contribution",
                "classes": ["no", "yes"],
                "encoder": HashingEncoder(n_features).describe(),
                **twin.to_dict(),
            }
            for mechanism in ("deposit", "points"):
                trainer = deploy(model, mechanism, sender=creator, restart=True).trainer
                chain.mine(deltatime=600)
                trainer.add_words(pack_indices([3]), 0, warmup)
                chain.mine(deltatime=600)
                words = pack_indices(worst)
                label = 1 - trainer.predict_words(words)
                key = f"max_input_{model_id.replace('-', '_')}_{mechanism}"
                gas[key] = trainer.add_words(words, label, contributor).gas_used
    return gas


# --- A 20,000-word vocabulary (issue 11): published in parts, then the model under a gas cap -------
# A sparse perceptron trained on the rotten-tomatoes reviews with the 20,000 words they use most
# (points mechanism). The vocabulary parts go first (the same for every cap: `vocabulary_parts`,
# `vocabulary_publish_gas`, its largest transaction `vocabulary_publish_max_tx`), then the trainer
# and its 1,250 weight words under each cap (`vocabulary_cap<M>m_{transactions,gas,max_tx}`).
VOCABULARY_WORDS = 20_000
VOCABULARY_CAPS = (3_000_000, 10_000_000)


def measure_vocabulary() -> dict:
    from ape import accounts, networks

    from ape_decai import deploy, publishing
    from ape_decai.datasets import load_rotten_tomatoes
    from ape_decai.training import onchain_encoder_parts, train_model

    model = train_model(
        load_rotten_tomatoes(), ["rotten", "fresh"], vocab_size=VOCABULARY_WORDS, epochs=1, test_fraction=0.05
    )
    parts = onchain_encoder_parts(model)
    gas: dict = {"vocabulary_words": len(model["encoder"]["vocabulary"]), "vocabulary_parts": len(parts)}
    with networks.parse_network_choice("ethereum:local:foundry"):
        creator = accounts.test_accounts[0]
        publishing.ensure_publisher(creator)
        sent = publishing.publish(parts, creator)
        gas["vocabulary_publish_gas"] = sum(sent)
        gas["vocabulary_publish_max_tx"] = max(sent)
        for cap in VOCABULARY_CAPS:
            done = deploy(model, "points", sender=creator, gas_cap=cap, restart=True)
            key = f"vocabulary_cap{cap // 1_000_000}m"
            gas[f"{key}_transactions"] = done.transactions
            gas[f"{key}_gas"] = sum(done.gas_used)
            gas[f"{key}_max_tx"] = max(done.gas_used)
    return gas


# --- Batches of contributions, points mechanism (issue 11) ------------------------------------------
# The reference scenario's sparse perceptron (100 weights) with the points mechanism; 50 distinct
# 15-word samples with random labels, after a warm-up contribution of the same account. For k in
# (1, 10, 50): `batch_<k>_single_per_sample`, the gas per sample of the first k added one by one,
# and `batch_<k>_per_sample` of the same k in one `add_data_batch` (from the same state).
BATCH_SIZES = (1, 10, 50)


def measure_points_batch() -> dict:
    from ape import accounts, chain, networks

    from ape_decai import deploy
    from ape_decai.packing import pack_indices

    model, _, _ = scenario_model()
    rng = random.Random(7)
    samples = [pack_indices(sorted(rng.sample(range(N_FEATURES), SAMPLE_SIZE))) for _ in range(max(BATCH_SIZES))]
    labels = [rng.randint(0, 1) for _ in samples]
    gas: dict = {}
    with networks.parse_network_choice("ethereum:local:foundry"):
        creator, contributor = accounts.test_accounts[:2]
        trainer = deploy(model, "points", sender=creator, restart=True).trainer.contract
        chain.mine(deltatime=600)
        trainer.add_data(pack_indices([1, 2]), 0, sender=contributor)
        for k in BATCH_SIZES:
            snap = chain.snapshot()
            chain.mine(deltatime=600)
            singles = sum(trainer.add_data(samples[i], labels[i], sender=contributor).gas_used for i in range(k))
            chain.restore(snap)
            snap = chain.snapshot()
            chain.mine(deltatime=600)
            batch = trainer.add_data_batch(samples[:k], labels[:k], sender=contributor).gas_used
            chain.restore(snap)
            gas[f"batch_{k}_single_per_sample"] = singles // k
            gas[f"batch_{k}_per_sample"] = batch // k
    return gas


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--models", is_flag=True, help="Also every model's accuracy on real data: off chain, on chain, scikit-learn (scripts/model_report.py).")
@click.option("--only", type=click.Choice(["deposit", "market", "vocabulary", "batch"]), default=None, help="Measure one scenario only (deposit: every model's; market: the prediction market's; vocabulary: a 20,000-word vocabulary published in parts; batch: points batches).")
def cli(as_json: bool, models: bool, only: str | None) -> None:
    """Measure the gas of ape-decai's public entry points in the reference scenarios, each on a
    throwaway Anvil (`ape run gas_report`)."""
    from ape.logging import logger

    use_throwaway_anvil()
    logger.set_level("ERROR")
    gas: dict = {}
    if only == "vocabulary":
        gas.update(measure_vocabulary())
    elif only == "batch":
        gas.update(measure_points_batch())
    elif only != "market":
        gas.update(measure())
        gas.update({f"doubt_{k}": v for k, v in measure(doubt_wait=DOUBT_WAIT).items()})
        gas.update(measure_dense())
        gas.update(measure_sparse_models())
        gas.update(measure_max_input())
    if only in (None, "market"):
        gas.update(measure_market())
    rows = None
    if models:
        from ape import accounts, networks

        with networks.parse_network_choice(NETWORK):
            rows = model_rows(accounts.test_accounts[5])
        gas["models"] = rows
    show(gas, rows, as_json)


def print_doubt_table(gas: dict, console) -> None:
    """The reference scenario with the doubt wait on next to it off (paper III-C1)."""
    from rich.table import Table

    table = Table(title=f"Gas, sparse perceptron, doubt wait off (td = t) and on (td = {DOUBT_WAIT // DAY} days)")
    for col in ("operation", "off", "on", "difference"):
        table.add_column(col, justify="right" if col != "operation" else "left")
    for key, label in LABELS.items():
        if key in gas and f"doubt_{key}" in gas:
            off, on = gas[key], gas[f"doubt_{key}"]
            table.add_row(label, f"{off:,}", f"{on:,}", f"{on - off:+,}")
    console.print(table)


def show(gas: dict, rows: list[dict] | None, as_json: bool) -> None:
    """The measurements as one JSON object, or as tables."""
    if as_json:
        print(json.dumps(gas, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    table = Table(title="Gas, sparse perceptron (100 weights, 15-word sample), deposit mechanism")
    for col in ("operation", "ape-decai", "reference (solc 0.6)", "ratio", "target", "met"):
        table.add_column(col, justify="right" if col != "operation" else "left")
    for key, label in LABELS.items():
        if key not in gas:
            continue
        ref = REFERENCE.get(key) or REFERENCE.get(key.replace("_first", ""))
        target = TARGETS.get(key)
        table.add_row(
            label,
            f"{gas[key]:,}",
            f"{ref:,}" if ref else "-",
            f"{ref / gas[key]:.1f}x" if ref else "-",
            f"{target:,}" if target else "-",
            ("yes" if gas[key] <= target else "NO") if target else "-",
        )
    if "deploy" in gas:
        console.print(table)
        print_doubt_table(gas, console)
        print_dense_table(gas)
        sparse = Table(title="Gas, sparse count models (100 words, 2 classes, 15-word sample), deposit")
        for col in ("operation", "ape-decai", "target", "met"):
            sparse.add_column(col, justify="right" if col != "operation" else "left")
        for key, label in SPARSE_LABELS.items():
            target = SPARSE_TARGETS[key]
            sparse.add_row(label, f"{gas[key]:,}", f"{target:,}", "yes" if gas[key] <= target else "NO")
        for model in SPARSE_MODELS:
            key = f"{model}_implementation_deploy"
            sparse.add_row(f"{model}: shared implementation, once per chain", f"{gas[key]:,}", "-", "-")
        console.print(sparse)
    if "market_commit" in gas:
        table = Table(title="Gas, prediction market: 1,000-word model, 100 contributions, 500 test samples in 100 parts")
        for col in ("operation", "ape-decai", "target", "met"):
            table.add_column(col, justify="right" if col != "operation" else "left")
        for key, label in MARKET_LABELS.items():
            target = MARKET_TARGETS[key]
            table.add_row(label, f"{gas[key]:,}", f"{target:,}", "yes" if gas[key] <= target else "NO")
        console.print(table)
    if rows:
        models = Table(title="Every model on real data: held-out accuracy; deployment (deposit mechanism)")
        for col in ("model", "dataset", "features", "off chain", "on chain", "mismatches", "scikit-learn", "deploy gas (txs)"):
            models.add_column(col, justify="left" if col in ("model", "dataset", "scikit-learn") else "right")
        for r in rows:
            models.add_row(
                r["model"], r["dataset"], str(r["features"]), f"{r['off_chain_accuracy']:.3f}",
                f"{r['on_chain_accuracy']:.3f}", str(r["mismatches"]),
                f"{r['sklearn_estimator']} {r['sklearn_accuracy']:.3f}",
                f"{r['deploy_gas']:,} ({r['deploy_transactions']})",
            )  # fmt: skip
        shared = [r for r in rows if r.get("implementation_gas")]
        if shared:
            models.caption = "deploy gas of a clone (sparse-ncc, naive-bayes) leaves out its shared implementation: " + ", ".join(
                f"{r['model']} {r['implementation_gas']:,}" for r in shared
            ) + ", once per chain"
        Console(width=140).print(models)

