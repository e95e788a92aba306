"""One router per resource; `clob.api.app.create_app` includes them all."""
