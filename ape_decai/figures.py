"""Figures: the paper's Fig. 3 drawn from a simulation (each agent's balance, % of its budget, and the
model's held-out accuracy over chain time), the points mechanism's run (`draw_points`), and a
model's accuracy over its history.

matplotlib is optional (`pip install 'ape-decai[plot]'`); without it, the drawing functions raise a
one-line `DecaiError` saying so, and everything else of a simulation still works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ape_decai.errors import DecaiError

NO_MATPLOTLIB = "drawing the figure needs matplotlib: pip install 'ape-decai[plot]' (or pass --no-plot)"

# One colour per agent kind, as in the paper: honest green, adversary red.
_COLOURS = {True: ["tab:green", "tab:olive", "tab:cyan", "tab:blue"], False: ["tab:red", "tab:orange", "tab:purple", "tab:brown"]}


def require_matplotlib() -> Any:
    """The pyplot module (Agg backend, no display), or a DecaiError if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        raise DecaiError(NO_MATPLOTLIB) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_fig3(steps: list[dict], accuracy: list[dict], agents: list[dict], path: str | Path, title: str = "") -> Path:
    """Draw balances and accuracy over days to the PNG `path`.

    `steps` and `accuracy` are a simulation's rows (`SimulationResult.steps`, `.accuracy`);
    `agents` are the scenario's agents (dicts with `name`, `honest`). Solid lines: deposits only;
    dotted: with gas at the scenario's stated gas price (the `<name>_gas_pct` columns if present).
    """
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    used = {True: 0, False: 0}
    for agent in agents:
        name, honest = agent["name"], bool(agent["honest"])
        colour = _COLOURS[honest][used[honest] % 4]
        used[honest] += 1
        days = [0.0] + [r["day"] for r in steps]
        pct = [100.0] + [r[f"{name}_balance_pct"] for r in steps]
        kind = "honest" if honest else "adversary"
        ax.plot(days, pct, color=colour, linestyle="-" if honest else "--", linewidth=1.8, label=f"{name} ({kind}) balance")
        if steps and f"{name}_with_gas_pct" in steps[0]:
            with_gas = [100.0] + [r[f"{name}_with_gas_pct"] for r in steps]
            ax.plot(days, with_gas, color=colour, linestyle=":", linewidth=1.2, label=f"{name} balance with gas")
    ax.plot(
        [a["day"] for a in accuracy],
        [100 * a["accuracy"] for a in accuracy],
        color="black",
        linewidth=2,
        label="held-out accuracy (model read from chain)",
    )
    if accuracy:
        ax.axhline(100 * accuracy[0]["accuracy"], color="grey", linewidth=0.8, linestyle="-.", label="initial accuracy")
    ax.set_xlabel("time (days of chain time)")
    ax.set_ylabel("percent")
    ax.set_title(title or "Balances and accuracy on held-out data (paper Fig. 3, on the contracts)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(plt, fig, path)


def draw_accuracy_history(points: list[dict], path: str | Path, title: str = "") -> Path:
    """Draw the model's accuracy at each scored block (`ledger.AccuracyPoint.as_dict` rows) to the
    PNG `path`, with the number of contributions so far on a second axis."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    blocks = [p["block"] for p in points]
    scored = [(p["block"], 100 * p["accuracy"]) for p in points if p["accuracy"] is not None]
    # The model only changes where data is added: the accuracy holds until the next point.
    ax.plot([b for b, _ in scored], [a for _, a in scored], color="black", marker="o", linewidth=2, drawstyle="steps-post",
            label="accuracy on the test set (model read from chain)")
    ax.set_xlabel("block")
    ax.set_ylabel("accuracy (%)")
    ax.grid(True, alpha=0.3)
    counts = ax.twinx()
    counts.step(blocks, [p["contributions"] for p in points], where="post", color="tab:blue", linewidth=1, linestyle="--",
                label="contributions so far")
    counts.set_ylabel("contributions")
    lines = ax.get_legend_handles_labels()
    more = counts.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best", fontsize=8)
    ax.set_title(title or "The model's accuracy over its history")
    return _save(plt, fig, path)


def draw_market(accuracy: list[dict], rounds: list[dict], agents: dict[str, dict], path: str | Path, title: str = "") -> Path:
    """Draw a market simulation to the PNG `path`: left, the model's accuracy (held out, and on the
    provider's test set) after each contribution; right, each participant's balance in % of its
    stakes over Fig. 2's rounds (solid: honest, dashed: bad), with the end result after gas at the
    stated price as a dot. `accuracy`, `rounds` and `agents` are a `MarketSimulationResult`'s
    `accuracy` and `rounds` rows and its summary's `agents`."""
    plt = require_matplotlib()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=90)
    t = [a["contributions"] for a in accuracy]
    left.plot(t, [100 * a["held_out_accuracy"] for a in accuracy], color="black", linewidth=2, drawstyle="steps-post",
              label="held-out accuracy")
    left.plot(t, [100 * a["test_set_accuracy"] for a in accuracy], color="tab:blue", linewidth=1.5, linestyle="--",
              drawstyle="steps-post", label="accuracy on the provider's test set")
    for a in accuracy:
        if a["participant"].startswith("bad") and a["updated"]:
            left.axvline(a["contributions"], color="tab:red", alpha=0.15, linewidth=3)
    left.set_xlabel("contributions (red bands: a bad label that changed the model)")
    left.set_ylabel("accuracy (%)")
    left.grid(True, alpha=0.3)
    left.legend(loc="best", fontsize=8)
    used = {True: 0, False: 0}
    last = rounds[-1]["round"] if rounds else 0
    for name, agent in agents.items():
        if agent.get("kind") not in ("honest", "bad"):
            continue
        honest = agent["kind"] == "honest"
        colour = _COLOURS[honest][used[honest] % 4]
        used[honest] += 1
        right.plot([r["round"] for r in rounds], [r[f"{name}_pct"] for r in rounds], color=colour,
                   linestyle="-" if honest else "--", linewidth=1.8, label=name)
        with_gas = 100 * (agent["paid"] + agent["net_with_gas_wei"]) / agent["paid"]
        right.plot([last], [with_gas], color=colour, marker="o", markersize=5)
    right.axhline(100, color="grey", linewidth=0.8, linestyle="-.")
    right.set_xlabel("round of Fig. 2 (dot: the end result after gas)")
    right.set_ylabel("balance (% of the participant's stakes)")
    right.grid(True, alpha=0.3)
    right.legend(loc="best", fontsize=8)
    fig.suptitle(title or "Prediction market (paper III-B, Fig. 2) on the contracts")
    return _save(plt, fig, path)


def draw_points(steps: list[dict], accuracy: list[dict], agents: list[dict], path: str | Path, title: str = "") -> Path:
    """Draw a points simulation (`simulate_points.PointsResult` rows) to the PNG `path`: each
    agent's validated share (points / contributions past the validation wait, %) and the held-out
    accuracy over days on the left axis, each agent's points on the right one."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    counts = ax.twinx()
    used = {True: 0, False: 0}
    for agent in agents:
        name, honest = agent["name"], bool(agent["honest"])
        colour = _COLOURS[honest][used[honest] % 4]
        used[honest] += 1
        kind = "honest" if honest else "adversary"
        label = name if name == kind else f"{name} ({kind})"
        # At its own turns: then every contribution past the wait has been checked.
        due = [r for r in steps if r["agent"] == name and r[f"{name}_due"]]
        ax.plot([r["day"] for r in due], [r[f"{name}_validated_of_due_pct"] for r in due], color=colour,
                linestyle="-" if honest else "--", linewidth=1.8, label=f"{label}: validated share of its data past the wait")
        counts.plot([0.0] + [r["day"] for r in steps], [0] + [r[f"{name}_points"] for r in steps], color=colour,
                    linestyle=":", linewidth=1.2, label=f"{label}: points (right axis)")
    ax.plot([a["day"] for a in accuracy], [100 * a["accuracy"] for a in accuracy], color="black", linewidth=2,
            label="held-out accuracy (model read from chain)")
    if accuracy:
        ax.axhline(100 * accuracy[0]["accuracy"], color="grey", linewidth=0.8, linestyle="-.", label="initial accuracy")
    ax.set_xlabel("time (days of chain time)")
    ax.set_ylabel("percent")
    ax.set_ylim(0, 100)
    counts.set_ylabel("points (validated contributions)")
    counts.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    lines, more = ax.get_legend_handles_labels(), counts.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right", fontsize=8)
    ax.set_title(title or "Points mechanism: validated share, points and accuracy (paper III-A, on the contracts)")
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: str | Path) -> Path:
    """Lay the figure out, write it to the PNG `path`, free it; the path written."""
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
