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


NEW_FIELDS = {
    "accelerators": ["tflops_4", "matrix_flops_per_cycle", "vector_unit", "matrix_unit"],
    "server_models": ["typical_power_w", "weight_kg", "cooling", "price_source", "price_date",
                      "price_is_estimate"],
    "rack_types": ["feeds", "derating_pct", "cooling", "cooling_kw", "max_weight_kg", "source"],
    "model_classes": ["active_parameters_b", "expert_count", "experts_per_token",
                      "shared_expert_count", "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim",
                      "v_head_dim", "native_precision_bits", "vocab_size", "intermediate_size",
                      "moe_intermediate_size", "tied_embeddings", "first_dense_layers",
                      "moe_layer_step", "sliding_window_tokens", "sliding_window_layers"],
}


@pytest.mark.django_db
def test_the_round_trip_carries_every_catalog_field_with_values(seed_catalog):
    # The seed catalog sets each of them somewhere (not only defaults), so the export/import
    # round trip above exercises every one.
    frames = catalog_io.export_frames()
    for table, fields in NEW_FIELDS.items():
        model = catalog_io.TABLES[table][0].Meta.model
        for name in fields:
            assert name in frames[table].columns, (table, name)
            default = model._meta.get_field(name).get_default()
            values = [v for v in frames[table][name].dropna() if v not in (default, "")]
            assert values, (table, name)
    servers = frames["server_models"].set_index("name")
    assert servers.loc["gb200-nvl72", "price_date"] == "2024-03-26"
    assert bool(servers.loc["gb200-nvl72", "price_is_estimate"]) is True


@pytest.mark.django_db
def test_unknown_columns_are_listed_and_nothing_is_imported(editor_client, seed_catalog):
    sheet = pd.DataFrame([{
        "name": "vendor-box", "vendor": "V", "u_height": 2, "power_w": 2000,
        "accelerator": "nvidia-l4", "accelerator_count": 4, "notes": "vendor sheet",
        "SKU": "VB-2000", "Lead time": "",
    }])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet.to_excel(writer, sheet_name="server_models", index=False)
    response = upload(editor_client, "vendor.xlsx", buffer.getvalue())
    assert response.status_code == 400
    message = response.json()["errors"]["server_models[row 1]"][0]
    assert "'SKU'" in message and "'Lead time'" in message  # empty or not, each is named
    assert not ServerModel.objects.filter(name="vendor-box").exists()
    # A stacked CSV's other-table columns, empty in this table's rows, are not unknown.
    csv = (b"table,name,vendor,u_height,power_w,accelerator,accelerator_count,notes,budget_kw\n"
           b"server_models,vendor-box,V,2,2000,nvidia-l4,4,vendor sheet,\n")
    assert upload(editor_client, "ok.csv", csv).status_code == 200
