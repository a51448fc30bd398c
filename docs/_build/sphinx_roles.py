"""A griffe extension: Sphinx cross-reference roles in docstrings become mkdocs links.

typedstream's docstrings use Sphinx roles (``:class:`~typedstream.Accumulator```,
``:func:`events```), which read well in editors and ``help()``. mkdocstrings renders
Markdown, so each role is rewritten to an autorefs link (``[Accumulator][typedstream.Accumulator]``)
when its target is a public object of the package, and to inline code otherwise (private
helpers, attributes of the documented object). Rewriting only targets that exist keeps
``mkdocs build --strict`` free of unresolved references. A trailing ``::`` (reST's "a literal
block follows") becomes ``:``; the indented block after it is already Markdown code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|exc|obj|mod|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"(?m)(\S)::$")
_ALONE_LITERAL_BLOCK = re.compile(r"(?m)^\s*::$\n?")


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles of every docstring of the package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        public = _public_paths(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj.docstring.value, obj, public)


def _walk(obj: griffe.Object, seen: set[str] | None = None) -> list[griffe.Object]:
    seen = set() if seen is None else seen
    found: list[griffe.Object] = []
    if obj.path in seen:
        return found
    seen.add(obj.path)
    found.append(obj)
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(_walk(member, seen))  # type: ignore[arg-type]
    return found


def _public_paths(pkg: griffe.Module) -> dict[str, str]:
    """Every public object, under each name a docstring may use, to its canonical path."""
    names: dict[str, str] = {}
    exported: list[str] = [str(name) for name in pkg.exports or ()]
    for name in exported:
        path = f"{pkg.name}.{name}"
        names[name] = names[path] = path
        member = pkg.members[name]
        target = member.final_target if member.is_alias else member  # type: ignore[union-attr]
        for sub_name, sub in target.members.items():
            if sub_name.startswith("_") or sub.is_alias:
                continue
            sub_path = f"{path}.{sub_name}"
            names[f"{name}.{sub_name}"] = names[sub_path] = sub_path
    return names


def _rewrite(text: str, obj: griffe.Object, public: dict[str, str]) -> str:
    def link(match: re.Match[str]) -> str:
        short, target = match.group(1) == "~", match.group(2).strip()
        path = public.get(target)
        if path is None and obj.parent is not None:
            # A name relative to the documented class (":meth:`parse`" inside Tools).
            owner = obj if obj.is_class else obj.parent
            path = public.get(f"{owner.name}.{target}")
        shown = target.rsplit(".", 1)[-1] if short else target
        if path is None:
            return f"`{shown}`"
        return f"[`{shown}`][{path}]"

    text = _ROLE.sub(link, text)
    text = _ALONE_LITERAL_BLOCK.sub("", text)
    return _LITERAL_BLOCK.sub(r"\1:", text)
