"""/healthz reports the database and broker with latency; /livez only says the process runs."""
import socket

import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["broker"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client):
    # Nothing listens on this port: the broker check fails fast, with the reason.
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["ok"] is False
    assert body["broker"]["ok"] is False
    assert "Connection" in body["broker"]["error"]
    assert body["database"]["ok"] is True


def test_livez_needs_no_database(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True  # production: plain HTTP goes to HTTPS, probes do not
    client = Client()
    assert client.get("/api/v1/accelerators").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/livez").status_code == 200
