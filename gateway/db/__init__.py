"""Database layer: SQLModel tables, the async engine and session factory."""
