"""The ``jalon`` command: serve, migrate, keys, openapi."""

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.db import EMBEDDED_DATABASE
from app.embedded import EmbeddedPostgres, ensure_database
from app.migrate import upgrade_to_head
from app.settings import Settings, load_settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")


# every option's help says its default
WITH_DEFAULTS = argparse.ArgumentDefaultsHelpFormatter


def parser() -> argparse.ArgumentParser:
    jalon = argparse.ArgumentParser(
        prog="jalon",
        description=__doc__,
        formatter_class=WITH_DEFAULTS,
        epilog="Without JALON_DATABASE_URL, an embedded PostgreSQL is started in "
        "JALON_DATA_DIR. Settings are JALON_* environment variables (README).",
    )
    commands = jalon.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=summary, formatter_class=WITH_DEFAULTS
        )

    serve = command("serve", "migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also load the demo data set, and print a new demo admin key (and how many "
        "earlier ones are still valid)",
    )

    command("migrate", "bring the database schema to the latest revision")
    command("demo", "load the demo data set: structures, annexes, companies, a network")

    keys = command("keys", "manage API keys")
    key_commands = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create",
        help="create a key and print its secret once",
        description="create a key and print its secret once",
        formatter_class=WITH_DEFAULTS,
    )
    create.add_argument(
        "--role",
        required=True,
        choices=["admin", "structure", "company", "network"],
        help="what the key may see",
    )
    create.add_argument("--name", default="created from the command line", help="its label")
    create.add_argument("--scopes", default="read,write", help="comma-separated: read,write")
    create.add_argument("--structure-id", help="the structure of a structure key")
    create.add_argument("--company-id", help="the company of a company key")
    create.add_argument("--network-id", help="the network of a network key")

    purge = command(
        "purge",
        "pseudonymise the salariés whose parcours ended longer ago than "
        "JALON_RETENTION_DAYS; forget old webhook deliveries and idempotency records",
    )
    purge.add_argument("--dry-run", action="store_true", help="count them, change nothing")

    openapi = command("openapi", "write the OpenAPI document")
    openapi.add_argument(
        "--output", type=Path, default=DEFAULT_OPENAPI_PATH, help="where to write it"
    )
    return jalon


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "openapi":
        return write_openapi(args.output)
    settings = load_settings()
    with database(settings) as url:
        try:
            upgrade_to_head(url)
        except (OSError, SQLAlchemyError) as error:
            print(
                f"jalon: cannot reach PostgreSQL at {_shown(url)}: {_cause(error)}", file=sys.stderr
            )
            return 1
        if args.command == "keys":
            return create_key_command(url, args)
        if args.command == "demo":
            load_demo(url)
        if args.command == "purge":
            return purge_command(url, settings, args)
        if args.command == "serve":
            return serve_command(url, settings, args)
    return 0


def _shown(url: str) -> str:
    """The URL with its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def _cause(error: BaseException) -> str:
    """The driver's own words: the first line of the innermost error."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def write_openapi(output: Path) -> int:
    from app.main import create_app, openapi_document

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(openapi_document(create_app()))
    print(f"wrote {output}")
    return 0


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL; an embedded server that this command started stops with it."""
    if settings.sqlalchemy_url is not None:
        yield settings.sqlalchemy_url
        return
    server = EmbeddedPostgres(settings.data_dir)
    started = server.ensure_running()
    try:
        asyncio.run(ensure_database(server, EMBEDDED_DATABASE))
        yield server.url(EMBEDDED_DATABASE)
    finally:
        if started:
            server.stop()


def create_key_command(url: str, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from app.keys.schemas import KeyCreate
    from app.keys.service import issue_in

    try:
        values = KeyCreate(
            name=args.name,
            role=args.role,
            scopes=[scope for scope in args.scopes.split(",") if scope],
            structure_id=args.structure_id,
            company_id=args.company_id,
            network_id=args.network_id,
        )
    except ValidationError as error:
        print(f"jalon keys create: {error.errors()[0]['msg']}", file=sys.stderr)
        return 2
    created = asyncio.run(issue_in(url, values))
    print(f"created {created.role.value} key {created.id}; its secret, shown once:")
    print(created.secret)
    return 0


def purge_command(url: str, settings: Settings, args: argparse.Namespace) -> int:
    import datetime as dt

    from app.idempotency.admission import forget_expired_in
    from app.salaries.privacy import purge_in
    from app.webhooks.dispatcher import prune_webhooks_in

    count = asyncio.run(
        purge_in(
            url,
            today=dt.date.today(),
            retention_days=settings.retention_days,
            dry_run=args.dry_run,
        )
    )
    verb = "would pseudonymise" if args.dry_run else "pseudonymised"
    print(f"{verb} {count} salariés (retention: {settings.retention_days} days)")
    if not args.dry_run:
        deliveries, events = asyncio.run(prune_webhooks_in(url, settings.webhook_retention_days))
        print(
            f"forgot {deliveries} webhook deliveries and {events} events "
            f"(retention: {settings.webhook_retention_days} days)"
        )
        retries = asyncio.run(forget_expired_in(url))
        print(f"forgot {retries} idempotency records older than 24 hours")
    return 0


def load_demo(url: str) -> None:
    from app.demo import load_into

    added = asyncio.run(load_into(url))
    print("demo data: " + ", ".join(f"{count} {kind} added" for kind, count in added.items()))


def serve_command(url: str, settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.demo:
        from app.keys.service import issue_demo_admin_in

        load_demo(url)
        demo, earlier = asyncio.run(issue_demo_admin_in(url))
        print(f"demo admin key (shown once): {demo.secret}", flush=True)
        if earlier:
            print(
                f"{earlier} earlier demo admin key(s) still valid: GET /v1/keys lists them, "
                "POST /v1/keys/{id}/revoke revokes one",
                flush=True,
            )
    from app.salaries.nir import nir_key

    # the workers must agree on the URL (not start servers of their own), on the
    # cursor-signing secret and on the NIR hash key
    os.environ["JALON_NIR_HASH_KEY"] = nir_key(settings).decode()
    os.environ["JALON_DATABASE_URL"] = url
    os.environ.setdefault("JALON_SECRET_KEY", settings.secret_key.get_secret_value())
    from app.logs import uvicorn_log_config

    # uvicorn re-raises the SIGTERM it handled once it has shut down: let it unwind the
    # stack, so that an embedded PostgreSQL this command started is stopped too
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(
        "app.main:create_app",
        log_config=uvicorn_log_config(settings.log_format, settings.log_level),
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=30,
    )
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    raise SystemExit(main())
