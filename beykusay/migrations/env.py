"""Alembic environment: runs on the connection handed over by beykusay.db."""

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

from beykusay import models  # noqa: F401  (registers the tables)

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


given = config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:  # the alembic command line, with sqlalchemy.url in its config
    with create_engine(config.get_main_option("sqlalchemy.url")).connect() as own:
        run_migrations(own)
