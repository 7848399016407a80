"""Run, result and compare pages (planner/pages/runs.py) through Django's test client."""


import json
import re

import pytest
from django.urls import reverse

from planner.models import Run, Scenario
from planner.reports.tco import compute_tco
from tests.pages.helpers import embedded_json, study_spec


@pytest.mark.django_db(transaction=True)
def test_solved_run_status_and_bom(client, seed_catalog, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="S", owner=owner, spec=study_spec(3))
    run = queue_run(scenario)  # no transaction: the eager task runs at once
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    status = client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).json()
    assert status["finished"] is True and status["status"] == "succeeded"
    assert status["progress"]["phase"] == "done"
    body = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "csv"}))
    lines = body.content.decode().strip().splitlines()
    assert lines[0].startswith("section,server,count")
    placed = run.result["totals"]["by_server"]
    for name, count in placed.items():
        if count:
            assert any(line.startswith(f"servers,{name},{count},") for line in lines)
    xlsx = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "xlsx"}))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.logout()
    assert client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_result_shows_the_sessions_the_estimates_typical_errors_span(
    client, seed_catalog, django_user_model
):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    spec = {**study_spec(3), "capacity_policy": "calibrated"}
    scenario = Scenario.objects.create(name="S", owner=owner, spec=spec)
    run = queue_run(scenario)
    run.refresh_from_db()
    figures = run.problem["x-capacity"]["figures"]
    h100 = figures["8x-h100-sxm"]["llama-3.1-70b"]
    # Memory holds the 70B figure up (the high end is the same); a slower rate brings it down.
    assert h100["sessions_low"] < h100["sessions"] <= h100["sessions_high"]
    response = client.get(reverse("planner:run", kwargs={"pk": run.pk}))
    summary = response.context["summary"]
    assert summary.sessions_low < summary.sessions <= summary.sessions_high
    html = response.content.decode()
    assert (
        f"{summary.sessions_low:,}–{summary.sessions_high:,} if every estimate is its typical "
        "error off"
    ) in html
    # The study rule's figures are not estimates: no range.
    study = queue_run(Scenario.objects.create(name="T", owner=owner, spec=study_spec(3)))
    html = client.get(reverse("planner:run", kwargs={"pk": study.pk})).content.decode()
    assert "if every estimate is its typical error off" not in html
    # Side by side: the calibrated run shows its range under its sessions, the study run none.
    compare = client.get(f"{reverse('planner:compare')}?runs={run.pk},{study.pk}")
    ranges = re.findall(r"<div[^>]*data-sessions-range>([^<]*)</div>", compare.content.decode())
    assert ranges == [f"{summary.sessions_low:,}–{summary.sessions_high:,}"]


@pytest.mark.django_db(transaction=True)
def test_compare_two_runs(client, seed_catalog, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    one = queue_run(Scenario.objects.create(name="One", owner=owner, spec=study_spec(1)))
    two = queue_run(Scenario.objects.create(name="Two", owner=owner, spec=study_spec(2)))
    html = client.get(f"{reverse('planner:compare')}?runs={one.pk},{two.pk}").content.decode()
    sessions = embedded_json(html, "compare-sessions-data")
    assert len(sessions["data"]) == 2
    one.refresh_from_db()
    two.refresh_from_db()
    totals = [sum(trace["y"]) for trace in sessions["data"]]
    assert totals == [one.result["totals"]["sessions"], two.result["totals"]["sessions"]]
    per_kw = embedded_json(html, "compare-per-kw-data")["data"][0]["y"]
    assert per_kw[0] == pytest.approx(
        one.result["totals"]["sessions"] / one.result["totals"]["power_kw"], rel=1e-3
    )
    too_many = client.get(f"{reverse('planner:compare')}?runs=" + ",".join(map(str, range(1, 40))))
    assert "Compare at most 6 runs." in too_many.content.decode()
    # Someone who may not see the runs gets no comparison.
    client.logout()
    html = client.get(f"{reverse('planner:compare')}?runs={one.pk},{two.pk}").content.decode()
    assert "compare-sessions-data" not in html
    assert client.get(f"{reverse('planner:compare')}?runs=a,b").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_failed_run_shows_the_reason(client, seed_catalog, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    # Least cost needs server prices; the seed catalog has none, so the solver refuses.
    spec = {**study_spec(), "objective": "min_cost"}
    run = queue_run(Scenario.objects.create(name="No prices", owner=owner, spec=spec))
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    status = client.get(reverse("planner:run-status", kwargs={"pk": run.pk})).json()
    assert status["finished"] and "cost_usd" in status["error"]
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert "No layout:" in html and "cost_usd" in html


def priced_problem(price: float) -> dict:
    from planner.solver.examples import STUDY_RACK_PROBLEM

    problem = json.loads(json.dumps(STUDY_RACK_PROBLEM))
    problem["servers"][0]["cost_usd"] = price
    problem["tco"] = {"electricity_usd_per_kwh": 0.1, "pue": 1.5, "utilisation": 0.5}
    return problem


@pytest.mark.django_db(transaction=True)
def test_result_page_shows_tco_tiles_breakdown_and_per_model_costs(client, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    run = queue_run(Scenario.objects.create(name="P", owner=owner, problem=priced_problem(10000)))
    run.refresh_from_db()
    tco = compute_tco(run.problem, run.result)["total"]
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert f'data-tco="capex">${tco["capex_usd"]:,.0f}<' in html  # $190,000: 19 servers
    assert f'data-tco="tco">${tco["tco_usd"]:,.0f}<' in html
    assert f'data-tco="per-million">${tco["usd_per_million_tokens"]:.4f}<' in html
    assert "PUE 1.5" in html and "50.0% utilisation" in html
    figure = embedded_json(html, f"run-{run.pk}-tco-data")
    assert [trace["name"] for trace in figure["data"]][0] == "Servers"
    assert figure["layout"]["yaxis"]["title"]["text"] == "USD over 3 years"
    assert sum(trace["y"][0] for trace in figure["data"]) == pytest.approx(tco["tco_usd"])
    assert 'data-model="llama-3.2-1b"' in html.split('id="tco-by-model"')[1]


@pytest.mark.django_db(transaction=True)
def test_result_page_without_prices_says_which_server_has_none(client, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    problem = priced_problem(10000)
    problem["servers"][0]["cost_usd"] = None
    run = queue_run(Scenario.objects.create(name="P", owner=owner, problem=problem))
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert 'data-tco="tco">n/a<' in html
    assert "No price for ampereone-a192" in html
    assert f"run-{run.pk}-tco-data" not in html


@pytest.mark.django_db(transaction=True)
def test_compare_shows_cost_per_million_tokens_side_by_side(client, django_user_model):
    from planner.runs.queueing import queue_run

    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    cheap = queue_run(Scenario.objects.create(name="Cheap", owner=owner,
                                              problem=priced_problem(5000)))
    dear = queue_run(Scenario.objects.create(name="Dear", owner=owner,
                                             problem=priced_problem(20000)))
    html = client.get(f"{reverse('planner:compare')}?runs={cheap.pk},{dear.pk}").content.decode()
    per_million = embedded_json(html, "compare-per-m-tokens-data")["data"][0]
    assert per_million["y"][0] < per_million["y"][1]
    assert per_million["text"][0].startswith("$")
    assert embedded_json(html, "compare-per-m-tokens-data")["layout"]["yaxis"]["tickprefix"] == "$"
    table = html.split('id="compare-per-million"')[1].split("</table>")[0]
    assert table.count("<tr data-run=") == 2 and "$0." in table
