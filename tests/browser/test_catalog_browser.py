"""A planner edits the catalog in Chromium: a variant with a negotiated price, a refused edit."""

import pytest

from tests.browser.test_planner_browser import log_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_save_a_priced_variant_and_see_a_refusal_beside_the_field(live_server, page,
                                                                   catalog_editor):
    from inventory.models import ServerModel
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    base = live_server.url
    log_in(page, base, catalog_editor.username)
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="Server models").first.click()
    row = page.locator("#catalog-table tr", has_text="dgx-b200").first
    row.get_by_role("link", name="Save a variant").click()
    assert page.get_by_label("Name", exact=True).input_value() == "dgx-b200-variant"
    page.get_by_label("Name", exact=True).fill("8x-b200-our-price")
    page.get_by_label("Price usd").fill("430000")
    page.get_by_label("Price source").fill("Our negotiated quote Q-2026-11")
    page.get_by_label("Price is estimate").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".messages")
    assert "Saved server model" in page.locator(".messages").inner_text()
    variant = ServerModel.objects.get(name="8x-b200-our-price")
    assert float(variant.price_usd) == 430000 and variant.power_w == 14300

    page.goto(f"{base}/catalog/servers/")
    cells = page.locator("#catalog-table tr", has_text="8x-b200-our-price").inner_text()
    assert "$430,000" in cells and "estimate" in cells

    # An impossible rack: reserved power above what 2N and derating leave; refused in place.
    page.goto(f"{base}/catalog/rack-types/new/")
    page.get_by_label("Name", exact=True).fill("bad-rack")
    page.get_by_label("U height").fill("42")
    page.get_by_label("Budget kw").fill("10")
    page.get_by_label("Reserved kw").fill("6")
    page.get_by_label("Feeds").select_option("2N")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#id_reserved_kw-error")
    error.wait_for()
    assert "derated" in error.inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "bad-rack"
    # The refused form itself answers 400 (as the API would); Chromium logs that, nothing else.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
