"""Helpers for the page tests: the editor's form data and figures embedded with json_script."""

import json
import re


def form_data(**overrides) -> dict:
    """The editor filled in for the seed study's hall: its rack (2 of them), servers and models
    ticked, every other catalog row left out."""
    from inventory.models import ModelClass, RackType, ServerModel
    from inventory.seed import seed_data

    study = seed_data()["study"]
    data = {
        "name": "Two racks",
        "description": "",
        "slo_tps": "10",
        "precision_bits": "8",
        "capacity_policy": "study",
        "objective": "max_sessions",
        "hall_power_kw": "",
    }
    for rack in RackType.objects.all():
        data[f"rack_{rack.pk}_count"] = "2" if rack.name == study["rack_type"] else "0"
    for server in ServerModel.objects.all():
        if server.name in study["server_models"]:
            data[f"server_{server.pk}_use"] = "on"
        data[f"server_{server.pk}_available"] = ""
    for model in ModelClass.objects.all():
        if model.name in study["model_classes"]:
            data[f"model_{model.pk}_use"] = "on"
        data[f"model_{model.pk}_min"] = "0"
        data[f"model_{model.pk}_max"] = ""
        data[f"model_{model.pk}_weight"] = "1"
    data.update(overrides)
    return data


def embedded_json(html: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def study_spec(count: int = 1) -> dict:
    return {
        "rack_types": [{"rack_type": "std-42u", "count": count}],
        "servers": [{"server_model": "ampereone-a192"}, {"server_model": "8x-h100-sxm"}],
        "models": [{"model_class": "llama-3.1-8b", "min": 100}, {"model_class": "llama-3.1-70b"}],
    }


