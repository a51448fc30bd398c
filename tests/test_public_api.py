"""The public surface: `__all__`, and what `import typedstream` costs."""

from __future__ import annotations

import subprocess
import sys

import typedstream


def test_all_is_sorted_and_every_name_exists() -> None:
    assert typedstream.__all__ == sorted(typedstream.__all__)
    for name in typedstream.__all__:
        assert hasattr(typedstream, name), name


def test_public_names_are_exactly_all() -> None:
    public = {n for n in vars(typedstream) if not n.startswith("_")}
    assert public == set(typedstream.__all__)


def test_import_loads_neither_litellm_nor_openai_nor_pydantic() -> None:
    code = (
        "import sys, typedstream; "
        "print(sorted(m for m in ('litellm', 'openai', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_events_from_sse_bytes_load_neither_openai_nor_pydantic() -> None:
    code = (
        "import sys, typedstream; "
        'list(typedstream.events(b\'data: {"choices": [{"delta": {"content": "a"}}]}\\n\\n\''
        " b'data: [DONE]\\n\\n')); "
        "print(sorted(m for m in ('litellm', 'openai', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
