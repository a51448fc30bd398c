"""The loopback provider moved to the public test kit, :mod:`typedstream.testing`."""

from .testing import *  # noqa: F403
from .testing import __all__ as __all__
