"""The public surface: `__all__`, and what `import typedstream` costs."""

from __future__ import annotations

import re
import subprocess
import sys

import typedstream


def test_all_is_sorted_and_every_name_exists() -> None:
    assert typedstream.__all__ == sorted(typedstream.__all__)
    for name in typedstream.__all__:
        assert hasattr(typedstream, name), name


def test_public_names_are_exactly_all() -> None:
    public = {n for n in vars(typedstream) if not n.startswith("_")}
    # The test kit is a subpackage imported explicitly, never by `import typedstream`.
    assert public - {"testing"} == set(typedstream.__all__)


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


# -- typedstream.testing, the public test kit ----------------------------------------------------


def test_the_test_kits_all_is_sorted_and_every_name_exists() -> None:
    import typedstream.testing as kit

    # ruff's order (RUF022): constants, then classes, then functions, each alphabetical
    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert kit.__all__ == sorted(kit.__all__, key=order)
    for name in kit.__all__:
        assert hasattr(kit, name), name


def test_the_test_kits_public_names_are_exactly_all() -> None:
    import types

    import typedstream.testing as kit

    public = {
        name
        for name, value in vars(kit).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert public == set(kit.__all__)


def test_every_name_of_the_test_kit_has_an_api_reference_entry() -> None:
    from pathlib import Path

    import typedstream.testing as kit

    page = Path(__file__).resolve().parents[1] / "docs" / "reference" / "testing.md"
    documented = set(re.findall(r"(?m)^::: typedstream\.testing\.(\w+)\s*$", page.read_text()))
    assert documented == set(kit.__all__)


def test_the_test_kit_is_neither_imported_by_typedstream_nor_imports_litellm() -> None:
    code = (
        "import sys, typedstream; assert 'typedstream.testing' not in sys.modules; "
        "import typedstream.testing; "
        "print(sorted(m for m in ('litellm', 'pytest') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_private_loopback_module_only_re_exports_the_test_kit() -> None:
    import typedstream._loopback as old
    import typedstream.testing as kit

    assert old.__all__ == kit.__all__
    assert all(getattr(old, name) is getattr(kit, name) for name in kit.__all__)
