"""Sweeps: value parsing and variants (pure), a sweep through Celery, progress and cancel."""

import json
import re

import pytest
from django.urls import reverse

from planner.models import Scenario, Sweep

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 2}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.2-1b"}, {"model_class": "llama-3.1-70b"}],
}


@pytest.mark.django_db(transaction=True)
def test_sweep_of_the_rack_budget(client, seed_catalog, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    scenario = Scenario.objects.create(name="Hall", owner=owner, spec=SPEC)
    response = client.post(
        reverse("planner:sweep-start", kwargs={"pk": scenario.pk}),
        {"parameter": "rack_budget_kw", "values": "11.5, 24"},
    )
    sweep = Sweep.objects.get()
    assert response["Location"] == reverse("planner:sweep", kwargs={"pk": sweep.pk})
    state = client.get(reverse("planner:sweep-status", kwargs={"pk": sweep.pk})).json()
    assert state == {"done": 4, "total": 4, "finished": True, "cancelled": False}
    html = client.get(response["Location"]).content.decode()
    match = re.search(
        r'<script id="sweep-sessions-data" type="application/json">(.*?)</script>', html, re.S
    )
    lines = {t["name"]: t for t in json.loads(match.group(1))["data"]}
    assert set(lines) == {"ampereone-a192", "8x-h100-sxm"}
    # Budget 11.5 kW less 1 kW reserved: 10.5 kW -> 18 AmpereOne (577 W) x 64 per rack, 2 racks;
    # 24 kW -> 23 kW usable -> 39 servers (power still binds before the 40 usable U).
    assert lines["ampereone-a192"]["x"] == [11.5, 24.0]
    assert lines["ampereone-a192"]["y"] == [2 * 18 * 64, 2 * 39 * 64]
    # Units as written (kW, not kw) and values as typed (11.5 and 24, not 11.500 and 24.0).
    assert "<h1>Sweep: Rack power budget (kW)</h1>" in html and "Values: 11.5, 24." in html
    assert "<td>11.5</td>" in html and "11.500" not in html
    # Sweep variants stay off the scenario's run list.
    page = client.get(reverse("planner:scenario", kwargs={"pk": scenario.pk})).content.decode()
    assert "No runs yet." in page and f"Sweep #{sweep.pk}" in page
    bad = client.post(
        reverse("planner:sweep-start", kwargs={"pk": scenario.pk}),
        {"parameter": "precision_bits", "values": "3, 5"},
    )
    assert bad.status_code == 302 and Sweep.objects.count() == 1
    # A workload parameter on a study-policy scenario: refused with what to do next.
    refused = client.post(
        reverse("planner:sweep-start", kwargs={"pk": scenario.pk}),
        {"parameter": "input_tokens", "values": "256, 4096"},
        follow=True,
    )
    assert Sweep.objects.count() == 1
    assert "calibrated capacity policy only" in refused.content.decode()
    assert "edit it to sweep this" in refused.content.decode()
