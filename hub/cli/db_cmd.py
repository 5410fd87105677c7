"""``billing-hub db upgrade``: bring the store's schema to this version's, explicitly.

Every command upgrades the store it opens by itself (under the store's
migration lock, so processes started together wait for each other); this
command does it on its own, for a deployment step before the workers start,
and says what it did.
"""

from __future__ import annotations

import typer

from hub.cli.console import out
from hub.cli.session import CliState
from hub.config import load_config

app = typer.Typer(help="The store's schema: upgrade it to this version of billing-hub.",
                  no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the store's tables to the newest schema.

    While another process upgrades the same store, this one waits for it.
    """
    from hub.store import create_engine, current_revision, migrate, shown_url

    state: CliState = ctx.obj
    config = load_config(state.config_path)
    url = config.store_url()
    engine = create_engine(url)
    try:
        before = current_revision(engine)
        changed = migrate(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = shown_url(url)
    if not changed:
        out.print(f"The store at {where} already has the newest schema ({after}).")
    elif before is None:
        out.print(f"Created the store's tables at {where} (schema {after}).")
    else:
        out.print(f"Upgraded the store at {where} from schema {before} to {after}.")
