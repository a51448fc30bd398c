"""A pytest plugin with a ``loopback_provider`` fixture; opt in from a ``conftest.py``::

    pytest_plugins = ["typedstream.testing.pytest_plugin"]

It is never loaded on its own (no ``pytest11`` entry point).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import LoopbackProvider

__all__ = ["loopback_provider"]


@pytest.fixture
def loopback_provider() -> Iterator[LoopbackProvider]:
    """A fresh :class:`~typedstream.testing.LoopbackProvider` for one test, stopped after it.

    Tell it what to answer with ``respond()`` or ``respond_in_turn()``; the test fails at
    teardown if the provider recorded an error (a responder that raised, a request with no
    reply left for it).
    """
    with LoopbackProvider() as provider:
        yield provider
    if provider.errors:
        pytest.fail(f"the loopback provider failed: {provider.errors!r}", pytrace=False)
