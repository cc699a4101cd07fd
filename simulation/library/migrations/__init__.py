"""Alembic migrations of the scenario library; run by ``simulation.library.db.migrate`` (see its docstring)."""
