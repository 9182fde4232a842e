"""``sluice tokens ...``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, table

app = typer.Typer(no_args_is_help=True)


@app.command()
def create(name: str, as_json: JsonOpt = False,
           user: Annotated[str | None, typer.Option(help="For another user (admins).")] = None,
           expires_days: Annotated[float | None, typer.Option()] = None,
           only_project: Annotated[str | None, typer.Option(
               "--only-project", help="Scope it to this project (it works nowhere else)."),
           ] = None) -> None:
    """Create an API token; the secret is printed once."""
    s = state(as_json)
    token = s.client().tokens.create(name, user=user, expires_days=expires_days,
                                     project=only_project)
    if s.json:
        return print_json(token)
    kv([("id", token.id), ("user", token.user), ("project", token.project or "any of theirs"),
        ("expires", token.expires_at or "never")])
    out.print(f"[bold]token:[/] {token.token}", highlight=False)
    out.print("[dim]Shown once: store it now.[/]")


@app.command("list")
def list_(as_json: JsonOpt = False,
          sessions: Annotated[bool, typer.Option(
              help="Also list web sessions, with the token each was opened with.")] = False,
          ) -> None:
    """Your tokens (admins: everyone's)."""
    s = state(as_json)
    tokens = s.client().tokens.list(sessions=sessions)
    if s.json:
        return print_json(tokens)
    table("Tokens", ["id", "kind", "name", "user", "project", "prefix", "created", "expires",
                     "last used", "opened with", "revoked"], [
        (t.id, t.kind, t.name, t.user, t.project or "", t.prefix + "…", t.created_at,
         t.expires_at or "", t.last_used_at or "", t.parent or "", "yes" if t.revoked else "")
        for t in tokens])


@app.command()
def revoke(token_id: str, as_json: JsonOpt = False) -> None:
    """Revoke a token (and the web sessions opened with it), or one web session."""
    s = state(as_json)
    token = s.client().tokens.revoke(token_id)
    print_json(token) if s.json else out.print(f"revoked {token.id} ({token.name})")


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="tokens",
                   help="Create, list and revoke API tokens.")
