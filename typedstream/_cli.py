"""The ``typedstream`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources

from ._drivers import events


def _demo(args: argparse.Namespace) -> int:
    # Replays what LiteLLM 1.106.2 yielded for an OpenAI call with two tools.
    text = resources.files("typedstream").joinpath("_data/replay_litellm_tools.jsonl").read_text()
    chunks = [json.loads(line) for line in text.splitlines() if line.strip()]
    for event in events(chunks):
        print(event)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="typedstream", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="stream a tool call and print its typed events")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
