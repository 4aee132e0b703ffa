"""Heat maps of a two-key sweep (`simulate.aggregate_sweep` rows, or `OUT/sweep.csv`): one panel
for the honest agent's deposit result, one for the adversary's (when there is one) and one for the
held-out accuracy change from the initial model; with several seeds, the mean and its spread.

Cells where the honest agent stops profiting (result <= 0), where the adversary profits (> 0) and
where the accuracy ends below the initial model's (< 0) are marked `x`, so the boundary of the
region that works can be read off the figure.
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


# (column, panel title, whether a cell is marked `x`) of each panel.
PANELS = [
    ("honest_result_eth", "honest agent's deposit result (ETH)\nx: does not profit", lambda v: v <= 0),
    ("adversary_result_eth", "adversary's deposit result (ETH)\nx: profits", lambda v: v > 0),
    ("accuracy_change", "held-out accuracy: end - initial\nx: below the initial model", lambda v: v < 0),
]


def draw_heatmaps(
    rows: list[dict[str, Any]],
    x_key: str,
    y_key: str,
    path: str | Path,
    title: str = "",
    labels: dict[str, dict[str, str]] | None = None,
) -> Path:
    """A panel per measurement of `PANELS` present in `rows` over (x_key, y_key), green where it
    favours honest data, red where not; each cell shows its value (the mean over seeds) and, if
    the rows carry `<column>_min`/`_max`, the range over seeds. `labels[key][value]` renames tick
    labels (e.g. wei -> '0.1 ETH'). Returns the path written."""
    plt = require_matplotlib()
    labels = labels or {}
    rows = [
        r if "accuracy_change" in r else {**r, "accuracy_change": float(r["accuracy_final"]) - float(r["accuracy_initial"])}
        for r in rows
    ]
    panels = [p for p in PANELS if p[0] in rows[0]]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
    for ax, (value, name, marked) in zip(axes[0], panels, strict=True):
        xs, ys, matrix = grid(rows, x_key, y_key, value)
        spread = f"{value}_min" in rows[0] and any(float(r.get(f"{value}_sd", 0) or 0) > 0 for r in rows)
        low = grid(rows, x_key, y_key, f"{value}_min")[2] if spread else None
        high = grid(rows, x_key, y_key, f"{value}_max")[2] if spread else None
        bound = max(abs(v) for row in matrix for v in row) or 1.0
        cmap = "RdYlGn_r" if value == "adversary_result_eth" else "RdYlGn"
        image = ax.imshow(matrix, cmap=cmap, vmin=-bound, vmax=bound, origin="lower", aspect="auto")
        fig.colorbar(image, ax=ax)
        ax.set_xticks(range(len(xs)), [labels.get(x_key, {}).get(x, x) for x in xs])
        ax.set_yticks(range(len(ys)), [labels.get(y_key, {}).get(y, y) for y in ys])
        ax.set_xlabel(x_key)
        ax.set_ylabel(y_key)
        ax.set_title(name, fontsize=9)
        digits = 3 if value == "accuracy_change" else 2
        for j, row in enumerate(matrix):
            for i, v in enumerate(row):
                text = f"{v:+.{digits}f}" + (" x" if marked(v) else "")
                if low and high:
                    text += f"\n[{low[j][i]:+.{digits}f}, {high[j][i]:+.{digits}f}]"
                ax.text(i, j, text, ha="center", va="center", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
