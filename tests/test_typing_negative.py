"""Negative typing cases: what the checkers must reject (run by `nox -s typing`).

Each snippet is type-checked with mypy --strict in a subprocess and must fail with the
expected error code, so exhaustiveness and field types are really checked.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MISSING_CASE = """
    from typing_extensions import assert_never
    from typedstream import StreamEvent, TextDelta, StreamStarted, ReasoningDelta, RefusalDelta
    from typedstream import ToolCallStarted, ArgumentsDelta, ToolCallDone, TextDone
    from typedstream import ReasoningDone, RefusalDone, Logprobs, ProviderData, ChoiceFinished
    from typedstream import Usage, Moderation

    def f(event: StreamEvent) -> None:
        match event:
            case StreamStarted() | TextDelta() | ReasoningDelta() | RefusalDelta():
                pass
            case ToolCallStarted() | ArgumentsDelta() | ToolCallDone() | TextDone():
                pass
            case ReasoningDone() | RefusalDone() | Logprobs() | ProviderData():
                pass
            case ChoiceFinished() | Usage() | Moderation():
                pass
            case _:
                assert_never(event)  # RawChunk is missing
"""

WRONG_FIELD_TYPE = """
    from typedstream import TextDelta

    TextDelta(text=3)
"""

WRONG_KIND = """
    from typedstream import TextDelta

    TextDelta("a", kind="tool_call_done")
"""

WRONG_FINISH_REASON = """
    from typedstream import ChoiceFinished

    ChoiceFinished("eos", None)
"""


@pytest.mark.typing
@pytest.mark.parametrize(
    ("snippet", "code"),
    [
        (MISSING_CASE, "arg-type"),
        (WRONG_FIELD_TYPE, "arg-type"),
        (WRONG_KIND, "arg-type"),
        (WRONG_FINISH_REASON, "arg-type"),
    ],
    ids=["missing-match-case", "wrong-field-type", "wrong-kind", "wrong-finish-reason"],
)
def test_mypy_rejects(snippet: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "case.py"
    path.write_text(textwrap.dedent(snippet))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout
    assert f"[{code}]" in result.stdout, result.stdout
