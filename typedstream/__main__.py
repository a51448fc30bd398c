"""``python -m typedstream`` runs the ``typedstream`` command (see ``typedstream --help``)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
