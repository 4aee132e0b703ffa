"""Heat maps of a two-key sweep (`ape_decai.heatmaps`)."""

import pytest

from ape_decai.errors import DecaiError
from ape_decai.heatmaps import PANELS, draw_heatmaps, grid


def rows(keys_x=("1", "2"), keys_y=("a", "b", "c")):
    return [
        {"x": x, "y": y, "honest_result_eth": float(x) - 1.5, "accuracy_initial": 0.6, "accuracy_final": 0.6 + 0.01 * i}
        for i, (x, y) in enumerate((x, y) for y in keys_y for x in keys_x)
    ]


def test_grid__rows_become_a_matrix_in_first_seen_order():
    xs, ys, matrix = grid(rows(), "x", "y", "honest_result_eth")
    assert (xs, ys) == (["1", "2"], ["a", "b", "c"])
    assert matrix == [[-0.5, 0.5]] * 3


def test_grid__a_missing_cell_is_refused():
    with pytest.raises(DecaiError, match="not a full grid"):
        grid(rows()[:-1], "x", "y", "honest_result_eth")


def test_draw_heatmaps__writes_a_png(tmp_path):
    path = draw_heatmaps(rows(), "x", "y", tmp_path / "heat.png", "title")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_heatmaps__three_panels_with_the_spread_over_seeds(tmp_path):
    spread = [
        {**r, "adversary_result_eth": -r["honest_result_eth"], "accuracy_change": 0.01,
         **{f"{k}_{s}": r[k] + d for k in ("honest_result_eth",) for s, d in (("min", -0.1), ("max", 0.1))},
         "honest_result_eth_sd": 0.1}
        for r in rows()
    ]
    path = draw_heatmaps(spread, "x", "y", tmp_path / "heat.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_panels__marks_where_honest_data_is_not_favoured():
    marks = {column: marked for column, _, marked in PANELS}
    assert marks["honest_result_eth"](0.0) and not marks["honest_result_eth"](0.01)
    assert marks["adversary_result_eth"](0.01) and not marks["adversary_result_eth"](0.0)
    assert marks["accuracy_change"](-0.001) and not marks["accuracy_change"](0.0)
