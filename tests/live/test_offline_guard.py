"""The test session's offline guard: only loopback addresses may be reached."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import conftest
import pytest

pytestmark = pytest.mark.live


@pytest.fixture
def forgiven() -> Iterator[list[str]]:
    """The attempts the guard recorded in this test, cleared so the test itself may pass."""
    yield conftest._blocked
    conftest._blocked.clear()


def test_connecting_to_a_public_address_raises(forgiven: list[str]) -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="only loopback is allowed"):
        sock.connect(("192.0.2.1", 443))
    assert forgiven == ["connect to ('192.0.2.1', 443)"]


def test_looking_up_a_public_name_raises(forgiven: list[str]) -> None:
    with pytest.raises(RuntimeError, match="only loopback is allowed"):
        socket.getaddrinfo("api.openai.com", 443)
    assert forgiven == ["name lookup of 'api.openai.com'"]


def test_an_attempt_that_a_library_swallows_is_still_recorded(forgiven: list[str]) -> None:
    with contextlib.suppress(Exception):  # what a "fall back quietly" library does
        socket.create_connection(("raw.githubusercontent.com", 443), timeout=0.1)
    assert forgiven == ["name lookup of 'raw.githubusercontent.com'"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_addresses_are_allowed(host: str) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        probe.listen()
        port = probe.getsockname()[1]
        with socket.create_connection((host, port), timeout=1):
            pass
