"""The editor refuses before queueing what the API or the solver would refuse: errors beside the
field, never a 500."""

import pytest
from django.test import override_settings
from django.urls import reverse

from inventory.models import RackType
from planner.models import Run, Scenario
from tests.pages.helpers import form_data


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_too_many_racks_is_refused_beside_the_field(logged_in, seed_catalog, settings):
    rack = RackType.objects.get(name="std-42u")
    limit = settings.PROBLEM_LIMITS["racks"]
    for count in (100_000, limit + 1):
        response = logged_in.post(
            reverse("planner:scenario-new"), form_data(**{f"rack_{rack.pk}_count": str(count)},
                                                       solve="1")
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="id_rack_{rack.pk}_count-error"' in html
        assert str(limit) in html.replace(",", "")
    assert not Scenario.objects.exists() and not Run.objects.exists()


@pytest.mark.django_db
def test_min_cost_needs_prices_before_queueing(logged_in, seed_catalog):
    response = logged_in.post(
        reverse("planner:scenario-new"), form_data(objective="min_cost", solve="1")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_objective-error"' in html
    assert "Least cost needs a price for every candidate server" in html
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_solving_a_scenario_over_the_limit_is_a_message_not_a_500(logged_in, seed_catalog, user):
    scenario = Scenario.objects.create(
        name="Big", owner=user,
        spec={"rack_types": [{"rack_type": "std-42u", "count": 30}],
              "servers": [{"server_model": "ampereone-a192"}],
              "models": [{"model_class": "llama-3.1-8b"}]},
    )
    with override_settings(PROBLEM_LIMITS={"racks": 20, "rack_types": 50, "servers": 200,
                                           "models": 50}):
        response = logged_in.post(
            reverse("planner:scenario-solve", kwargs={"pk": scenario.pk}), follow=True
        )
    assert response.status_code == 200
    assert "Not solved" in response.content.decode() and "PROBLEM_MAX_RACKS" in (
        response.content.decode()
    )
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_new_scenario_says_what_it_starts_with(logged_in, seed_catalog):
    html = logged_in.get(reverse("planner:scenario-new")).content.decode()
    assert 'id="editor-preset"' in html and "1 × std-42u" in html
