"""The capacity page's filter: which servers × models are computed, bad values beside their
field, the empty state and the default view."""
import re

import pytest

from inventory.models import ModelClass, ServerModel
from inventory.seed import seed_data

# The study policy is the cheapest to compute; the filter does not depend on the policy.
STUDY = {"policy": "study"}


def shown(response) -> tuple[list[str], list[str]]:
    """(server names, model names) of the matrix, in display order."""
    rows = response.context["rows"]
    return [r["server"].name for r in rows], [m.name for m in response.context["models"]]


def cell_pairs(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'data-server="([^"]+)" data-model="([^"]+)"', html))


@pytest.mark.django_db
def test_default_is_the_seed_studys_servers_and_models_and_says_how_to_widen(
    client, seed_catalog
):
    response = client.get("/capacity/")
    assert response.status_code == 200
    study = seed_data()["study"]
    servers, models = shown(response)
    assert set(servers) == set(study["server_models"])
    assert set(models) == set(study["model_classes"])
    html = response.content.decode()
    assert cell_pairs(html) == {(s, m) for s in servers for m in models}
    total_servers, total_models = ServerModel.objects.count(), ModelClass.objects.count()
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.split('id="filter-summary">')[1]))
    assert f"Showing 3 of {total_servers} servers × 5 of {total_models} models" in summary
    assert "widen the filter" in summary
    assert f"slow: {total_servers * total_models:,} figures" in summary
    assert 'id="show-all"' in html and "all=on" in html


@pytest.mark.django_db
def test_all_computes_every_pair_and_the_figure_has_them_all(client, seed_catalog):
    response = client.get("/capacity/", {**STUDY, "all": "on"})
    servers, models = shown(response)
    assert len(servers) == ServerModel.objects.count()
    assert len(models) == ModelClass.objects.count()
    assert len(response.context["figure"]["data"][0]["z"]) == len(servers)
    assert "widen the filter" not in response.content.decode()


@pytest.mark.django_db
def test_kind_filter_keeps_only_that_kind_and_leaves_models_at_the_default(
    client, seed_catalog
):
    response = client.get("/capacity/", {**STUDY, "kind": "cpu"})
    servers, models = shown(response)
    cpu = set(
        ServerModel.objects.filter(accelerator__kind="cpu").values_list("name", flat=True)
    )
    assert servers and set(servers) == cpu
    assert set(models) == set(seed_data()["study"]["model_classes"])


@pytest.mark.django_db
def test_vendor_and_accelerator_filters(client, seed_catalog):
    servers, _ = shown(client.get("/capacity/", {**STUDY, "vendor": "AMD"}))
    amd = set(
        ServerModel.objects.filter(accelerator__vendor="AMD").values_list("name", flat=True)
    )
    assert servers and set(servers) == amd
    servers, _ = shown(
        client.get("/capacity/", {**STUDY, "accelerator": ["nvidia-l4", "intel-gaudi3"]})
    )
    assert set(servers) == set(
        ServerModel.objects.filter(
            accelerator__name__in=["nvidia-l4", "intel-gaudi3"]
        ).values_list("name", flat=True)
    )
    assert len(servers) == 8  # four L4 boards and four Gaudi 3 boards


@pytest.mark.django_db
def test_accelerators_per_server_filter_and_rack_scale(client, seed_catalog):
    servers, _ = shown(client.get("/capacity/", {**STUDY, "per_server": "rack"}))
    assert set(servers) == {"gb200-nvl72", "gb300-nvl72"}
    servers, _ = shown(client.get("/capacity/", {**STUDY, "per_server": ["1", "rack"]}))
    counts = set(ServerModel.objects.filter(name__in=servers).values_list(
        "accelerator_count", flat=True))  # fmt: skip
    assert counts == {1, 72}
    assert len(servers) == ServerModel.objects.filter(accelerator_count__in=[1, 72]).count()


@pytest.mark.django_db
def test_criteria_narrow_together(client, seed_catalog):
    servers, _ = shown(
        client.get("/capacity/", {**STUDY, "vendor": "NVIDIA", "per_server": "8", "kind": "gpu"})
    )
    expected = ServerModel.objects.filter(
        accelerator__vendor="NVIDIA", accelerator_count=8, accelerator__kind="gpu"
    )
    assert servers and set(servers) == set(expected.values_list("name", flat=True))


@pytest.mark.django_db
def test_explicit_servers_and_models_and_the_url_reproduces_the_view(client, seed_catalog):
    query = {**STUDY, "server": ["8x-b200", "1x-l4"], "model": ["qwen3-8b", "phi-4"]}
    response = client.get("/capacity/", query)
    servers, models = shown(response)
    assert servers == ["8x-b200", "1x-l4"]  # catalog order
    assert models == ["qwen3-8b", "phi-4"]  # smallest first
    html = response.content.decode()
    assert cell_pairs(html) == {(s, m) for s in servers for m in models}
    # The form shows what was chosen, so submitting it again gives the same view.
    assert '<option value="8x-b200" selected>' in html
    assert re.search(r'<option value="phi-4" selected>', html)
    assert "Back to the default view" in html


@pytest.mark.django_db
def test_model_size_range(client, seed_catalog):
    _, models = shown(client.get("/capacity/", {**STUDY, "min_params_b": 30, "max_params_b": 75}))
    expected = ModelClass.objects.filter(parameters_b__gte=30, parameters_b__lte=75)
    assert models and set(models) == set(expected.values_list("name", flat=True))
    _, models = shown(client.get("/capacity/", {**STUDY, "max_params_b": 1}))
    assert set(models) == {
        "smollm2-135m", "smollm2-360m", "qwen2.5-0.5b", "qwen3-0.6b", "gemma-3-1b"
    }


@pytest.mark.django_db
def test_corrections_follow_the_filter(client, seed_catalog):
    response = client.get("/capacity/", {**STUDY, "server": "8x-l40s", "model": "llama-3.1-70b"})
    fixes = response.context["corrections"]
    assert [(c.corrected_server, c.model) for c in fixes] == [("8x-l40s-3497w", "llama-3.1-70b")]
    response = client.get("/capacity/", {**STUDY, "kind": "cpu"})
    assert response.context["corrections"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [
        ({"kind": "tpu"}, "kind"),
        ({"vendor": "Acme"}, "vendor"),
        ({"accelerator": "nvidia-z9000"}, "accelerator"),
        ({"per_server": "3"}, "per_server"),
        ({"server": ["8x-b200", "no-such-server"]}, "server"),
        ({"model": "gpt-9"}, "model"),
        ({"min_params_b": "big"}, "min_params_b"),
        ({"max_params_b": -1}, "max_params_b"),
        ({"min_params_b": 70, "max_params_b": 8}, "max_params_b"),
    ],
)
def test_bad_filter_values_are_400_with_the_error_beside_the_field(
    client, seed_catalog, query, field
):
    response = client.get("/capacity/", query)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    html = response.content.decode()
    # The one alert sits in the field's own block, after its input.
    block = html.split(f'class="setting setting-{field}"')[1].split('class="setting')[0]
    assert 'role="alert"' in block and html.count('role="alert"') == 1
    assert 'id="capacity-table"' not in html and 'id="filter-summary"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, what",
    [
        ({"kind": "cpu", "per_server": "8"}, "No server matches"),
        ({"min_params_b": 2000}, "No model matches"),
    ],
)
def test_empty_state_says_nothing_matches_and_links_to_clear_the_filter(
    client, seed_catalog, query, what
):
    response = client.get("/capacity/", {"policy": "batched", "slo_tps": 20, **query})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="capacity-table"' not in html and 'id="capacity-empty"' in html
    empty = html.split('id="capacity-empty"')[1].split("</div>")[0]
    assert what in empty
    link = re.search(r'<a href="\?([^"]*)">clear the filter</a>', empty)
    assert link, empty
    # Clearing keeps the settings and drops every filter criterion.
    cleared = client.get("/capacity/?" + link.group(1).replace("&amp;", "&"))
    assert cleared.status_code == 200
    assert cleared.context["settings"]["policy"] == "batched"
    assert cleared.context["settings"]["slo_tps"] == 20
    assert len(cleared.context["rows"]) == len(seed_data()["study"]["server_models"])
