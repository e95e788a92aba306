"""``python -m polyclob``: the local stack, as ``make run`` starts it (`polyclob.stack`)."""

from polyclob.stack import main

raise SystemExit(main())
