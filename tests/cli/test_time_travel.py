"""`ape decai time-travel`: moves a local chain forward, refuses bad durations."""

from ape_decai.units import iso_time


def test_time_travel__moves_the_chain_forward_by_the_duration(decai, chain):
    before = chain.blocks.head.timestamp

    data = decai.json("time-travel", "2h")

    assert data["advanced_seconds"] == 7200
    assert data["timestamp"] == chain.blocks.head.timestamp
    assert chain.blocks.head.timestamp >= before + 7200


def test_time_travel__prints_the_new_chain_time(decai, chain):
    result = decai.ok("time-travel", "90m")

    assert result.stdout == f"advanced 1h 30m; chain time is now {iso_time(chain.blocks.head.timestamp)}\n"


def test_time_travel__bad_duration__is_a_usage_error_and_mines_nothing(decai, chain):
    height = chain.blocks.height

    message = decai.usage_error("time-travel", "soon")

    assert message == "Invalid value for 'DURATION': not a duration: 'soon' (use e.g. 3600, 90m, 2h, 7d, 1w)"
    assert chain.blocks.height == height
