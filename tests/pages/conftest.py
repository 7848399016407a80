"""Fixtures of the page tests."""


import pytest


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client
