"""``billing-hub serve``: the hub's HTTP service (webhooks, the coordinator's page) in the
foreground."""

from __future__ import annotations

import contextlib

import typer

from hub.cli.console import err, out, styled
from hub.cli.session import CliState, open_hub
from hub.web.settings import WebSettings


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", show_default="[web] host, 127.0.0.1",
                                    help="The address to listen on."),
    port: int | None = typer.Option(None, "--port", min=1, max=65_535,
                                    show_default="[web] port, 8000", help="The port."),
    no_process: bool = typer.Option(
        False, "--no-process",
        help="Only record deliveries; sync them with `billing-hub webhooks process`."),
) -> None:
    """Serve webhooks (POST /webhooks/NAME) and the coordinator's page until Ctrl-C."""
    from hub.web.app import create_app  # the web framework only for this command
    from hub.web.server import run

    state: CliState = ctx.obj
    with open_hub(state) as hub:
        settings = hub.settings(WebSettings)
        bind_host = host or settings.host
        bind_port = port or settings.port
        app = create_app(hub,
                         process_webhooks=False if no_process else None)
        base = f"http://{bind_host}:{bind_port}"
        names = sorted(app.state.hub.receivers)
        out.print(f"billing-hub listening on {base} (Ctrl-C stops it)")
        if names:
            for name in names:
                out.print(f"  webhooks for {name}: POST {base}/webhooks/{name}")
        else:
            err.print(styled("[yellow]no enabled connector receives webhooks[/] (a Stripe "
                             "connector needs webhook_secret = \"env:NAME\"); every delivery "
                             "will be answered 404"))
        if app.state.hub.gate is not None:
            out.print(f"the coordinator's page: {base}/ (sign in with your name and the "
                      "[web] coordinator_password)")
        else:
            out.print("the coordinator's page is off: set [web] coordinator_password = "
                      "\"env:NAME\" to turn it on")
        worker = app.state.hub.worker
        out.print("deliveries are synced as they arrive" if worker is not None else
                  "deliveries are only recorded: run `billing-hub webhooks process` to sync them")
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops, then passes Ctrl-C on
            run(app, bind_host, bind_port)
    out.print("billing-hub serve stopped.")
