"""A planner edits a scenario, reads its history, compares version 1 with now and restores it;
then reads a catalog row's history. In Chromium, with no console error."""
import os
from pathlib import Path

import pytest

from tests.api.test_scenario_spec import STUDY_SPEC
from tests.browser.test_planner_browser import log_in

# Set to a folder to keep screenshots of the pages (for looking at them, not for asserting).
SCREENSHOTS = os.environ.get("HISTORY_SCREENSHOTS")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_compare_and_restore_a_version(live_server, page, user):
    from inventory.seed import load_seed_catalog
    from planner.models import Scenario

    load_seed_catalog()
    scenario = Scenario.objects.create(name="Hall A", owner=user, spec=STUDY_SPEC)
    base = live_server.url
    log_in(page, base, user.username)

    page.goto(f"{base}/scenarios/{scenario.pk}/edit/")
    page.get_by_label("Name", exact=True).fill("Hall A, five racks")
    page.get_by_label("Racks of std-42u", exact=True).fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".messages")

    page.get_by_role("link", name="History").click()
    entries = page.locator("#history > li")
    assert entries.count() == 2
    latest = entries.first.inner_text()
    assert "Version 2" in latest and f"by {user.username}" in latest
    assert "spec.rack_types[0].count" in latest
    snap(page, "scenario-history")

    page.get_by_role("link", name="Version 1").click()
    rows = page.locator("table.changes tbody tr")
    compared = {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").all_inner_texts()
                for i in range(rows.count())}
    assert compared["name"] == ["Hall A", "Hall A, five racks"]
    assert compared["spec.rack_types[0].count"] == ["2", "5"]
    snap(page, "scenario-version")
    page.get_by_role("button", name="Restore version 1").click()
    page.wait_for_selector(".messages")
    assert "Restored version 1" in page.locator(".messages").inner_text()
    assert page.locator("h1").first.inner_text() == "Hall A"
    scenario.refresh_from_db()
    assert scenario.spec["rack_types"][0]["count"] == 2

    # A run names the version it solved (version 3: the restore).
    page.get_by_role("button", name="Solve").click()
    page.wait_for_selector("#run-version")
    assert "Solved scenario version 3" in page.locator("#run-version").inner_text()
    snap(page, "run-version")

    # Delete, find it under Recently deleted, restore it.
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.get_by_role("button", name="Delete this scenario").click()
    page.wait_for_selector(".messages")
    assert "Deleted “Hall A”" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Recently deleted").click()
    row = page.locator("#deleted-scenarios tr", has_text="Hall A")
    snap(page, "recently-deleted")
    row.get_by_role("button", name="Restore").click()
    page.wait_for_selector(".messages")
    assert page.locator("h1").first.inner_text() == "Hall A"

    page.goto(f"{base}/catalog/servers/")
    page.locator("#catalog-table tr", has_text="8x-h100-sxm").first.get_by_role(
        "link", name="History").click()
    assert "Version 1" in page.locator("#history").inner_text()
    snap(page, "catalog-history")
    assert page.console_errors == []
