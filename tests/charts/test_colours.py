"""One distinct, stable colour per server model; model hatches are a channel of their own."""

import pytest

from planner import charts
from planner.charts.style import BASE_PALETTE, pattern_for, server_line, server_marker
from planner.reports.summary import MODEL_PATTERNS, elevations, model_patterns


def test_eighty_server_models_get_eighty_distinct_colours_and_stay_put():
    names = [f"server-{i}" for i in range(80)]
    colours = charts.server_colours(names)
    assert len(set(colours.values())) == 80
    # Stable: adding servers at the end of the catalog never recolours the earlier ones.
    assert charts.server_colours([*names, "new-one"])["server-5"] == colours["server-5"]
    # The first twelve are the colour-blind-safe hues themselves, solid.
    assert [colours[f"server-{i}"] for i in range(12)] == list(BASE_PALETTE)
    assert {pattern_for(colours[f"server-{i}"]) for i in range(12)} == {""}
    # A second round of hues carries a pattern (bars) and a dash (lines) as well.
    assert pattern_for(colours["server-12"]) == "/"
    assert server_marker(colours["server-12"])["pattern"]["shape"] == "/"
    assert server_line(colours["server-12"])["dash"] == "dash"


def test_beyond_the_palette_colours_stay_distinct():
    colours = charts.server_colours([f"s{i}" for i in range(300)])
    assert len(set(colours.values())) == 300


@pytest.mark.django_db
def test_catalog_pairs_the_issue_named_are_told_apart(seed_catalog):
    from planner.pages.colours import catalog_colours

    colours = catalog_colours()
    assert len(set(colours.values())) == len(colours)
    assert colours["ampereone-a192"] != colours["8x-mi300x"]
    assert colours["8x-l40s"] != colours["8x-h100-pcie"]


def test_model_hatches_are_not_server_colours():
    result = {
        "sessions": {"a": 3, "b": 0, "c": 5},
        "racks": [
            {"rack_type": "r", "count": 2, "used_u": 2, "used_kw": 1, "free_u": 38, "free_kw": 1,
             "servers": [{"server": "s", "model": "a", "count": 1, "sessions": 3},
                         {"server": "s", "model": "c", "count": 1, "sessions": 5}]},
            {"rack_type": "r", "count": 5, "used_u": 0, "used_kw": 0, "free_u": 40, "free_kw": 2,
             "servers": []},
        ],
    }
    problem = {"rack_types": [{"name": "r", "u": 42, "power_kw": 2, "reserved_u": 2}],
               "servers": [{"name": "s", "u": 1, "power_w": 500, "sessions": {"a": 3, "c": 5}}]}
    patterns = model_patterns(result)
    assert patterns == {"a": {"pattern": MODEL_PATTERNS[0], "number": 1},
                        "c": {"pattern": MODEL_PATTERNS[1], "number": 2}}
    drawn = elevations(problem, result, {"s": "#0072B2"})
    # The group of five empty racks is not drawn.
    assert [el.count for el in drawn] == [2]
    slots = [slot for slot in drawn[0].slots if slot.kind == "server"]
    assert {slot.model_pattern for slot in slots} == {"diagonal", "dots"}
    assert all(slot.colour == "#0072B2" for slot in slots)
