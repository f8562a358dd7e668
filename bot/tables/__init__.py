"""The database, one module per table (bot/store.py puts them together as `Store`)."""
