"""`typedstream demo`: in process for each provider, and from the built wheel in a fresh venv.

The wheel test builds the wheel with uv, installs it with its ``demo`` extra into a new
virtualenv outside the repository, offline (from uv's cache, which installing the test
environment filled), and runs the ``typedstream`` script there with every non-loopback
HTTP request sent to a dead proxy.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from typedstream import _cli

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ("StreamStarted(", "TextDelta(", "ToolCallStarted(", "ArgumentsDelta(", "ToolCallDone(")


def assert_demo_output(out: str) -> None:
    for name in EVENTS:
        assert name in out
    assert out.index("ToolCallStarted(") < out.index("ArgumentsDelta(") < out.index("ToolCallDone(")
    assert "data: [DONE]" in out
    assert "no deviations" in out
    assert "loopback stopped" in out


@pytest.mark.parametrize("provider", ["anthropic", "openai", "gemini"])
def test_the_demo_streams_a_litellm_call_through_typedstream(
    litellm: Any, capsys: pytest.CaptureFixture[str], provider: str
) -> None:
    assert _cli.main(["demo", "--provider", provider]) == 0
    out = capsys.readouterr().out
    assert_demo_output(out)
    assert "get_weather" in out
    assert "get_time" in out


def test_python_m_typedstream_demo_runs_the_demo(
    litellm: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["typedstream", "demo"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("typedstream", run_name="__main__")
    assert exit_.value.code == 0
    assert_demo_output(capsys.readouterr().out)


def test_the_demo_says_what_to_install_when_litellm_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "litellm", None)  # makes `import litellm` fail
    assert _cli.main(["demo"]) == 2
    assert "pip install 'typedstream[demo]'" in capsys.readouterr().out


def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_the_demo_runs_from_the_wheel_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([uv(), "build", "--wheel", "--offline", "--quiet", "--out-dir", str(dist), str(ROOT)])
    (wheel,) = dist.glob("typedstream-*.whl")
    venv = tmp_path / "venv"
    run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    run(
        [
            uv(),
            "pip",
            "install",
            "--offline",
            "--quiet",
            "--python",
            str(python),
            "--constraint",
            str(ROOT / ".ci" / "constraints.txt"),
            f"{wheel}[demo]",
        ]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dead = "http://127.0.0.1:9"  # nothing listens: any request leaving the machine fails
    env |= {"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead}
    env |= {"NO_PROXY": "127.0.0.1,localhost", "NO_COLOR": "1"}
    where = run(
        [str(python), "-c", "import typedstream; print(typedstream.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)
    result = run([str(venv / "bin" / "typedstream"), "demo"], cwd=tmp_path, env=env)
    assert_demo_output(result.stdout)
