"""Users, API tokens and web sessions.

Tokens are shown once and stored as SHA-256 hashes (they are 256-bit random, so a
slow hash adds nothing). The first start of a workspace creates the ``admin`` user
and its token; ``sluice up`` prints it and writes it to ``<home>/admin-token`` (0600).

A web session is opened with an API token and bound to it: it ends when that token is
revoked or expires (whichever comes first with its own ``session_hours``), it is listed
and revoked with the tokens, and it works only for the web UI, never as an API bearer.
Failed attempts with unknown secrets (guesses; not revoked or expired ones, which an open
page keeps sending) are counted per client address; past ``login_failures_per_minute``
the address gets 429 for a while, whatever it sends.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import aliased

from sluice.core.audit.service import AuditLog
from sluice.core.context import MEMBER, WORKSPACE_ADMIN, Ctx, Principal, Role
from sluice.core.limits.logins import FailedLogins
from sluice.errors import AlreadyExists, InvalidInput, NotFound, Unauthorized
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import MemberRow, ProjectRow, RoleRow, TokenRow, UserRow

TOKEN_PREFIX = "slc_"
SESSION_PREFIX = "sls_"
ADMIN = "admin"
_TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_DAYS = 36_500


class TokenInfo(BaseModel):
    """An API token or web session as listed (never the secret itself)."""

    id: str
    name: str
    user: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool
    kind: str = "api"
    parent: str | None = None  # a session's API token
    project: str | None = None  # the project it is scoped to (None: every project of its user)


class NewToken(TokenInfo):
    """A token just created; ``token`` is shown this once."""

    token: str


class UserInfo(BaseModel):
    """A user; ``role``: their role in the project asked about ("" if not a member),
    ``admin``: a workspace admin (every project, users, projects and roles)."""

    id: str
    name: str
    role: str
    created_at: datetime
    admin: bool = False


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


API, SESSION = "api", "session"
ANY_KIND = (API, SESSION)
_OPENER = aliased(TokenRow, name="opener")
# Built once: every request runs it, and building it per call cost more than the query.
_LOOKUP = (select(TokenRow, UserRow, _OPENER, ProjectRow.name, ProjectRow.deleted_at)
           .join(UserRow, TokenRow.user_id == UserRow.id)
           .outerjoin(_OPENER, TokenRow.parent_id == _OPENER.id)
           .outerjoin(ProjectRow, TokenRow.project_id == ProjectRow.id)
           .where(TokenRow.token_hash == bindparam("digest")))


class AuthService:
    def __init__(self, db: Database, audit: AuditLog, *, session_hours: float = 12.0,
                 failed_logins: FailedLogins | None = None) -> None:
        self.db = db
        self.audit = audit
        self.session_hours = session_hours
        self.failed_logins = failed_logins or FailedLogins(10)

    def bootstrap(self) -> NewToken | None:
        """Create the admin user and its first token on an empty workspace."""
        with self.db.lock("auth-bootstrap"):
            with self.db.session() as s:
                if s.scalar(select(UserRow.id).limit(1)) is not None:
                    return None
                user = UserRow(id=new_id(), name=ADMIN, role=WORKSPACE_ADMIN,
                               created_at=utcnow())
                s.add(user)
            token = self._issue(user.id, "bootstrap", None, kind=API)
        self.audit.record(None, "auth.bootstrap", f"user:{ADMIN}")
        return token

    def local_principal(self) -> Principal:
        """The workspace owner, for clients that open the workspace directly."""
        found = self.principal_by_name(ADMIN)
        return found or Principal(user_id="local", name="local", admin=True)

    def principal_by_name(self, name: str) -> Principal | None:
        with self.db.session() as s:
            user = s.scalar(select(UserRow).where(UserRow.name == name))
        if user is None:
            return None
        return Principal(user_id=user.id, name=user.name, admin=user.role == WORKSPACE_ADMIN)

    def create_user(self, ctx: Ctx, name: str, role: str | None = Role.VIEWER, *,
                    admin: bool = False) -> UserInfo:
        """Add a user with ``role`` in the caller's project (None: in none yet); ``admin``
        makes a workspace admin (every project, users, projects and roles)."""
        ctx.require_admin("create users")
        _check_name(name)
        if role is not None and not ctx.project_id:
            raise InvalidInput("a role needs a project to hold it in", code="project_needed")
        with self.db.session() as s:
            if s.scalar(select(UserRow.id).where(UserRow.name == name)):
                raise AlreadyExists(f"user {name!r} exists", code="user_exists")
            row = UserRow(id=new_id(), name=name, role=WORKSPACE_ADMIN if admin else MEMBER,
                          created_at=utcnow())
            s.add(row)
            if role is not None:
                if role not in Role.__members__.values() and s.get(RoleRow, role) is None:
                    raise NotFound(f"role {role!r} does not exist; `sluice roles list` shows "
                                   "them", code="role_not_found")
                s.flush()
                s.add(MemberRow(project_id=ctx.project_id, user_id=row.id, role=str(role),
                                created_at=utcnow()))
        self.audit.record(ctx, "user.create", f"user:{name}", role=str(role), admin=admin)
        return UserInfo(id=row.id, name=row.name, role=str(role or ""),
                        created_at=row.created_at, admin=admin)

    def list_users(self, ctx: Ctx) -> list[UserInfo]:
        """Every user, with their role in the caller's project (a workspace admin who is
        not a member acts as its admin)."""
        ctx.require_admin("list users")
        with self.db.reader() as s:
            rows = s.execute(select(UserRow, MemberRow.role).outerjoin(
                MemberRow, (MemberRow.user_id == UserRow.id)
                & (MemberRow.project_id == ctx.project_id)).order_by(UserRow.name)).all()
            return [UserInfo(id=r.id, name=r.name, created_at=r.created_at,
                             role=role or (Role.ADMIN if r.role == WORKSPACE_ADMIN else ""),
                             admin=r.role == WORKSPACE_ADMIN) for r, role in rows]

    def create_token(
        self, ctx: Ctx, name: str, *, user: str | None = None, expires_days: float | None = None,
        project: str | None = None,
    ) -> NewToken:
        """Issue an API token for yourself, or (admins) for another user; with ``project``
        it works in that project only (its user must belong to it)."""
        _check_name(name)
        if expires_days is not None and not 0 < expires_days <= MAX_TOKEN_DAYS:
            raise InvalidInput(f"expires_days must be more than 0 and at most {MAX_TOKEN_DAYS}",
                               code="invalid_expiry")
        target = user or ctx.actor.name
        if target != ctx.actor.name:
            ctx.require_admin("create tokens for other users")
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == target))
            if row is None:
                raise NotFound(f"user {target!r} does not exist", code="user_not_found")
            user_id = row.id
            scope = _scope(s, row, project, ctx.actor.project_id)
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        token = self._issue(user_id, name, expires, kind=API, project_id=scope)
        token.project = project or (ctx.actor.project if scope else None)
        self.audit.record(ctx, "token.create", f"token:{token.id}", name=name, user=target,
                          project=project)
        return token

    def list_tokens(self, ctx: Ctx, *, sessions: bool = False) -> list[TokenInfo]:
        """Your tokens (and, with ``sessions``, your web sessions); admins see everyone's."""
        kinds = ANY_KIND if sessions else (API,)
        with self.db.session() as s:
            q = (select(TokenRow, UserRow.name, ProjectRow.name).join(UserRow)
                 .outerjoin(ProjectRow, TokenRow.project_id == ProjectRow.id)
                 .where(TokenRow.kind.in_(kinds)))
            if not ctx.actor.admin:
                q = q.where(TokenRow.user_id == ctx.actor.user_id)
            return [_token_info(t, u, p) for t, u, p in s.execute(q.order_by(TokenRow.id))]

    def revoke_token(self, ctx: Ctx, token_id: str) -> TokenInfo:
        """Revoke a token (and the web sessions opened with it) or one web session."""
        with self.db.session() as s:
            row = s.get(TokenRow, token_id) if isinstance(token_id, str) else None
            if row is None or row.kind not in ANY_KIND:
                raise NotFound(f"token {token_id} does not exist", code="token_not_found")
            if row.user_id != ctx.actor.user_id:
                ctx.require_admin("revoke other users' tokens")
            now = utcnow()
            row.revoked_at = row.revoked_at or now
            s.execute(update(TokenRow).where(TokenRow.parent_id == row.id,
                                             TokenRow.revoked_at.is_(None))
                      .values(revoked_at=now))
            owner = s.get(UserRow, row.user_id)
            info = _token_info(row, owner.name if owner else "?")
        self.audit.record(ctx, f"{row.kind}.revoke", f"token:{token_id}")
        return info

    def authenticate(self, secret: str | None, *, client: str | None = None,
                     kinds: tuple[str, ...] = (API,)) -> Principal:
        """The principal behind an API token (or, where ``kinds`` allows, a web session).

        Args:
            client: the caller's address; failures are counted against it.

        Raises:
            Unauthorized: missing, unknown, revoked or expired credentials, or a session
                secret where only API tokens are accepted.
            RateLimited: too many failures from ``client`` in the last minute.
        """
        if not secret:
            raise Unauthorized(
                "this route needs a token: send 'Authorization: Bearer <token>' "
                "(create one with `sluice tokens create`)",
                code="token_missing",
            )
        if client is not None:
            self.failed_logins.check(client)
        try:
            token_id, principal, stale = self._lookup(secret, kinds)
        except Unauthorized as exc:
            if client is not None and exc.code == "token_invalid":  # a guess, not a stale
                self.failed_logins.failed(client)                   # cookie or old token
            raise
        if stale:
            with self.db.session() as s:
                row = s.get(TokenRow, token_id)
                if row is not None:
                    self._touch(s, row)
        return principal

    def _lookup(self, secret: str, kinds: tuple[str, ...]) -> tuple[str, Principal, bool]:
        with self.db.reader() as s:  # most calls only read; no writer lock taken
            found = s.execute(_LOOKUP, {"digest": hash_secret(secret)}).first()
            if found is None:
                raise Unauthorized("the token is not valid", code="token_invalid")
            token, user, opener, project, deleted_at = found
            if token.kind not in kinds:
                raise Unauthorized("a web session works only in the web UI; send an API "
                                   "token (`sluice tokens create`)", code="session_not_allowed")
            _check_usable(token, user)
            if opener is not None:
                _check_opener(opener)
            if token.project_id is not None and (project is None or deleted_at is not None):
                raise Unauthorized("the project this token is scoped to was deleted; restore "
                                   "it (`sluice projects restore`) or use another token",
                                   code="token_project_deleted")
            principal = Principal(user_id=user.id, name=user.name,
                                  admin=user.role == WORKSPACE_ADMIN,
                                  token_id=token.parent_id or token.id,
                                  project_id=token.project_id, project=project)
            stale = token.last_used_at is None or utcnow() - token.last_used_at > _TOUCH_EVERY
            return token.id, principal, stale

    def login(self, api_token: str, *, client: str | None = None) -> str:
        """Exchange an API token for a web session secret (the cookie value); the session
        ends with the token, or after ``session_hours``, whichever comes first."""
        principal = self.authenticate(api_token, client=client)
        assert principal.token_id is not None
        expires = utcnow() + timedelta(hours=self.session_hours)
        with self.db.reader() as s:
            opener = s.get(TokenRow, principal.token_id)
            if opener is not None and opener.expires_at is not None:
                expires = min(expires, opener.expires_at)
        session = self._issue(principal.user_id, "web", expires, kind=SESSION,
                              parent_id=principal.token_id, project_id=principal.project_id)
        self.audit.record(None, "auth.login", f"user:{principal.name}")
        return session.token

    def logout(self, session_secret: str) -> None:
        with self.db.session() as s:
            s.execute(
                update(TokenRow)
                .where(TokenRow.token_hash == hash_secret(session_secret),
                       TokenRow.kind == SESSION)
                .values(revoked_at=utcnow())
            )

    def _issue(
        self, user_id: str, name: str, expires: datetime | None, *, kind: str,
        parent_id: str | None = None, project_id: str | None = None,
    ) -> NewToken:
        secret = (SESSION_PREFIX if kind == SESSION else TOKEN_PREFIX) + secrets.token_urlsafe(32)
        row = TokenRow(
            id=new_id(), user_id=user_id, name=name, token_hash=hash_secret(secret),
            prefix=secret[:10], kind=kind, created_at=utcnow(), expires_at=expires,
            parent_id=parent_id, project_id=project_id,
        )
        with self.db.session() as s:
            s.add(row)
            user = s.get(UserRow, user_id)
            info = _token_info(row, user.name if user else "?")
        return NewToken(**info.model_dump(), token=secret)

    @staticmethod
    def _touch(s: object, token: TokenRow) -> None:
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            token.last_used_at = now


def _check_usable(token: TokenRow, user: UserRow) -> None:
    if token.revoked_at is not None and token.kind == SESSION:
        raise Unauthorized("this web session was ended (logged out, or its token revoked); "
                           "log in again", code="session_revoked")
    if token.revoked_at is not None:
        raise Unauthorized("the token was revoked", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Unauthorized("the token expired; create a new one", code="token_expired")
    if user.disabled:
        raise Unauthorized(f"user {user.name} is disabled", code="user_disabled")


def _check_opener(opener: TokenRow) -> None:
    if opener.revoked_at is not None:
        raise Unauthorized("the token this session was opened with was revoked; log in "
                           "again", code="session_revoked")
    if opener.expires_at is not None and opener.expires_at <= utcnow():
        raise Unauthorized("the token this session was opened with expired; log in with a "
                           "new one", code="session_expired")


def _token_info(row: TokenRow, user: str, project: str | None = None) -> TokenInfo:
    return TokenInfo(
        id=row.id, name=row.name, user=user, prefix=row.prefix, created_at=row.created_at,
        expires_at=row.expires_at, last_used_at=row.last_used_at,
        revoked=row.revoked_at is not None, kind=row.kind or API, parent=row.parent_id,
        project=project,
    )


def _scope(s: Any, user: UserRow, project: str | None, caller_scope: str | None) -> str | None:
    """The id of the project a new token is scoped to: ``project`` (its user must belong
    to it); a caller whose own token is scoped passes that scope on."""
    if project is None:
        return caller_scope
    row = s.scalar(select(ProjectRow).where(ProjectRow.name == project,
                                            ProjectRow.deleted_at.is_(None)))
    member = row is not None and (user.role == WORKSPACE_ADMIN or s.get(
        MemberRow, (row.id, user.id)) is not None)
    if not member or caller_scope not in (None, row.id):
        raise NotFound(f"project {project!r} does not exist, or {user.name} is not a member",
                       code="project_not_found", details={"project": str(project)[:200]})
    return str(row.id)


def _check_name(name: str) -> None:
    if not name or len(name) > 128 or not name.isprintable():
        raise InvalidInput("names must be 1-128 printable characters", code="invalid_name")
