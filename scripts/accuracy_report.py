"""Accuracy report: the on-chain models under the chain's per-sample limit vs scikit-learn.

For each text dataset, sparse model, vocabulary size and per-sample limit N (a sample keeps
its N lowest-ranked distinct features), the held-out accuracy of the bit-exact twin (what the
contract computes) next to scikit-learn's same-family classifier on the same tokenisation and
vocabulary without any limit, averaged over several train/test splits (`ape_decai.accuracy`).

    ape run accuracy_report                       # one JSON object on stdout
    ape run accuracy_report --markdown            # the tables of docs/accuracy.md
    ape run accuracy_report --dataset convention-speeches --vocab-size 2000 --seeds 20

(`.venv/bin/python scripts/accuracy_report.py ...` runs the same.) No chain is needed. A limit
above what the installed twins accept (`MAX_INPUT_LENGTH`) is a what-if: the twins' check is
lifted for the run, to measure what raising the contracts' limit would give.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import ape_decai.models.sparse_perceptron as sparse_perceptron
from ape_decai.accuracy import ORDERINGS, SPARSE_MODELS, Comparison, compare
from ape_decai.datasets import NAMED_DATASETS, load_training_data

TEXT_DATASETS = tuple(name for name, d in NAMED_DATASETS.items() if d.load is not None)
DEFAULT_DATASETS = ("food-reviews", "convention-speeches", "rotten-tomatoes")
DEFAULT_LIMITS = "128,256,512,none"


def _limits(text: str) -> list[int | None]:
    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in ("none", "0"):
            out.append(None)
        elif part.isdigit() and int(part) > 0:
            out.append(int(part))
        else:
            raise click.BadParameter(f"{part!r} is not a positive number or 'none'", param_hint="--max-features")
    return out


@contextlib.contextmanager
def _twins_accept(limit: int) -> Iterator[None]:
    """Lift the twins' per-sample check to `limit` for the run (a what-if above the contracts')."""
    saved = sparse_perceptron.MAX_INPUT_LENGTH
    sparse_perceptron.MAX_INPUT_LENGTH = max(saved, limit)
    try:
        yield
    finally:
        sparse_perceptron.MAX_INPUT_LENGTH = saved


def _cell(row: Comparison, target: float) -> str:
    if row.gap is None:
        return f"{row.ours_mean:.3f}"
    gap = f"{round(row.gap, 3) + 0.0:+.3f}"  # + 0.0: no "-0.000"
    return f"{row.ours_mean:.3f} ({'**' + gap + '**' if row.gap < -target else gap})"


def markdown(rows: list[Comparison], limits: list[int | None], target: float) -> str:
    """One table per vocabulary size: a row per dataset and model, a column per limit."""
    heading = " | ".join("no limit" if n is None else f"N = {n}" for n in limits)
    out = []
    for vocab_size in sorted({r.vocab_size for r in rows}):
        out += [
            f"Vocabulary of {vocab_size:,} words; held-out accuracy, mean of {len(rows[0].ours)} splits "
            f"(gap to scikit-learn in brackets, in bold beyond -{target}):",
            "",
            f"| dataset | model | scikit-learn | {heading} |",
            "|---|---|---|" + "---|" * len(limits),
        ]
        table = [r for r in rows if r.vocab_size == vocab_size]
        for dataset in dict.fromkeys(r.dataset for r in table):
            cut = {r.max_features: r for r in table if r.dataset == dataset}
            share = " | ".join("-" if n is None else f"{cut[n].to_dict()['truncated_fraction']:.1%}" for n in limits)
            out.append(f"| {dataset} | *samples with more than N features* | | {share} |")
            for model in dict.fromkeys(r.model for r in table):
                by_limit = {r.max_features: r for r in table if r.dataset == dataset and r.model == model}
                first = by_limit[limits[0]]
                sk = "n/a" if first.sklearn_mean is None else f"{first.estimator} {first.sklearn_mean:.3f}"
                cells = " | ".join(_cell(by_limit[n], target) for n in limits)
                out.append(f"| {dataset} | {model} | {sk} | {cells} |")
        out.append("")
    return "\n".join(out)


@click.command()
@click.option("--dataset", "dataset_names", multiple=True, type=click.Choice(TEXT_DATASETS), default=DEFAULT_DATASETS, show_default=True, help="Text datasets (repeat the option for several).")
@click.option("--model", "models", multiple=True, type=click.Choice(SPARSE_MODELS), default=SPARSE_MODELS, show_default=True, help="Sparse models (repeat for several).")
@click.option("--vocab-size", "vocab_sizes", multiple=True, type=click.IntRange(1, 65535), default=(1000,), show_default=True, help="Vocabulary sizes (repeat for several).")
@click.option("--max-features", "limits_text", default=DEFAULT_LIMITS, show_default=True, help="Per-sample limits N to measure, comma-separated ('none': no limit).")
@click.option("--seeds", default=5, show_default=True, type=click.IntRange(1, 1000), help="Train/test splits averaged (seeds 0 .. SEEDS-1).")
@click.option("--test-fraction", default=0.2, show_default=True, type=click.FloatRange(0.05, 0.9))
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(1, 100), help="Perceptron passes (ours and scikit-learn's).")
@click.option("--ordering", type=click.Choice(list(ORDERINGS)), default="frequency", show_default=True, help="Vocabulary order, i.e. what truncation keeps: `train`'s (most frequent first) or a class-association score.")
@click.option("--target", default=0.03, show_default=True, type=click.FloatRange(0, 1), help="Largest acceptable shortfall against scikit-learn.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print markdown tables instead of JSON.")
def cli(dataset_names, models, vocab_sizes, limits_text, seeds, test_fraction, epochs, ordering, target, as_markdown):
    """Held-out accuracy of the on-chain models under a per-sample limit vs scikit-learn."""
    limits = _limits(limits_text)
    try:
        corpora = {name: load_training_data(dataset=name).samples for name in dataset_names}
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    rows: list[Comparison] = []
    console = Console(stderr=True)
    with (
        _twins_accept(sparse_perceptron.MAX_FEATURES if None in limits else max(n for n in limits if n is not None)),
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True) as progress,
    ):
        task = progress.add_task("splits", total=len(corpora) * len(vocab_sizes) * seeds)
        for name, samples in corpora.items():
            for vocab_size in vocab_sizes:
                progress.update(task, description=f"{name}, {vocab_size} words")
                rows += compare(
                    name, samples, models, vocab_size, limits, range(seeds), test_fraction, epochs, ordering,
                    on_split=lambda: progress.advance(task),
                )  # fmt: skip
    if as_markdown:
        click.echo(markdown(rows, limits, target))
        return
    within = [r for r in rows if r.gap is not None and r.max_features is not None]
    click.echo(
        json.dumps(
            {
                "settings": {
                    "datasets": list(dataset_names), "models": list(models), "vocab_sizes": list(vocab_sizes),
                    "max_features": limits, "seeds": seeds, "test_fraction": test_fraction, "epochs": epochs,
                    "ordering": ordering, "target": target,
                },
                "rows": [r.to_dict() for r in rows],
                # Per limit: is every (dataset, model, vocabulary) within the target?
                "within_target": {
                    str(n): all(r.gap >= -target for r in within if r.max_features == n)  # type: ignore[operator]
                    for n in limits if n is not None
                },
            },
            indent=1,
        )
    )  # fmt: skip


if __name__ == "__main__":
    cli()
