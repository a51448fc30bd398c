"""Shared fixtures. Recordings come from `tests/corpus.py`."""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from typedstream.testing import LoopbackProvider

# The public kit's opt-in plugin: the `loopback_provider` fixture (a fresh provider per test).
pytest_plugins = ["typedstream.testing.pytest_plugin"]


# -- Offline guard, loopback provider and LiteLLM (live tests) ------------------------------
# LiteLLM must stay offline: these are read when it is imported.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS"] = "True"
os.environ["LITELLM_MODE"] = "PRODUCTION"

_blocked: list[str] = []  # non-loopback connection attempts seen by the guard


def _loopback_host(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): a local bind
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _block(what: str) -> NoReturn:
    _blocked.append(what)
    raise RuntimeError(f"network access blocked in tests (only loopback is allowed): {what}")


def _guard_connect(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def connect(self: socket.socket, address: Any, *args: Any) -> Any:
        if isinstance(address, tuple) and not _loopback_host(address[0]):
            _block(f"connect to {address!r}")
        return original(self, address, *args)

    return connect


def _guard_getaddrinfo(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback_host(host):
            _block(f"name lookup of {host!r}")
        return original(host, *args, **kwargs)

    return getaddrinfo


@pytest.fixture(scope="session", autouse=True)
def _offline() -> Iterator[None]:
    """Make every non-loopback connection attempt raise, for the whole session."""
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
    socket.socket.connect = _guard_connect(saved[0])  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard_connect(saved[1])  # type: ignore[method-assign]
    socket.getaddrinfo = _guard_getaddrinfo(saved[2])
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = saved  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Iterator[None]:
    """Fail the test loudly if anything tried to leave the machine, even if it was caught."""
    del _blocked[:]
    yield
    if _blocked:
        attempts, _blocked[:] = list(_blocked), []
        pytest.fail("tried to reach a non-loopback address: " + "; ".join(attempts))


@pytest.fixture(scope="session")
def loopback() -> Iterator[LoopbackProvider]:
    """The public kit's loopback provider, shared by the session (built-in scenarios by URL)."""
    with LoopbackProvider() as provider:
        yield provider
    assert not provider.errors, f"the loopback provider failed: {provider.errors!r}"


@pytest.fixture(scope="session")
def litellm() -> Any:
    """LiteLLM, imported once per session (about 4 s), offline and quiet."""
    import litellm

    litellm.suppress_debug_info = True
    return litellm
