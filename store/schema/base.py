"""The one ``MetaData`` every table of the exchange is declared on (see ``store.schema``)."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
