"""Registered models and their versions; aliases (``@production``) whose every move is
recorded in the audit log with who, when, from and to."""

from __future__ import annotations

import builtins
import contextlib
import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sluice.core.context import Ctx
from sluice.core.events.log import emit
from sluice.core.events.models import AliasMoved, ModelVersionCreated
from sluice.core.registry.models import AliasChange, ModelCard, ModelVersion, RegisteredModel
from sluice.core.tracking.experiments import now_ms
from sluice.errors import AlreadyExists, InvalidInput, NotFound
from sluice.ids import new_id
from sluice.storage.metadata.schema import (
    AuditEventRow,
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sluice.core.audit.service import AuditLog
    from sluice.core.lineage.service import LineageService
    from sluice.core.registry.loading import LoadedModel
    from sluice.core.tracking.service import TrackingService
    from sluice.storage.metadata.database import Database

_ALIAS = re.compile(r"^[A-Za-z_][\w\-]{0,127}$")
_RESERVED = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)


class RegistryService:
    def __init__(self, db: Database, audit: AuditLog, tracking: TrackingService) -> None:
        self.db = db
        self.audit = audit
        self.tracking = tracking

    # registered models
    def create(self, ctx: Ctx, name: str, *, description: str = "",
               tags: dict[str, str] | None = None) -> RegisteredModel:
        ctx.require("models.write", "register models")
        name = _check_name(name)
        stamp = now_ms()
        try:
            with self.db.session() as s:
                row = RegisteredModelRow(id=new_id(), project_id=ctx.project_id, name=name,
                                         description=description or "",
                                         tags={k: str(v) for k, v in (tags or {}).items()},
                                         created_ms=stamp, updated_ms=stamp,
                                         created_by=ctx.actor.name)
                s.add(row)
                s.flush()
                model = _registered(s, row)
        except IntegrityError:
            raise AlreadyExists(f"registered model {name!r} already exists",
                                code="registered_model_exists", details={"name": name}) from None
        self.audit.record(ctx, "model.create", name)
        return model

    def get(self, ctx: Ctx, name: str) -> RegisteredModel:
        with self.db.reader() as s:
            return _registered(s, self.row(s, ctx, name))

    def list(self, ctx: Ctx, *, name_like: str | None = None) -> list[RegisteredModel]:
        q = select(RegisteredModelRow).where(RegisteredModelRow.project_id == ctx.project_id)
        if name_like:
            q = q.where(RegisteredModelRow.name.like(name_like))
        with self.db.reader() as s:
            return [_registered(s, r) for r in s.scalars(q.order_by(RegisteredModelRow.name))]

    def update(self, ctx: Ctx, name: str, *, description: str | None = None,
               tags: dict[str, str] | None = None) -> RegisteredModel:
        ctx.require("models.write", "change models")
        with self.db.session() as s:
            row = self.row(s, ctx, name)
            if description is not None:
                row.description = description
            if tags:
                row.tags = {**row.tags, **{k: str(v) for k, v in tags.items()}}
            row.updated_ms = now_ms()
            model = _registered(s, row)
        self.audit.record(ctx, "model.update", name, description=description is not None,
                          tags=sorted(tags or {}))
        return model

    def delete(self, ctx: Ctx, name: str) -> None:
        ctx.require("models.write", "delete models")
        with self.db.session() as s:
            row = self.row(s, ctx, name)
            for table in (ModelAliasRow, ModelVersionRow):
                for child in s.scalars(select(table).where(table.model_id == row.id)):
                    s.delete(child)
            s.flush()
            s.delete(row)
        self.audit.record(ctx, "model.delete", name)

    # versions
    def create_version(self, ctx: Ctx, name: str, source: str, *, run_id: str | None = None,
                       logged_model_id: str | None = None, description: str = "",
                       tags: dict[str, str] | None = None) -> ModelVersion:
        """A new version (1, 2, ...) from a logged model, a run artifact or an artifact URI."""
        ctx.require("models.write", "register model versions")
        logged_model_id = logged_model_id or _logged_model_of(source)
        run_id = run_id or _run_of(source)
        if logged_model_id:
            self.tracking.models.get(ctx, logged_model_id)
        if run_id:
            self.tracking.runs.get(ctx, run_id)
        for _ in range(10):  # concurrent registrations race for the next number
            try:
                version = self._insert_version(ctx, name, source, run_id, logged_model_id,
                                               description, tags or {})
                break
            except IntegrityError:
                continue
        else:
            raise AlreadyExists(f"could not number a new version of {name!r}; retry",
                                code="version_conflict")
        self.audit.record(ctx, "model.version.create", name, version=version.version,
                          source=source)
        return version

    def _insert_version(self, ctx: Ctx, name: str, source: str, run_id: str | None,
                        logged_model_id: str | None, description: str,
                        tags: dict[str, str]) -> ModelVersion:
        with self.db.session() as s:
            model = self.row(s, ctx, name)
            number = (s.scalar(select(func.max(ModelVersionRow.version))
                               .where(ModelVersionRow.model_id == model.id)) or 0) + 1
            stamp = now_ms()
            row = ModelVersionRow(id=new_id(), model_id=model.id, version=number,
                                  source=source, run_id=run_id,
                                  logged_model_id=logged_model_id, status="READY",
                                  description=description or "",
                                  tags={k: str(v) for k, v in tags.items()},
                                  created_ms=stamp, updated_ms=stamp,
                                  created_by=ctx.actor.name)
            s.add(row)
            model.updated_ms = stamp
            s.flush()
            emit(s, ctx, ModelVersionCreated(model=model.name, version=number, run_id=run_id,
                                             source=source))
            return _version(s, model, row)

    def version(self, ctx: Ctx, name: str, version: int | str) -> ModelVersion:
        """A version by number, ``latest``, or ``@alias``/alias name."""
        with self.db.reader() as s:
            model = self.row(s, ctx, name)
            return _version(s, model, self._version_row(s, model, version))

    def versions(self, ctx: Ctx, name: str) -> builtins.list[ModelVersion]:
        with self.db.reader() as s:
            model = self.row(s, ctx, name)
            rows = s.scalars(select(ModelVersionRow).where(ModelVersionRow.model_id == model.id)
                             .order_by(ModelVersionRow.version.desc()))
            return [_version(s, model, r) for r in rows]

    def versions_of_run(self, ctx: Ctx, run_id: str) -> builtins.list[ModelVersion]:
        """The model versions registered from a run (its outputs in the registry)."""
        with self.db.reader() as s:
            rows = s.execute(select(ModelVersionRow, RegisteredModelRow)
                             .join(RegisteredModelRow)
                             .where(ModelVersionRow.run_id == run_id,
                                    RegisteredModelRow.project_id == ctx.project_id)).all()
            return [_version(s, model, row) for row, model in rows]

    def update_version(self, ctx: Ctx, name: str, version: int, *,
                       description: str | None = None,
                       tags: dict[str, str] | None = None) -> ModelVersion:
        ctx.require("models.write", "change model versions")
        with self.db.session() as s:
            model = self.row(s, ctx, name)
            row = self._version_row(s, model, version)
            if description is not None:
                row.description = description
            if tags:
                row.tags = {**row.tags, **{k: str(v) for k, v in tags.items()}}
            row.updated_ms = now_ms()
            found = _version(s, model, row)
        self.audit.record(ctx, "model.version.update", name, version=found.version,
                          description=description is not None, tags=sorted(tags or {}))
        return found

    # aliases
    def set_alias(self, ctx: Ctx, name: str, alias: str, version: int) -> ModelVersion:
        ctx.require("models.promote", "move model aliases")
        alias = _check_alias(alias)
        with self.db.lock(f"model-alias:{ctx.project_id}:{name}"), self.db.session() as s:
            model = self.row(s, ctx, name)
            target = self._version_row(s, model, int(version))
            row = s.get(ModelAliasRow, (model.id, alias))
            previous = row.version if row else None
            if row is None:
                s.add(ModelAliasRow(model_id=model.id, alias=alias, version=target.version))
            else:
                row.version = target.version
            s.flush()
            emit(s, ctx, AliasMoved(model=model.name, alias=alias, from_version=previous,
                                    to_version=target.version))
            result = _version(s, model, target)
        self.audit.record(ctx, "model.alias.set", name, alias=alias,
                          from_version=previous, to_version=target.version)
        return result

    def delete_alias(self, ctx: Ctx, name: str, alias: str) -> None:
        ctx.require("models.promote", "move model aliases")
        with self.db.session() as s:
            model = self.row(s, ctx, name)
            row = s.get(ModelAliasRow, (model.id, alias))
            if row is None:
                raise NotFound(f"model {name!r} has no alias {alias!r}",
                               code="alias_not_found")
            previous = row.version
            s.delete(row)
            emit(s, ctx, AliasMoved(model=model.name, alias=alias, from_version=previous,
                                    to_version=None))
        self.audit.record(ctx, "model.alias.delete", name, alias=alias,
                          from_version=previous, to_version=None)

    def alias_history(self, ctx: Ctx, name: str) -> builtins.list[AliasChange]:
        with self.db.reader() as s:
            self.row(s, ctx, name)
            rows = s.scalars(select(AuditEventRow).where(
                AuditEventRow.project_id == ctx.project_id, AuditEventRow.target == name,
                AuditEventRow.action.in_(("model.alias.set", "model.alias.delete")))
                .order_by(AuditEventRow.id.desc()).limit(500))
            return [AliasChange(at=r.at.isoformat(), actor=r.actor,
                                alias=r.details.get("alias", ""),
                                from_version=r.details.get("from_version"),
                                to_version=r.details.get("to_version")) for r in rows]

    # helpers
    def row(self, s: Session, ctx: Ctx, name: str) -> RegisteredModelRow:
        row = s.scalars(select(RegisteredModelRow).where(
            RegisteredModelRow.project_id == ctx.project_id,
            RegisteredModelRow.name == name)).first()
        if row is None:
            raise NotFound(f"no registered model {name!r}; `sluice models list` shows them",
                           code="registered_model_not_found", details={"name": name})
        return row

    def _version_row(self, s: Session, model: RegisteredModelRow,
                     ref: int | str) -> ModelVersionRow:
        text = str(ref).lstrip("@")
        q = select(ModelVersionRow).where(ModelVersionRow.model_id == model.id)
        if text.lower() == "latest":
            q = q.order_by(ModelVersionRow.version.desc()).limit(1)
        elif text.isdigit():
            q = q.where(ModelVersionRow.version == int(text))
        else:
            alias = s.get(ModelAliasRow, (model.id, text))
            q = q.where(ModelVersionRow.version == (alias.version if alias else -1))
        row = s.scalars(q).first()
        if row is None:
            raise NotFound(f"model {model.name!r} has no version {ref!r}",
                           code="model_version_not_found",
                           details={"name": model.name, "version": str(ref)})
        return row


def _registered(s: Session, row: RegisteredModelRow) -> RegisteredModel:
    aliases = {a.alias: a.version for a in s.scalars(
        select(ModelAliasRow).where(ModelAliasRow.model_id == row.id))}
    latest = s.scalar(select(func.max(ModelVersionRow.version))
                      .where(ModelVersionRow.model_id == row.id))
    return RegisteredModel(name=row.name, description=row.description, tags=dict(row.tags),
                           aliases=aliases, latest_version=latest, created_ms=row.created_ms,
                           updated_ms=row.updated_ms, created_by=row.created_by)


def _version(s: Session, model: RegisteredModelRow, row: ModelVersionRow) -> ModelVersion:
    aliases = list(s.scalars(select(ModelAliasRow.alias).where(
        ModelAliasRow.model_id == model.id, ModelAliasRow.version == row.version)))
    return ModelVersion(name=model.name, version=row.version, source=row.source,
                        run_id=row.run_id, logged_model_id=row.logged_model_id,
                        status=row.status, description=row.description, tags=dict(row.tags),
                        aliases=sorted(aliases), created_ms=row.created_ms,
                        updated_ms=row.updated_ms, created_by=row.created_by)


def _logged_model_of(source: str) -> str | None:
    match = re.match(r"^models:/(m-[0-9a-f]{32})/?$", source or "")
    return match.group(1) if match else None


def _run_of(source: str) -> str | None:
    match = re.match(r"^runs:/([0-9a-f]{32})(/|$)", source or "")
    return match.group(1) if match else None


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 256 or "/" in name or "@" in name:
        raise InvalidInput("a model name needs 1..256 characters, without '/' or '@'",
                           code="invalid_model_name")
    return name


def _check_alias(alias: str) -> str:
    if not _ALIAS.match(alias or "") or _RESERVED.match(alias):
        raise InvalidInput(f"invalid alias {alias!r}: use letters, digits, '_' or '-', "
                           "not 'latest' or 'v<number>'", code="invalid_alias")
    return alias


class ModelHub:
    """Registry plus the files behind it: cards, loading, model URIs."""

    def __init__(self, registry: RegistryService, tracking: TrackingService,
                 lineage: LineageService) -> None:
        self.registry = registry
        self.tracking = tracking
        self.lineage = lineage

    def resolve(self, ctx: Ctx, uri: str) -> ModelVersion:
        """``models:/name@alias``, ``models:/name/3``, ``models:/name/latest`` or ``name@alias``."""
        text = uri.removeprefix("models:/")
        if "@" in text:
            name, ref = text.split("@", 1)
        elif "/" in text:
            name, ref = text.rsplit("/", 1)
        else:
            name, ref = text, "latest"
        return self.registry.version(ctx, name, ref)

    def register(self, ctx: Ctx, name: str, source: str, *, description: str = "",
                 tags: dict[str, str] | None = None) -> ModelVersion:
        """A new version of ``name`` (created on first use) from ``source``."""
        try:
            self.registry.get(ctx, name)
        except NotFound:
            with contextlib.suppress(AlreadyExists):  # a concurrent caller created it
                self.registry.create(ctx, name, description=description)
        return self.registry.create_version(ctx, name, source, description=description,
                                            tags=tags)

    def card(self, ctx: Ctx, name: str, ref: int | str = "latest") -> ModelCard:
        from sluice.core.registry.cards import build_card

        version = self.registry.version(ctx, name, ref)
        return build_card(self.tracking, self.lineage, ctx, version,
                          self.registry.get(ctx, name).description)

    def root(self, ctx: Ctx, version: ModelVersion) -> str:
        from sluice.core.registry.cards import artifact_root

        return artifact_root(self.tracking, ctx, version)

    def load(self, ctx: Ctx, uri: str, *, allow_pickle: bool = False) -> LoadedModel:
        from sluice.core.registry.loading import load_model

        version = self.resolve(ctx, uri)
        return load_model(self.tracking, ctx, self.root(ctx, version), allow_pickle=allow_pickle)
