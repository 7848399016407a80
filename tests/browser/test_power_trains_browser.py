"""Power trains in Chromium: the result page shows the solver's train assignment and what each
model keeps after losing the worst train."""

import pytest

from tests.browser.conftest import CHROMIUM  # noqa: F401 - same browser as the other tests
from tests.browser.test_afternoon_browser import owner, scenario  # noqa: F401 - fixture
from tests.browser.test_planner_browser import log_in

SPEC = {
    "rack_types": [{"rack_type": "std-42u", "count": 6}],
    "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
    "models": [{"model_class": "llama-3.1-8b", "min": 200}, {"model_class": "llama-3.1-70b"}],
    "objective": "min_power",
    "power_trains": {"count": 3},
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_result_page_shows_the_power_trains(live_server, page, owner):  # noqa: F811
    from planner.runs.queueing import queue_run

    run = queue_run(scenario(owner, "Hall on 3 trains", SPEC))
    run.refresh_from_db()
    assert run.result["status"] in ("optimal", "feasible"), run.result
    log_in(page, live_server.url, "owner")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    table = page.locator("#power-trains")
    table.wait_for()
    rows = table.locator("tbody tr").all()
    assert [r.get_attribute("data-train") for r in rows] == ["1", "2", "3"]
    assert "kW" in rows[0].inner_text()
    exposure = page.locator("#exposure")
    assert "losing one of 3 power trains" in exposure.locator("caption").inner_text()
    left = exposure.locator('tr[data-model="llama-3.1-8b"] td[data-after="train"]').inner_text()
    assert int(left.replace(",", "")) >= 200
    page.locator("#exposure").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/issue14-trains.png", full_page=True)
    exposure.screenshot(path="/tmp/issue14-trains-exposure.png")
    table.screenshot(path="/tmp/issue14-trains-table.png")
    assert not page.console_errors
