import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_capacity_page_draws_the_matrix_and_follows_the_form(live_server, page):
    from inventory.models import ModelClass, ServerModel
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    servers, models = ServerModel.objects.count(), ModelClass.objects.count()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Capacity").first.click()
    page.wait_for_selector("#capacity-chart .main-svg")
    z = page.evaluate("() => document.getElementById('capacity-chart').data[0].z")
    assert len(z) == servers and all(len(row) == models for row in z)
    # The page defaults to the calibrated policy: an estimate with its typical error.
    assert page.input_value("#id_policy") == "calibrated"
    default_cell = page.locator('td[data-server="8x-h100-sxm"][data-model="llama-3.1-8b"]')
    assert default_cell.get_attribute("data-label") == "estimated"
    assert "typical error" in default_cell.inner_text()

    page.select_option("#id_policy", "study")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#capacity-chart .main-svg")
    study_cell = page.locator('td[data-server="8x-h100-sxm"][data-model="llama-3.1-8b"]')
    assert study_cell.get_attribute("data-sessions") == "56"
    assert study_cell.get_attribute("data-label") == "study rule"

    page.select_option("#id_policy", "batched")
    page.fill("#id_slo_tps", "20")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#capacity-chart .main-svg")
    assert "policy=batched" in page.url and "slo_tps=20" in page.url
    cell = page.locator('td[data-server="8x-h100-sxm"][data-model="llama-3.1-8b"]')
    assert cell.get_attribute("data-label") == "estimated"
    assert int(cell.get_attribute("data-sessions")) > 56
    assert "tok/s" in cell.get_attribute("title")
    page.screenshot(path="/tmp/issue3_capacity.png", full_page=False)
    assert page.console_errors == []
