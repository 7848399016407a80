import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import Accelerator, ModelClass, RackType, ServerModel


@pytest.mark.django_db
class TestRackTypeValidation:
    def test_reserved_u_must_be_below_height(self):
        rack = RackType(name="r", u_height=42, budget_kw=12.5, reserved_u=42, reserved_kw=1)
        with pytest.raises(ValidationError) as info:
            rack.full_clean()
        assert "reserved_u" in info.value.message_dict
        assert "below the rack's height" in info.value.message_dict["reserved_u"][0]

    def test_reserved_kw_must_be_below_budget(self):
        rack = RackType(name="r", u_height=42, budget_kw=12.5, reserved_u=2, reserved_kw=12.5)
        with pytest.raises(ValidationError) as info:
            rack.full_clean()
        assert "reserved_kw" in info.value.message_dict

    def test_non_positive_budget_is_refused(self):
        rack = RackType(name="r", u_height=42, budget_kw=0, reserved_u=0, reserved_kw=0)
        with pytest.raises(ValidationError) as info:
            rack.full_clean()
        assert "budget_kw" in info.value.message_dict

    def test_database_refuses_reserved_over_height(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            RackType.objects.create(
                name="r", u_height=10, budget_kw=5, reserved_u=11, reserved_kw=0
            )

    def test_usable_budget(self):
        rack = RackType(name="r", u_height=42, budget_kw=12.5, reserved_u=2, reserved_kw=1.0)
        assert rack.usable_u == 40
        assert rack.usable_kw == pytest.approx(11.5)


@pytest.mark.django_db
def test_server_power_must_be_positive():
    acc = Accelerator.objects.create(
        name="a", vendor="v", kind="gpu", memory_gb=80, memory_bandwidth_gbps=3000,
        tflops_16=900, tflops_8=1800, tdp_w=700,
    )
    server = ServerModel(
        name="s", vendor="v", u_height=1, power_w=-5, accelerator=acc, accelerator_count=1
    )
    with pytest.raises(ValidationError) as info:
        server.full_clean()
    assert "power_w" in info.value.message_dict


@pytest.mark.django_db
def test_kv_heads_cannot_exceed_heads():
    model = ModelClass(
        name="m", parameters_b=1, size_class=0, layers=2, hidden_size=64, attention_heads=4,
        kv_heads=8, head_dim=16,
    )
    with pytest.raises(ValidationError) as info:
        model.full_clean()
    assert "kv_heads" in info.value.message_dict
