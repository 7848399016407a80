"""The colour of each server model, the same on every chart and elevation of every page."""
from inventory.models import ServerModel
from planner import charts


def catalog_colours() -> dict[str, str]:
    """Server model name -> colour, stable across pages: assigned in catalog (id) order."""
    names = ServerModel.objects.order_by("id").values_list("name", flat=True)
    return charts.server_colours(list(names))
