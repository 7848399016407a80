"""Which figure a catalog pair gets (planner/bridge/figures.py): a measured profile where it
applies, an estimate elsewhere, and the explanation says which conditions a profile covers."""

import pytest

from inventory.models import ModelClass, ServerModel
from planner.bridge.figures import best_measurement, capacity_figure, measured_profiles
from planner.capacity import Workload
from planner.capacity.defaults import UNSTATED_CONTEXT_LIMIT


@pytest.mark.django_db
def test_a_profile_of_unstated_context_stands_for_requests_up_to_the_default(seed_catalog):
    cpu = ServerModel.objects.get(name="ampereone-a192")
    model = ModelClass.objects.get(name="llama-3.2-1b")
    grouped = measured_profiles(8)
    for profiles in (None, grouped):  # the query and the page's one-query path agree
        short = best_measurement(cpu, model, 8, 10.0, UNSTATED_CONTEXT_LIMIT, profiles=profiles)
        assert short is not None and short.sessions == 64 and short.context_tokens is None
        long = best_measurement(cpu, model, 8, 10.0, UNSTATED_CONTEXT_LIMIT + 1, profiles=profiles)
        assert long is None
    chat = capacity_figure(
        cpu, model, precision_bits=8, slo_tps=10.0, policy="calibrated", workload=Workload()
    )
    assert chat.label == "measured" and chat.sessions == 64
    assert "The source states no context length" in chat.explanation
    assert f"up to {UNSTATED_CONTEXT_LIMIT:,} tokens" in chat.explanation
    # A 16k-token prompt is outside what the profile says: the calibrated model estimates it.
    rag = capacity_figure(
        cpu, model, precision_bits=8, slo_tps=10.0, policy="calibrated",
        workload=Workload(input_tokens=16384, output_tokens=256),
    )  # fmt: skip
    assert rag.label == "estimated" and rag.sessions < 64


@pytest.mark.django_db
def test_a_profile_of_stated_context_says_it_and_covers_shorter_requests(seed_catalog):
    dgx = ServerModel.objects.get(name="dgx-h100")
    model = ModelClass.objects.get(name="llama-2-7b")
    measured = best_measurement(dgx, model, 8, 25.0, 3072)
    assert measured is not None and measured.context_tokens == 3072
    figure = capacity_figure(dgx, model, precision_bits=8, slo_tps=25.0, context_tokens=3072)
    assert figure.label == "measured"
    assert "Measured at 3,072 tokens per session." in figure.explanation
    assert best_measurement(dgx, model, 8, 25.0, 8192) is None
