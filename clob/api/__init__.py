"""The REST API: Polymarket CLOB V1 paths, bodies and shapes over `clob.service.exchange.ExchangeService`.

- `app`: `create_app(service, ...)`, the lifespan, one router per resource (`routers`); the composition root
  (`polyclob.api`) builds it from the settings.
- `deps`: Annotated dependencies (the service's parts, L1/L2 identities, admin token).
- `errors`: coded errors → HTTP statuses, ``{"error": ...}`` everywhere.
- `render`: service results → Polymarket's JSON shapes; `pagination`: ``MA==`` / ``LTE=`` cursors.
"""

from clob.api.app import create_app

__all__ = ["create_app"]
