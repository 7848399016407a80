"""Catalog pages (inventory/views.py): list, add, edit, variant and delete with the API's
permissions, validation and in-use refusals."""
import pytest
from django.urls import reverse

from inventory.models import RackType, ServerModel
from planner.models import Scenario

PASSWORD = "a-long-test-password"
RACK = {
    "name": "hall-b-20kw", "u_height": 42, "budget_kw": 20, "reserved_u": 2, "reserved_kw": 1,
    "feeds": "2N", "derating_pct": 80, "cooling": "air", "cooling_kw": "", "max_weight_kg": "",
    "source": "Hall B design sheet",
}


def form_data(row, form_class) -> dict:
    """The edit form's own initial values as POST data (what a browser would send back)."""
    form = form_class(instance=row)
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data


@pytest.fixture
def editor_client(client, catalog_editor):
    client.force_login(catalog_editor)
    return client


@pytest.mark.django_db
def test_lists_are_public_and_label_estimates(client, seed_catalog):
    index = client.get(reverse("inventory:index"))
    assert index.status_code == 200 and b"Server models" in index.content
    servers = client.get(reverse("inventory:list", args=["servers"]))
    assert servers.status_code == 200
    text = servers.content.decode()
    assert "gb200-nvl72" in text and '<span class="badge">estimate</span>' in text
    assert "Save a variant" not in text  # anonymous: no write actions
    for slug in ("accelerators", "rack-types", "models"):
        assert client.get(reverse("inventory:list", args=[slug])).status_code == 200
    # Figures group thousands, as everywhere a planner reads them.
    accelerators = client.get(reverse("inventory:list", args=["accelerators"])).content.decode()
    assert "192 GB · 5,300 GB/s" in accelerators and "1,307 / 2,615 / –" in accelerators
    # The link tensor parallelism runs over, as the estimate reads it.
    assert "537.6 GB/s per direction" in accelerators  # MI355X Infinity Fabric
    assert "PCIe Gen5 (assumed)" in accelerators  # RTX PRO 6000: no NVLink figure
    racks = client.get(reverse("inventory:list", args=["rack-types"])).content.decode()
    assert "1,361 kg" in racks
    # How each model attends, as its KV cache follows it.
    models = client.get(reverse("inventory:list", args=["models"])).content.decode()
    assert "latent (rank 512)" in models  # DeepSeek-V3's compressed KV
    assert "18 of 36 layers local (128 tokens), the others full" in models  # gpt-oss-120b
    assert client.get("/catalog/nope/").status_code == 404


@pytest.mark.django_db
def test_writing_needs_login_and_the_permission(client, user, seed_catalog):
    url = reverse("inventory:add", args=["rack-types"])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(user)  # logged in, no inventory permission
    assert client.get(url).status_code == 403
    assert client.post(url, RACK).status_code == 403
    assert not RackType.objects.filter(name=RACK["name"]).exists()


@pytest.mark.django_db
def test_add_creates_a_row_the_api_would_accept(editor_client, seed_catalog):
    response = editor_client.post(reverse("inventory:add", args=["rack-types"]), RACK)
    assert response.status_code == 302
    rack = RackType.objects.get(name=RACK["name"])
    assert rack.usable_kw == pytest.approx(7.0)  # 20 x 1/2 x 80 % - 1


@pytest.mark.django_db
def test_add_refuses_what_the_api_refuses_beside_the_field(editor_client, user_client,
                                                           catalog_editor, seed_catalog):
    bad = {**RACK, "reserved_kw": 9}  # above the 8 kW left after 2N and derating
    page = editor_client.post(reverse("inventory:add", args=["rack-types"]), bad)
    assert page.status_code == 400
    assert 'id="id_reserved_kw-error"' in page.content.decode()
    user_client.force_authenticate(catalog_editor)
    api = user_client.post("/api/v1/rack-types", {**bad, "cooling_kw": None,
                                                  "max_weight_kg": None}, format="json")
    assert api.status_code == 400 and "reserved_kw" in api.json()["errors"]
    control = editor_client.post(reverse("inventory:add", args=["rack-types"]),
                                 {**RACK, "source": "bad\x01text"})
    assert control.status_code == 400 and b"control characters" in control.content


@pytest.mark.django_db
def test_variant_starts_from_the_row_and_saves_a_new_one(editor_client, seed_catalog):
    source = ServerModel.objects.get(name="dgx-b200")
    url = reverse("inventory:variant", args=["servers", source.pk])
    page = editor_client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["name"] == "dgx-b200-variant" and form.initial["power_w"] == 14300
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(price_usd="450000", price_is_estimate="on", price_date="2026-11-30",
                price_source="Our negotiated quote, November 2026")
    data = {k: v for k, v in data.items() if v is not False}
    assert editor_client.post(url, data).status_code == 302
    variant = ServerModel.objects.get(name="dgx-b200-variant")
    assert variant.price_is_estimate and float(variant.price_usd) == 450000
    assert ServerModel.objects.get(name="dgx-b200").price_usd == source.price_usd
    assert editor_client.get(url).context["form"].initial["name"] == "dgx-b200-variant-2"


@pytest.mark.django_db
def test_edit_saves_and_refuses_renaming_a_row_a_scenario_names(editor_client, catalog_editor,
                                                                seed_catalog):
    from inventory.forms import RackTypeForm

    rack = RackType.objects.get(name="48u-30kw-2n")
    url = reverse("inventory:edit", args=["rack-types", rack.pk])
    data = form_data(rack, RackTypeForm)
    assert editor_client.post(url, {**data, "cooling_kw": "30"}).status_code == 302
    assert RackType.objects.get(pk=rack.pk).cooling_kw == 30
    Scenario.objects.create(owner=catalog_editor, name="Hall A", spec={
        "rack_types": [{"rack_type": "48u-30kw-2n"}],
        "servers": [{"server_model": "dgx-b200"}],
        "models": [{"model_class": "llama-3.1-8b"}],
    })
    refused = editor_client.post(url, {**data, "name": "renamed-rack"})
    assert refused.status_code == 409
    assert "Hall A" in refused.content.decode() and 'id="id_name-error"' in refused.content.decode()
    assert RackType.objects.filter(name="48u-30kw-2n").exists()


@pytest.mark.django_db
def test_delete_refuses_a_row_in_use_and_deletes_one_that_is_not(editor_client, catalog_editor,
                                                                  seed_catalog):
    Scenario.objects.create(owner=catalog_editor, name="Hall A", spec={
        "rack_types": [{"rack_type": "std-42u"}],
        "servers": [{"server_model": "dgx-b200"}],
        "models": [{"model_class": "llama-3.1-8b"}],
    })
    used = RackType.objects.get(name="std-42u")
    response = editor_client.post(reverse("inventory:delete", args=["rack-types", used.pk]),
                                  follow=True)
    assert "Not deleted" in response.content.decode() and "Hall A" in response.content.decode()
    assert RackType.objects.filter(pk=used.pk).exists()
    unused = RackType.objects.get(name="48u-80kw-dlc")
    editor_client.post(reverse("inventory:delete", args=["rack-types", unused.pk]))
    assert not RackType.objects.filter(pk=unused.pk).exists()
