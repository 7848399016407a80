"""History pages: a scenario's versions (view, compare, restore), deleting and restoring a
scenario, a run's version line, and a catalog row's history — users recorded through pages."""
import re

import pytest
from django.urls import reverse

from inventory.forms import ServerModelForm
from inventory.models import ServerModel
from planner.models import Scenario
from tests.inventory.test_catalog_pages import form_data as catalog_form_data
from tests.pages.helpers import form_data


@pytest.fixture
def saved(logged_in, seed_catalog):
    """A scenario saved through the editor, then edited to 3 racks and a new name."""
    logged_in.post(reverse("planner:scenario-new"), form_data())
    scenario = Scenario.objects.get(name="Two racks")
    edited = form_data(name="Three racks", description="one more")
    for key, value in list(edited.items()):
        if key.startswith("rack_") and value == "2":
            edited[key] = "3"
    response = logged_in.post(reverse("planner:scenario-edit", args=[scenario.pk]), edited)
    assert response.status_code == 302
    return scenario


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_history_page_lists_who_changed_what(logged_in, saved):
    page = logged_in.get(reverse("planner:scenario-history", args=[saved.pk]))
    assert page.status_code == 200
    html = text(page)
    assert "Version 2" in html and "Version 1" in html
    assert "by planner" in html  # the page's user was recorded
    assert "spec.rack_types[0].count" in html
    assert re.search(r"<code>name</code></th><td class=\"old\">Two racks</td>"
                     r"<td class=\"new\">Three racks</td>", html)
    scenario_page = logged_in.get(reverse("planner:scenario", args=[saved.pk]))
    assert reverse("planner:scenario-history", args=[saved.pk]) in scenario_page.content.decode()


@pytest.mark.django_db
def test_version_page_compares_and_restores(logged_in, saved):
    url = reverse("planner:scenario-version", args=[saved.pk, 1])
    html = text(logged_in.get(url))
    assert "Version 1 of 2" in html
    assert '<td class="old">2</td><td class="new">3</td>' in html
    assert "Restore version 1" in html
    response = logged_in.post(reverse("planner:scenario-version-restore", args=[saved.pk, 1]))
    assert response["Location"] == reverse("planner:scenario", args=[saved.pk])
    saved.refresh_from_db()
    assert saved.name == "Two racks" and saved.spec["rack_types"][0]["count"] == 2
    assert "Same as the scenario now" in text(logged_in.get(url))
    history = text(logged_in.get(reverse("planner:scenario-history", args=[saved.pk])))
    assert "Restored version 1" in history
    assert logged_in.get(reverse("planner:scenario-version", args=[saved.pk, 99])).status_code \
        == 404


@pytest.mark.django_db
def test_others_get_404_on_history_pages(client, saved, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="a-long-pass-word")
    client.force_login(stranger)
    for url in (
        reverse("planner:scenario-history", args=[saved.pk]),
        reverse("planner:scenario-version", args=[saved.pk, 1]),
    ):
        assert client.get(url).status_code == 404
    for url in (
        reverse("planner:scenario-version-restore", args=[saved.pk, 1]),
        reverse("planner:scenario-delete", args=[saved.pk]),
    ):
        assert client.post(url).status_code == 404
    assert Scenario.objects.filter(pk=saved.pk, name="Three racks").exists()


@pytest.mark.django_db
def test_delete_and_restore_through_the_pages(logged_in, saved, client):
    token = saved.share_token
    response = logged_in.post(reverse("planner:scenario-delete", args=[saved.pk]))
    assert response["Location"] == reverse("planner:home")
    home = text(logged_in.get(reverse("planner:home")))
    assert "Deleted “Three racks”" in home and "Recently deleted" in home
    assert "Three racks</a>" not in home  # gone from my scenarios
    assert logged_in.get(reverse("planner:scenario", args=[saved.pk])).status_code == 404
    assert logged_in.get(f"/s/{token}/").status_code == 404
    assert logged_in.post(reverse("planner:scenario-solve", args=[saved.pk])).status_code == 404

    deleted = text(logged_in.get(reverse("planner:scenarios-deleted")))
    assert "Three racks" in deleted and "30 days" in deleted
    response = logged_in.post(reverse("planner:scenario-undelete", args=[saved.pk]))
    assert response["Location"] == reverse("planner:scenario", args=[saved.pk])
    assert logged_in.get(reverse("planner:scenario", args=[saved.pk])).status_code == 200
    assert "Nothing deleted" in text(logged_in.get(reverse("planner:scenarios-deleted")))


@pytest.mark.django_db
def test_run_page_names_the_version_it_solved(logged_in, saved,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("planner:scenario-solve", args=[saved.pk]))
    html = text(logged_in.get(response["Location"]))
    link = reverse("planner:scenario-version", args=[saved.pk, 2])
    assert re.search(rf'Solved scenario version <a href="{link}">2</a>, saved [0-9-]+ '
                     r"[0-9:]+ UTC by planner\.", html)
    run = saved.runs.get()
    run.scenario_version = None
    run.save()
    assert "Solved scenario version" not in text(logged_in.get(response["Location"]))


@pytest.mark.django_db
def test_catalog_row_history_page_records_the_page_user(client, catalog_editor, seed_catalog):
    client.force_login(catalog_editor)
    server = ServerModel.objects.get(name="8x-h100-sxm")
    data = catalog_form_data(server, ServerModelForm)
    data["power_w"] = "10500"
    response = client.post(reverse("inventory:edit", args=["servers", server.pk]), data)
    assert response.status_code == 302, response.content
    client.logout()  # the catalog's history is as public as the catalog
    html = text(client.get(reverse("inventory:history", args=["servers", server.pk])))
    assert "by editor" in html
    assert '<code>power_w</code></th><td class="old">6,297</td><td class="new">10,500</td>' \
        in html
    assert "Version 1" in html and "by a script or load (no user)" in html
    # A foreign key reads by name on the page.
    assert f"<td class=\"new\">{server.accelerator.name}</td>" in html
    listing = client.get(reverse("inventory:list", args=["servers"])).content.decode()
    assert reverse("inventory:history", args=["servers", server.pk]) in listing


@pytest.mark.django_db
def test_admin_edit_records_the_staff_user_and_shows_history(client, seed_catalog,
                                                             django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="a-long-pass-word")
    client.force_login(admin)
    scenario = Scenario.objects.create(name="hall", owner=admin, spec={"rack_types": []})
    url = reverse("admin:planner_scenario_change", args=[scenario.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"name": "hall, renamed", "description": "",
                                 "owner": admin.pk, "spec": '{"rack_types": []}',
                                 "problem": "null"})
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = scenario.history.order_by("-history_id").first()
    assert latest.name == "hall, renamed" and latest.history_user == admin
    history = client.get(reverse("admin:planner_scenario_history", args=[scenario.pk]))
    assert history.status_code == 200 and b"boss" in history.content
