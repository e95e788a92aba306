"""Unit tests of clob.auth."""
