"""A sweep's table of variants: value, server option, status, figures, links; CSV; several
server options at once; infeasible variants marked."""

import csv
import io

import pytest
from django.urls import reverse

from planner.models import Scenario
from planner.runs.sweeps import TOGETHER, start_sweep, variant_specs
from tests.pages.helpers import embedded_json

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.1-8b", "min": 300}],
}


def test_server_options_each_together_both():
    assert [v.server for v in variant_specs(SPEC, "slo_tps", [10], "together")] == [TOGETHER]
    both = variant_specs(SPEC, "slo_tps", [10], "both")
    assert [v.server for v in both] == ["ampereone-a192", "8x-h100-sxm", TOGETHER]
    assert both[2].spec["servers"] == SPEC["servers"]


@pytest.mark.django_db(transaction=True)
def test_sweep_table_links_runs_and_marks_infeasible(client, seed_catalog, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="Sweep me", owner=owner, spec=SPEC)
    sweep = start_sweep(scenario, "rack_count", [1, 4], "both")
    html = client.get(reverse("planner:sweep", kwargs={"pk": sweep.pk})).content.decode()
    table = html.split('id="sweep-table"')[1].split("</table>")[0]
    assert table.count("<tr data-run=") == 6
    for variant in sweep.variants:
        assert reverse("planner:run", kwargs={"pk": variant["run"]}) in table
    # 300 sessions of Llama 3.1 8B do not fit one rack of AmpereOne alone: marked infeasible.
    assert 'data-status="infeasible"' in table and 'data-status="succeeded"' in table
    figure = embedded_json(html, "sweep-sessions-data")
    names = [trace["name"] for trace in figure["data"]]
    assert TOGETHER in names and "infeasible (no layout)" in names
    body = client.get(reverse("planner:sweep-csv", kwargs={"pk": sweep.pk})).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 6 and set(rows[0]) >= {"value", "server_option", "status", "sessions",
                                                "sessions_per_kw", "capex_usd", "run"}
    assert {row["status"] for row in rows} >= {"infeasible", "succeeded"}
    # Each variant's run says what it varied.
    run_page = client.get(reverse("planner:run", kwargs={"pk": sweep.variants[0]["run"]}))
    assert f"sweep #{sweep.pk}: Number of racks = 1" in run_page.content.decode()
