"""``python -m typedstream`` runs the ``typedstream`` command."""

from ._cli import main

raise SystemExit(main())
