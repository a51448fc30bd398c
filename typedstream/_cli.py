"""The ``typedstream`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import _demo


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="typedstream", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _demo.configure(commands.add_parser("demo", help="stream a real LiteLLM call with tools"))
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
