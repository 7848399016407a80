"""Under CI (REQUIRE_SERVICES=1) the suite must run on PostgreSQL, not the SQLite default."""
import os

import pytest
from django.db import connection

from tests.conftest import require_service


@pytest.mark.services
@pytest.mark.django_db
def test_database_is_postgresql_when_configured():
    url = os.environ.get("DATABASE_URL", "")
    require_service("PostgreSQL", url.startswith("postgres"), "set DATABASE_URL to PostgreSQL")
    assert connection.vendor == "postgresql"
