"""``python -m reconcile``: see ``reconcile.cli``."""

from reconcile.cli import main

raise SystemExit(main())
