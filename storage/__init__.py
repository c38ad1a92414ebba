"""Plain SQL over one aiosqlite connection: the schema's migrations and one module per feature."""
