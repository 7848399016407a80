"""The home page and the seed study page (planner/pages/home.py)."""
import json

import pytest
from django.urls import reverse

from planner.bridge.study import seed_study
from planner.models import Scenario
from tests.pages.helpers import study_spec
from tests.study_cells import STUDY_SESSIONS_PER_RACK


@pytest.mark.django_db
def test_seed_study_reproduces_the_fifteen_figures(seed_catalog):
    table = seed_study()
    got = {(cell.server, cell.model): cell.sessions_per_rack for cell in table.cells}
    assert got == STUDY_SESSIONS_PER_RACK
    assert table.cell("ampereone-a192", "llama-3.2-1b").servers_per_rack == 19
    assert table.cell("ampereone-a192", "llama-3.2-1b").binding == "power"
    assert table.cell("8x-l40s", "llama-3.1-70b").servers_per_rack == 3
    assert table.cell("8x-h100-sxm", "llama-3.1-405b").servers_per_rack == 1


@pytest.mark.django_db
def test_study_follows_the_catalog_not_typed_in_figures(seed_catalog):
    from inventory.models import RackType

    RackType.objects.filter(name="std-42u").update(budget_kw=25.0)
    table = seed_study()
    # 24 kW usable: 41 AmpereOne would need 41U, so space binds at 40 servers.
    assert table.cell("ampereone-a192", "llama-3.2-1b").sessions_per_rack == 40 * 64
    assert table.cell("ampereone-a192", "llama-3.2-1b").binding == "space"
    assert table.cell("8x-h100-sxm", "llama-3.1-70b").sessions_per_rack == 3 * 8


@pytest.mark.django_db
def test_study_page_renders_chart_and_table(client, seed_catalog):
    response = client.get(reverse("planner:study"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()
    start = html.index('id="study-figure"')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    figure = json.loads(payload)
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) == {"ampereone-a192", "8x-l40s", "8x-h100-sxm"}
    assert traces["ampereone-a192"]["y"][:3] == [1216, 608, 152]
    assert traces["8x-h100-sxm"]["y"] == [56, 56, 56, 8, 1]
    assert traces["8x-l40s"]["y"][4] is None  # 405B does not fit: no bar, an n/a label
    for (server, model), sessions in STUDY_SESSIONS_PER_RACK.items():
        assert f'data-server="{server}" data-model="{model}" data-sessions="{sessions}"' in html
    # People read thousands separators; scripts read the plain figure above.
    assert "<strong>1,216</strong>" in html and "3,097 W" in html


def test_plotly_is_served_from_static(client):
    response = client.get("/static/plotly/plotly.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"plotly" in body[:2000].lower()


@pytest.mark.django_db
def test_home_links_to_the_study_and_the_capacity_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("planner:study") in html
    assert f'class="card" href="{reverse("planner:capacity")}"' in html


@pytest.mark.django_db
def test_home_lists_my_scenarios(logged_in, seed_catalog, user):
    Scenario.objects.create(name="Visible one", owner=user, spec=study_spec())
    html = logged_in.get("/").content.decode()
    assert "Visible one" in html and reverse("planner:scenario-new") in html
