"""Exports a buyer uses: accelerators per SKU, the settings, rack-by-rack placement; a zip of
tidy CSV files, XLSX with one sheet per table and frozen headers; thousands separators."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from planner.models import Scenario
from planner.reports.bom import build_bom, placement
from planner.runs.queueing import queue_run
from tests.pages.helpers import study_spec


def test_placement_stacks_servers_from_the_bottom():
    problem = {"servers": [{"name": "gpu", "u": 8}, {"name": "cpu", "u": 1}]}
    result = {
        "racks": [
            {"rack_type": "r", "count": 2, "used_u": 10, "used_kw": 0.12, "free_u": 30,
             "free_kw": 1, "servers": [
                {"server": "gpu", "model": "big", "count": 1, "sessions": 8},
                {"server": "cpu", "model": "small", "count": 2, "sessions": 32}]},
            {"rack_type": "r", "count": 3, "used_u": 0, "used_kw": 0, "free_u": 40,
             "free_kw": 1, "servers": []},
        ]
    }
    rows = placement(problem, result)
    assert [(r["rack_index"], r["server"], r["u_bottom"], r["u_top"], r["sessions"])
            for r in rows] == [
        (1, "gpu", 1, 8, 8), (1, "cpu", 9, 9, 16), (1, "cpu", 10, 10, 16),
        (2, "gpu", 1, 8, 8), (2, "cpu", 9, 9, 16), (2, "cpu", 10, 10, 16),
    ]
    full = {
        "rack_types": [{"name": "r", "u": 42, "power_kw": 2, "reserved_u": 2, "count": 5}],
        "servers": [
            {"name": "gpu", "u": 8, "power_w": 100, "sessions": {"big": 8},
             "x-accelerator": {"name": "h100", "count": 8}},
            {"name": "cpu", "u": 1, "power_w": 10, "sessions": {"small": 16}},
        ],
    }
    bom = build_bom(full, result, {"SLO": "≥ 10 tokens/s"})
    gpu = next(row for row in bom["servers"] if row["server"] == "gpu")
    assert (gpu["accelerators_each"], gpu["accelerators"]) == (8, 16)
    assert bom["totals"]["accelerators_by_type"] == {"h100": 16}
    assert bom["settings"] == [{"setting": "SLO", "value": "≥ 10 tokens/s"}]


@pytest.mark.django_db(transaction=True)
def test_zip_xlsx_and_page(client, seed_catalog, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="a-long-test-password")
    client.force_login(owner)
    run = queue_run(Scenario.objects.create(name="S", owner=owner, spec=study_spec(3)))
    run.refresh_from_db()
    body = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "zip"})).content
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert set(archive.namelist()) == {
        "servers.csv", "rack_groups.csv", "totals.csv", "tco.csv", "placement.csv", "settings.csv"
    }
    servers = list(csv.DictReader(io.StringIO(archive.read("servers.csv").decode())))
    from inventory.models import ServerModel

    assert servers
    for row in servers:
        catalog = ServerModel.objects.get(name=row["server"])
        assert row["accelerator"] == catalog.accelerator.name
        assert int(row["accelerators"]) == catalog.accelerator_count * int(row["count"])
    placed = list(csv.DictReader(io.StringIO(archive.read("placement.csv").decode())))
    assert len(placed) == run.result["totals"]["servers"]
    settings = archive.read("settings.csv").decode()
    assert "SLO (tokens/s per session)" in settings and "Weight precision" in settings
    # The single CSV keeps working.
    single = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "csv"}))
    assert single.content.decode().startswith("section,server,count")
    xlsx = client.get(reverse("planner:run-bom", kwargs={"pk": run.pk, "fmt": "xlsx"})).content
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["servers", "rack_groups", "totals", "tco", "placement", "settings"]
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    # The API's BOM carries the same (new fields only).
    api = client.get(f"/api/v1/runs/{run.pk}/bom").json()
    assert api["placement"] and api["settings"] and "accelerators" in api["servers"][0]
    html = client.get(reverse("planner:run", kwargs={"pk": run.pk})).content.decode()
    assert f"× {servers[0]['accelerator']}" in html and "bom.zip" in html


@pytest.mark.django_db
def test_prices_print_with_thousands_separators(client, seed_catalog, user):
    from inventory.models import ServerModel

    ServerModel.objects.filter(name="8x-h100-sxm").update(price_usd=10500000)
    client.force_login(user)
    html = client.get(reverse("planner:scenario-new")).content.decode()
    assert "$10,500,000" in html and "$10500000" not in html
