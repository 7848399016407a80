import pandas as pd
import pytest
from django.utils.html import escape

from planner.capacity import binding_limit_words
from planner.charts import BINDING_COLOURS, capacity_matrix_figure
from planner.charts.capacity import MAX_MODELS_WITH_NUMBERS, MAX_SERVERS_BELOW_THE_FOLD


def test_capacity_matrix_figure_colours_by_binding_limit_and_explains_on_hover():
    cells = pd.DataFrame(
        [
            ("s1", "m1", 12, "estimated", "memory_capacity", "why s1 m1"),
            ("s1", "m2", 0, "estimated", "does_not_fit", "why s1 m2"),
            ("s2", "m1", 1500, "measured", "measured", "why s2 m1"),
            ("s2", "m2", 7, "study rule", "partitioning_rule", "why s2 m2"),
        ],
        columns=["server", "model", "sessions", "label", "binding_limit", "explanation"],
    )
    fig = capacity_matrix_figure(cells, "title")
    heatmap = fig.data[0]
    limits = list(BINDING_COLOURS)
    assert list(heatmap.y) == ["s1", "s2"] and list(heatmap.x) == ["m1", "m2"]
    assert [list(row) for row in heatmap.z] == [
        [limits.index("memory_capacity"), limits.index("does_not_fit")],
        [limits.index("measured"), limits.index("partitioning_rule")],
    ]
    assert [list(row) for row in heatmap.text] == [["12", "0"], ["1,500", "7"]]
    assert heatmap.customdata[1][0][2] == "why s2 m1"
    assert "customdata[2]" in heatmap.hovertemplate
    assert list(heatmap.colorbar.ticktext) == [binding_limit_words(name) for name in limits]
    assert "time to first token" in heatmap.colorbar.ticktext
    assert fig.layout.title.text == "title"


def test_a_large_matrix_keeps_its_labels_where_the_reader_starts():
    servers = [f"server-{i}" for i in range(MAX_SERVERS_BELOW_THE_FOLD + 1)]
    models = [f"model-{j}" for j in range(MAX_MODELS_WITH_NUMBERS + 1)]
    cells = pd.DataFrame(
        [(s, m, 1234, "estimated", "decode_rate", "why") for s in servers for m in models],
        columns=["server", "model", "sessions", "label", "binding_limit", "explanation"],
    )
    fig = capacity_matrix_figure(cells, "title")
    heatmap = fig.data[0]
    # Cells too narrow for a legible number: none drawn, every one still in the hover.
    assert heatmap.texttemplate is None and heatmap.text[0][0] == "1,234"
    assert "%{text}" in heatmap.hovertemplate
    # Taller than a screen: model names on top, a colour key of fixed height at the top.
    assert fig.layout.xaxis.side == "top"
    assert (heatmap.colorbar.lenmode, heatmap.colorbar.yanchor) == ("pixels", "top")
    small = capacity_matrix_figure(cells[cells["server"] == "server-0"].head(3), "title")
    assert small.data[0].texttemplate == "%{text}" and small.layout.xaxis.side == "bottom"
    assert small.data[0].colorbar.lenmode is None


@pytest.mark.django_db
def test_capacity_page_shows_every_pair_labelled(client, seed_catalog):
    from inventory.models import ModelClass, ServerModel

    # The default view is the seed study's pairs (test_capacity_filter.py); `all` is every pair.
    response = client.get(
        "/capacity/", {"policy": "batched", "slo_tps": 20, "precision": 4, "all": "on"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="capacity-chart"' in html and 'id="capacity-figure"' in html
    for server in ServerModel.objects.values_list("name", flat=True):
        for model in ModelClass.objects.values_list("name", flat=True):
            assert f'data-server="{server}" data-model="{model}"' in html
    assert 'data-label="estimated"' in html
    assert "plotly/plotly.min.js" in html


@pytest.mark.django_db
def test_capacity_page_compares_the_corrected_rows(client, seed_catalog):
    # The corrections are the study rule's (MIG slices, power): ask for that policy; the page
    # itself defaults to the calibrated one.
    response = client.get("/capacity/", {"policy": "study"})
    corrections = response.context["corrections"]
    pairs = {(c.study_server, c.corrected_server) for c in corrections}
    assert pairs == {("8x-l40s", "8x-l40s-3497w"), ("8x-h100-sxm", "8x-h100-sxm-1g10gb")}
    l40s_70b = next(
        c for c in corrections
        if c.corrected_server == "8x-l40s-3497w" and c.model == "llama-3.1-70b"
    )  # fmt: skip
    # 3 servers fit either way in 11.5 kW; the corrected row uses 1.2 kW more of it.
    assert (l40s_70b.study_servers_per_rack, l40s_70b.corrected_servers_per_rack) == (3, 3)
    assert l40s_70b.study_used_kw == pytest.approx(3 * 3.097)
    assert l40s_70b.corrected_used_kw == pytest.approx(3 * 3.497)
    h100_8b = next(
        c for c in corrections
        if c.corrected_server == "8x-h100-sxm-1g10gb" and c.model == "llama-3.1-8b"
    )  # fmt: skip
    assert h100_8b.study_per_server == h100_8b.corrected_per_server == 56  # 8.03 GB fits 10 GB
    assert 'id="corrections-table"' in response.content.decode()


@pytest.mark.django_db
def test_capacity_page_bad_settings_are_form_errors(client, seed_catalog):
    response = client.get("/capacity/", {"slo_tps": "fast", "precision": 3, "policy": "magic"})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('role="alert"') == 3
    assert 'id="capacity-table"' not in html


@pytest.mark.django_db
def test_nav_links_to_the_capacity_page(client, seed_catalog):
    assert 'href="/capacity/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_capacity_page_defaults_to_calibrated_with_typical_error_and_evidence(client, seed_catalog):
    response = client.get("/capacity/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["settings"]["policy"] == "calibrated"
    assert "typical error ±" in html and "nearest evidence:" in html
    # Each estimate shows the sessions its typical error spans.
    cells = [c for row in response.context["rows"] for c in row["cells"] if c["sessions_low"]]
    spread = next(c for c in cells if c["sessions_low"] < c["sessions_high"])
    assert f"({spread['sessions_low']:,}–{spread['sessions_high']:,} sessions)" in html
    # Where memory holds the figure, the rate's error does not move it: one number.
    held = next(c for c in cells if c["sessions_low"] == c["sessions_high"])
    assert f"({held['sessions_low']:,} sessions either way)" in html
    # A figure of 0 that stays 0 either way shows no range: its explanation says what to change.
    strict = client.get("/capacity/", {"ttft_s": "0.15", "input_tokens": "4000"})
    zeros = [c for row in strict.context["rows"] for c in row["cells"] if c["sessions_high"] == 0]
    assert zeros and "(0 sessions either way)" not in strict.content.decode()
    # ... and says, in the cell, what a lone request gets and what to change.
    advised = next(c for c in zeros if c["advice"])
    assert advised["advice"].startswith("First token in") and "(target 0.15 s" in advised["advice"]
    assert escape(advised["advice"]) in strict.content.decode()
    assert "1,024 + 256 tokens per request, served by vLLM / SGLang" in html
    trt = client.get("/capacity/", {"serving_stack": "tensorrt-llm"}).content.decode()
    assert "tokens per request, served by TensorRT-LLM" in trt
    bad = client.get("/capacity/", {"serving_stack": "triton"})
    assert bad.status_code == 400 and "serving_stack" in bad.context["form"].errors


@pytest.mark.django_db
def test_capacity_page_bad_workload_is_a_form_error_beside_the_field(client, seed_catalog):
    response = client.get("/capacity/", {"output_tokens": 0, "ttft_s": -1})
    assert response.status_code == 400
    form = response.context["form"]
    assert "output_tokens" in form.errors and "ttft_s" in form.errors


@pytest.mark.django_db
def test_prefetched_measurements_pick_what_the_per_pair_query_picks(seed_catalog):
    from inventory.models import PerformanceProfile
    from planner.bridge.figures import best_measurement, measured_profiles

    measured = PerformanceProfile.objects.filter(basis="measured").select_related(
        "server_model", "model_class"
    )
    for precision in {p.precision_bits for p in measured}:
        grouped = measured_profiles(precision)
        for p in measured:
            for slo, context in ((p.slo_tps, None), (p.slo_tps / 2, 4096), (p.slo_tps * 2, 1)):
                args = (p.server_model, p.model_class, precision, slo, context)
                assert best_measurement(*args, profiles=grouped) == best_measurement(*args)


@pytest.mark.django_db
def test_capacity_page_takes_ternary_weights(client, seed_catalog):
    response = client.get("/capacity/", {"policy": "batched", "precision": "1.58"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="1.58" selected>1.58-bit (ternary)</option>' in html
    assert response.context["form"].cleaned_data["precision"] == 1.58
    bad = client.get("/capacity/", {"policy": "batched", "precision": "2.5"})
    assert bad.status_code == 400 and "precision" in bad.context["form"].errors


@pytest.mark.django_db
def test_a_model_that_does_not_fit_reads_as_words_with_no_error_band(client, seed_catalog):
    response = client.get("/capacity/", {"server": "8x-l40s", "model": "llama-3.1-405b"})
    assert response.status_code == 200
    html = response.content.decode()
    cell = html[html.index('data-server="8x-l40s" data-model="llama-3.1-405b"'):]
    cell = cell[: cell.index("</td>")]
    assert 'data-binding="does_not_fit"' in cell  # the code stays for scripts
    assert "estimated · does not fit" in cell and "≈" not in cell
    assert "typical error" not in cell


@pytest.mark.django_db
def test_an_extrapolated_gpu_says_so_in_its_cell(client, seed_catalog):
    query = {"server": ["8x-mi210", "8x-h100-sxm"], "model": "llama-3.3-70b", "slo_tps": 20}
    html = client.get("/capacity/", query).content.decode()

    def cell(server: str) -> str:
        text = html[html.index(f'data-server="{server}" data-model="llama-3.3-70b"'):]
        return text[: text.index("</td>")]

    assert "<strong>extrapolated</strong>" in cell("8x-mi210")
    assert "extrapolated" not in cell("8x-h100-sxm")


@pytest.mark.django_db
def test_capacity_csv_holds_the_pages_figures(client, seed_catalog):
    """The page's CSV link gives the same figures, one row per server × model shown, with the
    settings they were computed at; bad settings are a 400 that names the field."""
    import io

    query = {"slo_tps": "20", "input_tokens": "2048", "model": ["llama-3.1-8b", "llama-3.1-70b"]}
    page = client.get("/capacity/", query)
    assert 'id="capacity-csv"' in page.content.decode()
    assert escape(page.context["csv_url"]) in page.content.decode()
    response = client.get(page.context["csv_url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="capacity.csv"' in response["Content-Disposition"]
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    cells = [cell for row in page.context["rows"] for cell in row["cells"]]
    assert len(frame) == len(cells) == 3 * 2
    for cell, (_, row) in zip(cells, frame.iterrows(), strict=True):
        assert (row["server"], row["model"]) == (cell["server"], cell["model"])
        assert row["sessions_per_server"] == cell["sessions"]
        assert row["label"] == cell["label"] and row["binding_limit"] == cell["binding_limit"]
    assert set(frame["slo_tps"]) == {20.0} and set(frame["input_tokens"]) == {2048}
    bad = client.get("/capacity/table.csv", {"slo_tps": "-1"})
    assert bad.status_code == 400
    assert "slo_tps" in bad.content.decode()
