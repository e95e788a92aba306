"""Unit tests of clob.orders."""
