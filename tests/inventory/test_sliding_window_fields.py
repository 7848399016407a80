"""The catalog's sliding-window fields: migration, model rules on the form and the API, the API
round trip, and the seed rows that carry them reaching the capacity model."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inventory import forms
from inventory.models import ModelClass
from planner.bridge.figures import model_spec

BASE = {"name": "tiny-local", "parameters_b": 1, "size_class": 0, "layers": 4,
        "hidden_size": 64, "attention_heads": 4, "kv_heads": 2, "head_dim": 16,
        "default_precision_bits": 8, "shared_expert_count": 0, "first_dense_layers": 0,
        "moe_layer_step": 1, "source": "test"}  # fmt: skip
BAD = [
    ({"sliding_window_layers": 2}, "sliding_window_tokens"),
    ({"sliding_window_tokens": 128}, "sliding_window_layers"),
    ({"sliding_window_tokens": 128, "sliding_window_layers": 0}, "sliding_window_layers"),
    ({"sliding_window_tokens": 128, "sliding_window_layers": 5}, "sliding_window_layers"),
    ({"sliding_window_tokens": 0, "sliding_window_layers": 2}, "sliding_window_tokens"),
    ({"sliding_window_tokens": 128, "sliding_window_layers": -1}, "sliding_window_layers"),
]


@pytest.fixture
def editor_client(api_client, catalog_editor):
    api_client.force_authenticate(catalog_editor)
    return api_client


@pytest.mark.django_db
def test_the_form_takes_a_window_and_rejects_a_half_or_impossible_one():
    assert forms.ModelClassForm({**BASE, "sliding_window_tokens": 128,
                                 "sliding_window_layers": 2}).is_valid()  # fmt: skip
    assert forms.ModelClassForm(BASE).is_valid()  # no window
    assert forms.ModelClassForm({**BASE, "sliding_window_layers": 0}).is_valid()  # 0: none
    for changes, field in BAD:
        form = forms.ModelClassForm({**BASE, **changes})
        assert not form.is_valid(), changes
        assert field in form.errors, (changes, form.errors)


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), BAD)
def test_the_api_answers_400_with_the_field_message(editor_client, changes, field):
    response = editor_client.post("/api/v1/model-classes", {**BASE, **changes}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and errors[field], errors


@pytest.mark.django_db
def test_the_api_round_trips_the_window(editor_client):
    created = editor_client.post(
        "/api/v1/model-classes",
        {**BASE, "sliding_window_tokens": 128, "sliding_window_layers": 2},
        format="json",
    )
    assert created.status_code == 201, created.json()
    row_id = created.json()["id"]
    read = editor_client.get(f"/api/v1/model-classes/{row_id}").json()
    assert (read["sliding_window_tokens"], read["sliding_window_layers"]) == (128, 2)
    patched = editor_client.patch(f"/api/v1/model-classes/{row_id}",
                                  {"sliding_window_tokens": 256}, format="json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["sliding_window_tokens"] == 256
    cleared = editor_client.patch(
        f"/api/v1/model-classes/{row_id}",
        {"sliding_window_tokens": None, "sliding_window_layers": None},
        format="json",
    )
    assert cleared.status_code == 200
    assert ModelClass.objects.get(pk=row_id).sliding_window_tokens is None


@pytest.mark.django_db
def test_seed_rows_carry_the_window_into_the_capacity_model(seed_catalog):
    gpt = model_spec(ModelClass.objects.get(name="gpt-oss-20b"))
    assert (gpt.sliding_window_tokens, gpt.sliding_window_layers, gpt.layers) == (128, 12, 24)
    gemma = model_spec(ModelClass.objects.get(name="gemma-3-27b"))
    assert (gemma.sliding_window_tokens, gemma.sliding_window_layers) == (1024, 52)
    assert model_spec(ModelClass.objects.get(name="llama-3.1-8b")).sliding_window_tokens is None
    for row in ModelClass.objects.exclude(sliding_window_tokens=None):
        row.full_clean()  # every seeded window passes the model's own rules


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_the_fields_and_reverses():
    executor = MigrationExecutor(connection)
    before, after = [("inventory", "0006_model_class_order_ties_by_name")], [
        ("inventory", "0007_model_class_sliding_window")
    ]
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("inventory", "ModelClass")
        assert "sliding_window_tokens" not in {f.name for f in old._meta.get_fields()}
        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("inventory", "ModelClass")
        new.objects.create(**{**BASE, "sliding_window_tokens": 128, "sliding_window_layers": 2})
        assert new.objects.get(name="tiny-local").sliding_window_layers == 2
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_the_api_filters_models_with_a_window(api_client, seed_catalog):
    def names(query: str) -> set[str]:
        response = api_client.get(f"/api/v1/model-classes?{query}&page_size=200")
        assert response.status_code == 200, response.json()
        return {row["name"] for row in response.json()["results"]}

    windowed = names("sliding_window=true")
    assert {"gpt-oss-20b", "gemma-3-27b", "llama-4-scout"} <= windowed
    assert "llama-3.1-8b" not in windowed and "llama-3.1-8b" in names("sliding_window=false")
