"""Heat maps of a two-key sweep (`simulate.sweep` rows, or `OUT/sweep.csv`): one panel for the
honest agent's deposit result and one for the held-out accuracy change from the initial model.

Cells where the honest agent stops profiting (result <= 0) and where the accuracy ends below the
initial model's are marked, so the boundary of the region that works can be read off the figure.
matplotlib is optional (`pip install 'ape-decai[plot]'`).
"""

import csv
from pathlib import Path
from typing import Any

from ape_decai.errors import DecaiError
from ape_decai.figures import require_matplotlib


def read_sweep(path: str | Path) -> list[dict[str, str]]:
    """The rows of a `sweep.csv` as written by `ape decai simulate --sweep`."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def grid(rows: list[dict[str, Any]], x_key: str, y_key: str, value: str) -> tuple[list, list, list[list[float]]]:
    """(x values, y values, matrix[y][x] of `value`) in the order the values first appear."""
    xs = list(dict.fromkeys(str(r[x_key]) for r in rows))
    ys = list(dict.fromkeys(str(r[y_key]) for r in rows))
    cells = {(str(r[x_key]), str(r[y_key])): float(r[value]) for r in rows}
    if len(cells) != len(xs) * len(ys):
        raise DecaiError(f"the sweep is not a full grid of {x_key} x {y_key}")
    return xs, ys, [[cells[(x, y)] for x in xs] for y in ys]


def draw_heatmaps(
    rows: list[dict[str, Any]],
    x_key: str,
    y_key: str,
    path: str | Path,
    title: str = "",
    labels: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Two panels over (x_key, y_key): the honest agent's deposit result in ETH (red where it does
    not profit) and the accuracy change from the initial model (red where it ends below it).
    `labels[key][value]` renames tick labels (e.g. wei -> '0.1 ETH'). Returns the path written."""
    plt = require_matplotlib()
    labels = labels or {}
    rows = [{**r, "accuracy_change": float(r["accuracy_final"]) - float(r["accuracy_initial"])} for r in rows]
    panels = [
        ("honest_result_eth", "honest agent's deposit result (ETH)", "RdYlGn"),
        ("accuracy_change", "held-out accuracy: end - initial", "RdYlGn"),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (value, name, cmap) in zip(axes, panels, strict=True):
        xs, ys, matrix = grid(rows, x_key, y_key, value)
        bound = max(abs(v) for row in matrix for v in row) or 1.0
        image = ax.imshow(matrix, cmap=cmap, vmin=-bound, vmax=bound, origin="lower", aspect="auto")
        fig.colorbar(image, ax=ax)
        ax.set_xticks(range(len(xs)), [labels.get(x_key, {}).get(x, x) for x in xs])
        ax.set_yticks(range(len(ys)), [labels.get(y_key, {}).get(y, y) for y in ys])
        ax.set_xlabel(x_key)
        ax.set_ylabel(y_key)
        ax.set_title(name, fontsize=10)
        for j, row in enumerate(matrix):
            for i, v in enumerate(row):
                text = f"{v:+.2f}" if value == "honest_result_eth" else f"{v:+.3f}"
                ax.text(i, j, text + (" x" if v <= 0 else ""), ha="center", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
