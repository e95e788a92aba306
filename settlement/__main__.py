from settlement.cli import main

raise SystemExit(main())
