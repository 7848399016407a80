"""Catalog export and all-or-nothing import (API and `manage.py importcatalog`)."""
import io

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory import catalog_io
from inventory.models import Accelerator, PerformanceProfile, RackType, ServerModel


def catalog_state() -> dict[str, list[dict]]:
    # Missing figures come out as NaN in float columns; NaN != NaN, so compare them as None.
    return {
        table: frame.astype(object).where(frame.notna(), None).to_dict("records")
        for table, frame in catalog_io.export_frames().items()
    }


def upload(client, name: str, content: bytes, query: str = ""):
    file = io.BytesIO(content)
    file.name = name
    return client.post(f"/api/v1/import/catalog{query}", {"file": file}, format="multipart")


@pytest.fixture
def editor_client(api_client, catalog_editor):
    api_client.force_authenticate(catalog_editor)
    return api_client


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_reimports_to_the_same_catalog(api_client, catalog_editor, seed_catalog,
                                              file_format):
    before = catalog_state()
    exported = api_client.get(f"/api/v1/export/catalog.{file_format}")
    assert exported.status_code == 200
    # Wipe the catalog, then rebuild it from the file alone.
    PerformanceProfile.objects.all().delete()
    ServerModel.objects.all().delete()
    for model in (Accelerator, RackType):
        model.objects.all().delete()
    from inventory.models import ModelClass

    ModelClass.objects.all().delete()
    api_client.force_authenticate(catalog_editor)
    response = upload(api_client, f"catalog.{file_format}", exported.content)
    assert response.status_code == 200, response.json()
    assert response.json()["created"]["server_models"] == len(before["server_models"])
    assert catalog_state() == before
    again = upload(api_client, f"catalog.{file_format}", exported.content).json()
    assert again["created"] == {} and again["updated"] == {}


@pytest.mark.django_db
def test_one_bad_row_rejects_the_whole_file(editor_client, seed_catalog):
    before = catalog_state()
    csv = (
        "table,name,u_height,budget_kw,reserved_u,reserved_kw\n"
        "rack_types,new-rack,48,20,2,1\n"
        "rack_types,std-42u,42,15,2,1\n"
        "rack_types,broken,42,10,50,1\n"
        "rack_types,worse,abc,10,0,0\n"
    )
    response = upload(editor_client, "racks.csv", csv.encode())
    assert response.status_code == 400
    body = response.json()
    report = {(p["row"], p["column"]) for p in body["report"]}
    assert (4, "reserved_u") in report and (5, "u_height") in report
    assert "rack_types[row 4].reserved_u" in body["errors"]
    assert "nothing was imported" in body["detail"]
    assert catalog_state() == before
    assert not RackType.objects.filter(name="new-rack").exists()


@pytest.mark.django_db
def test_valid_file_upserts_by_name(editor_client, seed_catalog):
    csv = (
        "table,name,u_height,budget_kw,reserved_u,reserved_kw\n"
        "rack_types,new-rack,48,20,2,1\n"
        "rack_types,std-42u,42,15,2,1\n"
    )
    response = upload(editor_client, "racks.csv", csv.encode())
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == {"rack_types": 1}
    assert response.json()["updated"] == {"rack_types": 1}
    assert RackType.objects.get(name="std-42u").budget_kw == 15


@pytest.mark.django_db
def test_dry_run_changes_nothing(editor_client, seed_catalog):
    csv = "table,name,u_height,budget_kw\nrack_types,new-rack,48,20\n"
    response = upload(editor_client, "racks.csv", csv.encode(), "?dry_run=1")
    assert response.status_code == 200 and response.json()["created"] == {"rack_types": 1}
    assert not RackType.objects.filter(name="new-rack").exists()


@pytest.mark.django_db
def test_import_needs_permissions_and_a_file(api_client, user, editor_client):
    assert upload(api_client.__class__(), "x.csv", b"table\n").status_code == 401
    editor_client.force_authenticate(user)
    assert upload(editor_client, "x.csv", b"table\n").status_code == 403


@pytest.mark.django_db
def test_unreadable_files_are_400(editor_client):
    missing = editor_client.post("/api/v1/import/catalog", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    no_table = upload(editor_client, "x.csv", b"name,u_height\nx,4\n")
    assert no_table.status_code == 400 and "table" in no_table.json()["detail"]
    unknown = upload(editor_client, "x.csv", b"table,name\nspaceships,x\n")
    assert unknown.status_code == 400 and "unknown table" in unknown.json()["detail"]


@pytest.mark.django_db
def test_importcatalog_command(tmp_path, seed_catalog, capsys):
    good = tmp_path / "catalog.xlsx"
    call_command("exportcatalog", str(good))
    call_command("importcatalog", str(good))
    assert "applied" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("table,name,u_height,budget_kw,reserved_u\nrack_types,x,42,10,42\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("importcatalog", str(bad))
    assert "rack_types row 2, reserved_u:" in capsys.readouterr().err
    assert not RackType.objects.filter(name="x").exists()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("importcatalog", str(tmp_path / "missing.csv"))


def test_csv_layout_round_trips_through_pandas():
    frame = pd.DataFrame({"table": ["rack_types"], "name": ["a"], "u_height": ["42"]})
    tables = catalog_io.read_catalog_file("a.csv", frame.to_csv(index=False).encode())
    assert tables == {"rack_types": [(2, {"name": "a", "u_height": "42"})]}
