import pytest

from tests.study_cells import STUDY_SESSIONS_PER_RACK


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_study_page_draws_the_solved_figures(live_server, page):
    from inventory.seed import load_seed_catalog

    load_seed_catalog()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Seed rack study").first.click()
    page.wait_for_selector("#study-chart .main-svg")
    traces = page.evaluate(
        "() => document.getElementById('study-chart').data.map(t => [t.name, t.x, t.y])"
    )
    drawn = {}
    for name, models, values in traces:
        for model, value in zip(models, values, strict=True):
            drawn[(name, model)] = value or 0
    assert drawn == STUDY_SESSIONS_PER_RACK
    assert page.locator("#study-chart g.trace.bars").count() == 3
    assert page.console_errors == []
