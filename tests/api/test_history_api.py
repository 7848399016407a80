"""Change history of catalog rows and scenarios through the API: who, when, which fields, old
and new values; a scenario's versions viewed, compared and restored; runs name the version."""
import datetime as dt
import io

import pandas as pd
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app
from config.history import backfill
from inventory import catalog_cache, catalog_io
from inventory.models import Accelerator, ServerModel
from planner.models import Run, Scenario
from planner.retention import purge_deleted_scenarios_task
from tests.api.test_scenario_spec import STUDY_SPEC
from tests.conftest import configure_celery


@pytest.fixture
def editor_client(api_client, catalog_editor):
    api_client.force_authenticate(catalog_editor)
    return api_client


@pytest.fixture
def other_client(db, django_user_model):
    client = APIClient()
    client.force_authenticate(
        django_user_model.objects.create_user("other", password="a-long-test-password")
    )
    return client


def history(client, url: str) -> list[dict]:
    response = client.get(f"{url}/history")
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- catalog ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_catalog_edit_records_who_and_the_changed_field(editor_client, api_client, seed_catalog):
    server = ServerModel.objects.get(name="8x-h100-sxm")
    url = f"/api/v1/server-models/{server.pk}"
    response = editor_client.patch(url, {"power_w": 10500}, format="json")
    assert response.status_code == 200, response.json()

    api_client.force_authenticate(None)  # anyone who reads the row reads its history
    entries = history(api_client, url)
    latest = entries[0]
    assert latest["type"] == "changed"
    assert latest["who"] == "editor"
    assert latest["changes"] == [{"field": "power_w", "old": server.power_w, "new": 10500.0}]
    assert latest["version"] == len(entries) == 2
    assert entries[1]["type"] == "created" and entries[1]["who"] is None  # the seed load


@pytest.mark.django_db
def test_catalog_create_and_unknown_row(editor_client, seed_catalog):
    body = {"name": "test-rack", "u_height": 42, "budget_kw": 12}
    response = editor_client.post("/api/v1/rack-types", body, format="json")
    assert response.status_code == 201, response.json()
    entries = history(editor_client, f"/api/v1/rack-types/{response.json()['id']}")
    assert [e["type"] for e in entries] == ["created"]
    fields = {c["field"]: c["new"] for c in entries[0]["changes"]}
    assert fields["name"] == "test-rack" and fields["budget_kw"] == 12.0
    assert editor_client.get("/api/v1/rack-types/999999/history").status_code == 404


@pytest.mark.django_db
def test_catalog_import_records_history_with_the_uploader(editor_client, seed_catalog):
    frames = catalog_io.export_frames()
    accelerators = frames["accelerators"]
    accelerators.loc[accelerators["name"] == "nvidia-h100-sxm5-80gb", "tdp_w"] = 650
    version_before = catalog_cache.cache().get(catalog_cache.VERSION_KEY)

    file = io.BytesIO(catalog_io.export_csv().encode())  # unchanged rows: no new versions
    file.name = "catalog.csv"
    assert editor_client.post("/api/v1/import/catalog", {"file": file},
                              format="multipart").status_code == 200
    h100 = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb")
    assert h100.history.count() == 1

    frames["accelerators"] = accelerators
    file = io.BytesIO(_stacked_csv(frames).encode())
    file.name = "catalog.csv"
    response = editor_client.post("/api/v1/import/catalog", {"file": file}, format="multipart")
    assert response.status_code == 200, response.json()
    latest = history(editor_client, f"/api/v1/accelerators/{h100.pk}")[0]
    assert latest["who"] == "editor"
    assert latest["changes"] == [{"field": "tdp_w", "old": 700.0, "new": 650.0}]
    # The catalog cache still moves to a new version on an import.
    assert catalog_cache.cache().get(catalog_cache.VERSION_KEY) != version_before


def _stacked_csv(frames: dict[str, pd.DataFrame]) -> str:
    """The CSV layout export_csv writes, from edited frames."""
    stacked = pd.concat(
        [frame.astype(object).assign(**{catalog_io.TABLE_COLUMN: table})
         for table, frame in frames.items()],
        ignore_index=True,
    )
    order = [catalog_io.TABLE_COLUMN] + [c for c in stacked if c != catalog_io.TABLE_COLUMN]
    return stacked[order].to_csv(index=False)


@pytest.mark.django_db
def test_loadcatalog_records_a_version_only_for_changed_rows(seed_catalog):
    h100 = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb")
    Accelerator.objects.filter(pk=h100.pk).update(tdp_w=1)  # behind history's back
    call_command("loadcatalog", stdout=io.StringIO())
    entries = list(h100.history.order_by("-history_id"))
    assert len(entries) == 2 and entries[0].tdp_w == 700.0 and entries[0].history_user is None


@pytest.mark.django_db
def test_backfill_gives_existing_rows_a_first_version(seed_catalog, editor_client):
    """The migration's data step: rows saved before history began diff against themselves."""
    Accelerator.history.all().delete()
    backfill(apps, "inventory", ["Accelerator"])
    h100 = Accelerator.objects.get(name="nvidia-h100-sxm5-80gb")
    assert h100.history.get().history_change_reason == "History begins"
    editor_client.patch(f"/api/v1/accelerators/{h100.pk}", {"tdp_w": 710}, format="json")
    latest = history(editor_client, f"/api/v1/accelerators/{h100.pk}")[0]
    assert latest["changes"] == [{"field": "tdp_w", "old": 700.0, "new": 710.0}]


# --- scenarios -------------------------------------------------------------------------------

@pytest.fixture
def scenario_url(user_client, seed_catalog):
    response = user_client.post(
        "/api/v1/scenarios", {"name": "hall", "spec": STUDY_SPEC}, format="json"
    )
    assert response.status_code == 201, response.json()
    return f"/api/v1/scenarios/{response.json()['id']}"


def edit(client, url: str, **changes) -> dict:
    response = client.patch(url, changes, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db
def test_scenario_history_names_changed_spec_paths(user_client, scenario_url):
    spec = {**STUDY_SPEC, "rack_types": [{"rack_type": "std-42u", "count": 5}], "slo_tps": 20}
    edit(user_client, scenario_url, spec=spec, description="five racks")
    entries = history(user_client, scenario_url)
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert [e["version"] for e in entries] == [2, 1]
    changes = {c["field"]: (c["old"], c["new"]) for c in entries[0]["changes"]}
    assert changes["spec.rack_types[0].count"] == (2, 5)
    assert changes["description"] == ("", "five racks")
    assert changes["spec.slo_tps"][1] == 20
    assert "share_token" not in changes and "updated_at" not in changes
    assert entries[0]["who"] == "planner"


@pytest.mark.django_db
def test_view_compare_and_restore_a_version(user_client, scenario_url):
    edit(user_client, scenario_url, name="bigger",
         spec={**STUDY_SPEC, "rack_types": [{"rack_type": "std-42u", "count": 7}]})

    first = user_client.get(f"{scenario_url}/history/1").json()
    assert first["name"] == "hall" and first["spec"]["rack_types"][0]["count"] == 2
    differences = {d["field"]: (d["old"], d["new"]) for d in first["differences"]}
    assert differences == {"name": ("hall", "bigger"), "spec.rack_types[0].count": (2, 7)}

    restored = user_client.post(f"{scenario_url}/history/1/restore")
    assert restored.status_code == 200, restored.json()
    assert restored.json()["name"] == "hall"
    assert restored.json()["spec"]["rack_types"][0]["count"] == 2
    entries = history(user_client, scenario_url)
    assert entries[0]["version"] == 3 and entries[0]["reason"] == "Restored version 1"
    assert user_client.get(f"{scenario_url}/history/1").json()["differences"] == []
    # The version it replaced is still there.
    assert user_client.get(f"{scenario_url}/history/2").json()["name"] == "bigger"
    assert user_client.get(f"{scenario_url}/history/9").status_code == 404
    assert user_client.post(f"{scenario_url}/history/9/restore").status_code == 404


@pytest.mark.django_db
def test_restoring_a_version_the_catalog_no_longer_builds_is_a_400(
    user_client, scenario_url, catalog_editor
):
    edit(user_client, scenario_url,
         spec={**STUDY_SPEC, "servers": [{"server_model": "ampereone-a192"}]})
    # The H100 server of version 1 leaves the catalog (no saved spec names it now).
    ServerModel.objects.get(name="8x-h100-sxm").delete()
    response = user_client.post(f"{scenario_url}/history/1/restore")
    assert response.status_code == 400
    assert "spec.servers[1].server_model" in response.json()["errors"]
    assert len(history(user_client, scenario_url)) == 2  # nothing changed


@pytest.mark.django_db
def test_history_is_the_owners(other_client, scenario_url):
    for path in ("/history", "/history/1"):
        assert other_client.get(f"{scenario_url}{path}").status_code == 404
    assert other_client.post(f"{scenario_url}/history/1/restore").status_code == 404
    assert other_client.post(f"{scenario_url}/restore").status_code == 404


@pytest.mark.django_db
def test_run_links_the_version_it_solved(user_client, scenario_url,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = user_client.post(f"{scenario_url}/runs").json()
    edit(user_client, scenario_url, description="later")
    with django_capture_on_commit_callbacks(execute=True):
        second = user_client.post(f"{scenario_url}/runs").json()
    assert first["scenario_version"]["version"] == 1
    assert first["scenario_version"]["saved_by"] == "planner"
    assert first["scenario_version"]["url"].endswith(f"{scenario_url}/history/1")
    assert second["scenario_version"]["version"] == 2
    again = user_client.get(f"/api/v1/runs/{first['id']}").json()
    assert again["scenario_version"]["version"] == 1  # editing does not move it

    # A run queued before history was kept says nothing about a version.
    Run.objects.filter(pk=first["id"]).update(scenario_version=None)
    assert user_client.get(f"/api/v1/runs/{first['id']}").json()["scenario_version"] is None


@pytest.mark.django_db
def test_shared_runs_do_not_name_who_saved(user_client, api_client, scenario_url,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(f"{scenario_url}/runs")
    token = user_client.get(scenario_url).json()["share_token"]
    api_client.force_authenticate(None)
    run = api_client.get(f"/api/v1/shared/{token}/runs").json()["results"][0]
    assert run["scenario_version"]["version"] == 1
    assert run["scenario_version"]["saved_by"] is None


# --- soft delete -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_delete_is_soft_and_the_owner_restores(user_client, other_client, scenario_url,
                                               api_client):
    scenario = Scenario.objects.get(pk=int(scenario_url.rsplit("/", 1)[1]))
    token = scenario.share_token
    assert user_client.delete(scenario_url).status_code == 204

    assert user_client.get(scenario_url).status_code == 404
    assert user_client.get(f"{scenario_url}/history").status_code == 404
    assert user_client.post(f"{scenario_url}/runs").status_code == 404
    assert user_client.get("/api/v1/scenarios").json()["results"] == []
    assert api_client.get(f"/api/v1/shared/{token}").status_code in (401, 404)
    deleted = user_client.get("/api/v1/scenarios/deleted").json()
    assert [s["name"] for s in deleted["results"]] == ["hall"]
    gone = deleted["results"][0]
    deleted_at = dt.datetime.fromisoformat(gone["deleted_at"])
    assert dt.datetime.fromisoformat(gone["purge_after"]) - deleted_at == dt.timedelta(days=30)
    assert other_client.get("/api/v1/scenarios/deleted").json()["results"] == []
    assert other_client.post(f"{scenario_url}/restore").status_code == 404

    response = user_client.post(f"{scenario_url}/restore")
    assert response.status_code == 200 and response.json()["name"] == "hall"
    assert response.json()["deleted_at"] is None and response.json()["purge_after"] is None
    assert user_client.get(scenario_url).status_code == 200
    assert [e["type"] for e in history(user_client, scenario_url)] == [
        "restored", "deleted", "created"
    ]
    # Restoring what is not deleted is a 404, like any scenario the caller cannot restore.
    assert user_client.post(f"{scenario_url}/restore").status_code == 404


@pytest.mark.django_db
def test_deleting_cancels_unfinished_runs(user_client, scenario_url, settings):

    configure_celery(app, task_always_eager=False)
    settings.CELERY_BROKER_URL = "memory://"
    try:
        run = user_client.post(f"{scenario_url}/runs").json()
    finally:
        configure_celery(app, task_always_eager=True)
    assert Run.objects.get(pk=run["id"]).status == Run.Status.QUEUED
    user_client.delete(scenario_url)
    assert Run.objects.get(pk=run["id"]).status == Run.Status.CANCELLED
    assert user_client.get(f"/api/v1/runs/{run['id']}").status_code == 404


@pytest.mark.django_db
def test_purge_removes_scenarios_past_retention(user, settings):
    settings.SCENARIO_RETENTION_DAYS = 30
    now = timezone.now()
    old = Scenario.objects.create(name="old", owner=user, spec=STUDY_SPEC,
                                  deleted_at=now - dt.timedelta(days=31))
    recent = Scenario.objects.create(name="recent", owner=user, spec=STUDY_SPEC,
                                     deleted_at=now - dt.timedelta(days=29))
    live = Scenario.objects.create(name="live", owner=user, spec=STUDY_SPEC)
    out = io.StringIO()
    call_command("purge_deleted_scenarios", "--dry-run", stdout=out)
    assert f"would purge 1 deleted scenario(s) [{old.pk}]" in out.getvalue()
    assert Scenario.all_objects.filter(pk=old.pk).exists()

    assert purge_deleted_scenarios_task.delay().get() == [old.pk]
    assert not Scenario.all_objects.filter(pk=old.pk).exists()
    assert not Scenario.history.filter(id=old.pk).exists()
    assert Scenario.all_objects.filter(pk__in=[recent.pk, live.pk]).count() == 2
    out = io.StringIO()
    call_command("purge_deleted_scenarios", "--days", "0", stdout=out)
    assert f"purged 1 deleted scenario(s) [{recent.pk}]" in out.getvalue()


@pytest.mark.django_db
def test_purge_command_refuses_a_negative_period():
    with pytest.raises(CommandError, match="--days"):
        call_command("purge_deleted_scenarios", "--days", "-1")


def test_beat_schedules_the_purge(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-deleted-scenarios"]
    assert entry["task"] == "planner.retention.purge_deleted_scenarios_task"
