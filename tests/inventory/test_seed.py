import copy

import pytest
from django.core.exceptions import ValidationError

from inventory.models import Accelerator, ModelClass, PerformanceProfile, RackType, ServerModel
from inventory.seed import load_seed_catalog, seed_data

STUDY_SESSIONS_PER_SERVER = {
    # server: sessions for 1B, 3B, 8B, 70B, 405B (the seed study's footnotes and rules)
    "ampereone-a192": [64, 32, 8, 0, 0],
    "8x-l40s": [8, 8, 8, 4, 0],
    "8x-h100-sxm": [56, 56, 56, 8, 1],
}
MODELS = ["llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"]


@pytest.mark.django_db
def test_seed_catalog_holds_the_study():
    load_seed_catalog()
    rack = RackType.objects.get(name="std-42u")
    assert (rack.u_height, rack.budget_kw, rack.reserved_u, rack.reserved_kw) == (42, 12.5, 2, 1.0)
    assert ServerModel.objects.get(name="ampereone-a192").power_w == 577
    assert ServerModel.objects.get(name="8x-l40s").power_w == 3097
    assert ServerModel.objects.get(name="8x-h100-sxm").power_w == 6297
    assert ModelClass.objects.get(name="llama-3.1-405b").layers == 126
    assert Accelerator.objects.get(name="nvidia-h100-sxm5-80gb").mig_max_instances == 7


@pytest.mark.django_db
@pytest.mark.parametrize("server", sorted(STUDY_SESSIONS_PER_SERVER))
def test_profiles_follow_the_study(server):
    load_seed_catalog()
    for model, expected in zip(MODELS, STUDY_SESSIONS_PER_SERVER[server], strict=True):
        profile = PerformanceProfile.objects.get(
            server_model__name=server, model_class__name=model, precision_bits=8, slo_tps=10
        )
        assert profile.sessions_at_slo == expected, (server, model)
        assert profile.source
        expected_basis = "measured" if server == "ampereone-a192" else "derived"
        assert profile.basis == expected_basis


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    first = load_seed_catalog()
    assert first.changed > 0
    counts = [m.objects.count() for m in (Accelerator, ServerModel, RackType, ModelClass,
                                          PerformanceProfile)]
    second = load_seed_catalog()
    assert second.changed == 0
    assert counts == [m.objects.count() for m in (Accelerator, ServerModel, RackType,
                                                  ModelClass, PerformanceProfile)]


@pytest.mark.django_db
def test_reloading_restores_an_edited_figure():
    load_seed_catalog()
    ServerModel.objects.filter(name="8x-l40s").update(power_w=1)
    report = load_seed_catalog()
    assert report.updated == {"server models": 1}
    assert ServerModel.objects.get(name="8x-l40s").power_w == 3097


@pytest.mark.django_db
def test_a_first_load_inserts_each_table_at_once(django_assert_max_num_queries):
    # One lookup and two inserts (rows, history) per table, not five or six queries per row.
    # SQLite splits a bulk insert at its bound-parameter limit, so there the count grows by one
    # query per ~1,000 more values as the catalog grows (26 queries at 39 accelerators, 126
    # servers and 60 model classes); PostgreSQL sends one insert per table. Per-row loading
    # would be about 1,500 queries.
    with django_assert_max_num_queries(30):
        load_seed_catalog()
    server = ServerModel.objects.get(name="8x-h100-sxm")
    assert server.history.count() == 1  # the insert kept its history row
    assert server.accelerator.name == "nvidia-h100-sxm5-80gb"


@pytest.mark.django_db
def test_a_load_retires_cached_catalog_answers(monkeypatch):
    from inventory import catalog_cache

    bumps = []
    monkeypatch.setattr(catalog_cache, "bump", lambda: bumps.append(1))
    load_seed_catalog()
    assert bumps  # bulk inserts send no post_save; the loader bumps the version itself


def _seed_with(**changes):
    data = copy.deepcopy(seed_data())
    for table, rows in changes.items():
        data[table] = rows(data[table])
    return data


@pytest.mark.django_db
def test_a_name_listed_twice_is_an_error_and_nothing_is_saved():
    data = _seed_with(rack_types=lambda rows: rows + [rows[0]])
    with pytest.raises(ValidationError, match="listed twice"):
        load_seed_catalog(data)
    assert not RackType.objects.exists() and not Accelerator.objects.exists()


@pytest.mark.django_db
def test_a_new_row_is_validated_before_it_is_inserted():
    def broken(rows):
        return [{**rows[0], "name": "broken-rack", "reserved_u": rows[0]["u_height"] + 1}]

    with pytest.raises(ValidationError):
        load_seed_catalog(_seed_with(rack_types=broken))
    assert not RackType.objects.exists()

