"""Run, result and compare pages (planner/pages/runs.py) through Django's test client."""


import pytest
from django.urls import reverse

from planner.models import Run, Scenario
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
