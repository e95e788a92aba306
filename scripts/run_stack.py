"""``make run``'s entry point: the local stack (`polyclob.stack`; its flags: ``--help``)."""

from polyclob.stack import main

if __name__ == "__main__":
    raise SystemExit(main())
