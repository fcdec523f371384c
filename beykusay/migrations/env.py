"""Alembic environment: runs against the engine handed over by beykusay.db."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from beykusay import models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
