import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_capacity_page_draws_the_matrix_and_follows_the_form(live_server, page):
    from inventory.models import ModelClass, ServerModel
    from inventory.seed import load_seed_catalog, seed_data

    load_seed_catalog()
    # The default view is the seed study's servers × models (the whole catalog is `all`).
    study = seed_data()["study"]
    servers, models = len(study["server_models"]), len(study["model_classes"])
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Capacity").first.click()
    page.wait_for_selector("#capacity-chart .main-svg")
    z = page.evaluate("() => document.getElementById('capacity-chart').data[0].z")
    assert len(z) == servers and all(len(row) == models for row in z)
    assert f"of {ServerModel.objects.count()} servers" in page.inner_text("#filter-summary")
    assert f"of {ModelClass.objects.count()} models" in page.inner_text("#filter-summary")
    page.screenshot(path="/tmp/capfilter_default.png", full_page=True)
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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_capacity_filter_narrows_the_matrix_and_the_url_reproduces_it(live_server, page):
    from inventory.models import ServerModel
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    page.goto(f"{live_server.url}/capacity/?policy=batched")
    page.select_option("#id_kind", "gpu")
    page.check("#capacity-filter input[name=per_server][value=rack]")
    page.select_option("#id_model", ["llama-3.1-70b", "qwen3-235b-a22b", "deepseek-v3"])
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#capacity-chart .main-svg")
    assert "kind=gpu" in page.url and "per_server=rack" in page.url
    rack_scale = set(
        ServerModel.objects.filter(accelerator_count__gt=8).values_list("name", flat=True)
    )
    rows = page.locator("#capacity-table tbody tr").count()
    assert rows == len(rack_scale)
    assert page.locator("#capacity-table thead th").count() == 1 + 3
    page.screenshot(path="/tmp/capfilter_filtered.png", full_page=True)
    url = page.url
    page.goto(url)  # the same view from its URL
    page.wait_for_selector("#capacity-chart .main-svg")
    assert page.locator("#capacity-table tbody tr").count() == rows
    assert page.is_checked("#capacity-filter input[name=per_server][value=rack]")

    page.select_option("#id_kind", "cpu")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#capacity-empty")
    assert "No server matches" in page.inner_text("#capacity-empty")
    page.screenshot(path="/tmp/capfilter_empty.png", full_page=True)
    page.get_by_role("link", name="clear the filter").click()
    page.wait_for_selector("#capacity-chart .main-svg")
    assert page.input_value("#id_policy") == "batched" and page.input_value("#id_kind") == ""
    assert page.console_errors == []
