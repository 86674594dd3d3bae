"""Option values the commands parse themselves: dates (exit 2 naming the option), the ``--now``
instant (RFC 3339, UTC when no offset is given) and the zip password (from an environment
variable or standard input, never from the command line).
"""

from __future__ import annotations

import datetime as dt
import sys

import typer

__all__ = ["date", "instant", "password"]


def date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: {name} must be a date like 2026-11-02", err=True)
        raise typer.Exit(2) from None


def instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        typer.echo("error: --now must be an RFC 3339 time like 2026-11-25T10:00:00Z", err=True)
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def password(env_name: str | None, stdin: bool) -> str:
    import os

    from ..errors import RequestError

    if stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif env_name:
        value = os.environ.get(env_name, "")
        if not value:
            raise RequestError(f"environment variable {env_name} holding the zip password is not set")
    else:
        raise RequestError("--encrypt needs --password-env NAME or --password-stdin")
    return value
