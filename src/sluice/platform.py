"""The composition root: builds stores, services and the job executor from settings.

Front doors (SDK, CLI, API, web) and workers all start here and then only call services.
Each service is built, and its modules imported, the first time something asks for it: a
job worker that runs an ingest imports and builds what ingest needs, not the search index
or the labeling queue, and the order services are declared in here does not matter.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sluice import areas
from sluice.core.access.recent import RecentCallers
from sluice.core.access.service import AccessService
from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx, Principal
from sluice.core.events.log import EventLog
from sluice.core.events.models import DatasetCommitted, Event, LabelsCommitted
from sluice.core.jobs.service import JobService
from sluice.core.lineage.projection import KINDS as LINEAGE_KINDS, Projection
from sluice.core.projects.service import DEFAULT_PROJECT, ProjectService
from sluice.errors import NotFound
from sluice.settings import Settings, load_settings
from sluice.storage.blobs import FsspecBlobStore
from sluice.storage.location import StoreLocation
from sluice.storage.metadata.database import Database
from sluice.storage.tables import LanceTableStore

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.orm import Session

    from sluice.core.auth.service import AuthService, NewToken
    from sluice.core.datasets.catalog import DatasetCatalog
    from sluice.core.datasets.commits import Committer
    from sluice.core.datasets.service import DatasetService
    from sluice.core.ingest.service import IngestService
    from sluice.core.ingest.uploads import UploadService
    from sluice.core.jobs.executor import Executor
    from sluice.core.labels.service import LabelService
    from sluice.core.limits.budget import ModelBudget
    from sluice.core.lineage.service import LineageService
    from sluice.core.quality.service import QualityService
    from sluice.core.rag.chat import ChatService
    from sluice.core.rag.service import RagService
    from sluice.core.registry.llms import LanguageModels
    from sluice.core.registry.predict import PredictService
    from sluice.core.registry.service import ModelHub, RegistryService
    from sluice.core.search.eval_service import EvalService, RagEval
    from sluice.core.search.service import SearchService
    from sluice.core.sql.service import SqlService
    from sluice.core.streams.append import AppendService
    from sluice.core.streams.service import StreamService
    from sluice.core.tracking.service import TrackingService
    from sluice.core.views.service import ViewService

log = logging.getLogger("sluice")
STOP_GRACE = 3.0
AUTO_SYNC_KINDS = (DatasetCommitted.kind, LabelsCommitted.kind)
T = TypeVar("T")


class service(Generic[T]):
    """A service built on first use, once per platform even when threads race for it."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    @overload
    def __get__(self, platform: None, owner: type) -> service[T]: ...

    @overload
    def __get__(self, platform: Platform, owner: type) -> T: ...

    def __get__(self, platform: Platform | None, owner: type) -> service[T] | T:
        if platform is None:
            return self
        with platform._build_lock:
            if self.name not in platform.__dict__:
                platform.__dict__[self.name] = self.build(platform)
        return platform.__dict__[self.name]  # type: ignore[no-any-return]


class Platform:
    """Everything Sluice runs on, wired once per process."""

    def __init__(self, settings: Settings, *, server: bool = False) -> None:
        self.settings = settings
        self.server = server
        self._build_lock = threading.RLock()
        self._executor_lock = threading.Lock()
        self._services: dict[str, Any] = {}
        self.db = Database(settings.resolved_database_url, lock_dir=settings.home / "locks")
        location = StoreLocation.from_settings(settings)
        self.blobs = FsspecBlobStore(location)
        self.tables = LanceTableStore(location)
        self.audit = AuditLog(self.db)
        self.access = AccessService(self.db, self.audit)
        self.projects = ProjectService(self.db, self.audit, self.access)
        self.jobs = JobService(self.db, lambda: self.executor, self.audit,
                               stale_seconds=settings.job_stale_seconds)
        self.events = EventLog(self.db)
        self.events.subscribe("views.auto_sync", AUTO_SYNC_KINDS, self._auto_sync,
                              prompt=True)
        self.events.subscribe("lineage", LINEAGE_KINDS, Projection(self.db).handle)
        self._subscribe_areas()

    # -- services, each built when first asked for ---------------------------------

    @service
    def model_budget(self) -> ModelBudget:
        from sluice.core.limits.budget import ModelBudget

        return ModelBudget(self.settings.model_seconds_per_minute,
                           self.settings.model_requests_per_minute)

    @cached_property
    def recent_callers(self) -> RecentCallers:
        """API callers admitted a moment ago (``sluice.core.access.recent``)."""
        return RecentCallers(self.settings.auth_cache_seconds)

    @service
    def auth(self) -> AuthService:
        from sluice.core.auth.service import AuthService
        from sluice.core.limits.logins import FailedLogins

        return AuthService(self.db, self.audit, session_hours=self.settings.session_hours,
                           failed_logins=FailedLogins(self.settings.login_failures_per_minute))

    @service
    def chat(self) -> ChatService:
        from sluice.core.rag.chat import ChatService

        return ChatService(self.settings, self.model_budget, self.language_models.get)

    @service
    def committer(self) -> Committer:
        from sluice.core.datasets.commits import Committer

        return Committer(self.db, self.tables, self.audit, self.events)

    @service
    def catalog(self) -> DatasetCatalog:
        from sluice.core.datasets.browse import QueryLimits
        from sluice.core.datasets.catalog import DatasetCatalog

        limits = QueryLimits(self.settings.sql_timeout_seconds, self.settings.sql_memory_limit,
                             self.settings.sql_threads)
        return DatasetCatalog(self.db, self.tables, self.committer, self.audit, limits=limits)

    @service
    def datasets(self) -> DatasetService:
        from sluice.core.datasets.service import DatasetService
        from sluice.core.labels.cleanup import forget_labels

        datasets = DatasetService(self.catalog, self.committer, self.tables)
        datasets.delete_hooks += [self._forget_views, forget_labels]
        return datasets

    @service
    def appends(self) -> AppendService:
        from sluice.core.streams.append import AppendService

        return AppendService(self.db, self.tables, self.committer,
                             max_rows=self.settings.max_append_rows)

    @service
    def sql(self) -> SqlService:
        from sluice.core.sql.service import SqlService

        sql = SqlService(self.catalog, self.settings, self.model_budget)
        sql.table_functions["search"] = self._search_table
        return sql

    @service
    def ingest(self) -> IngestService:
        from sluice.core.ingest.service import IngestService

        return IngestService(self.blobs, self.tables, self.datasets, self.jobs, self.settings)

    @service
    def uploads(self) -> UploadService:
        from sluice.core.ingest.uploads import UploadService

        return UploadService(self.blobs, self.ingest, max_bytes=self.settings.max_upload_bytes)

    @service
    def quality(self) -> QualityService:
        from sluice.core.quality.service import QualityService

        return QualityService(self.db, self.tables, self.datasets, self.jobs)

    @service
    def streams(self) -> StreamService:
        from sluice.core.streams.service import StreamService

        return StreamService(self.jobs, self.settings)

    @service
    def views(self) -> ViewService:
        from sluice.core.views.service import ViewService

        return ViewService(self.db, self.tables, self.blobs, self.datasets, self.jobs,
                           self.projects, self.audit, self.settings)

    @service
    def search(self) -> SearchService:
        from sluice.core.search.service import SearchService

        return SearchService(self.db, self.blobs, self.datasets, self.views, self.sql,
                             self.settings)

    @service
    def evals(self) -> EvalService:
        from sluice.core.search.eval_service import EvalService

        return EvalService(self.jobs, self.views, self.search)

    @service
    def rag(self) -> RagService:
        from sluice.core.rag.service import RagService

        return RagService(self.db, self.search, self.model_budget, self.settings,
                          self.language_models.get)

    @service
    def rag_evals(self) -> RagEval:
        from sluice.core.search.eval_service import RagEval

        return RagEval(self.jobs, self.views, self.rag, self.settings)

    @service
    def tracking(self) -> TrackingService:
        from sluice.core.tracking.service import TrackingService

        return TrackingService(self.db, self.audit, self.blobs)

    @service
    def registry(self) -> RegistryService:
        from sluice.core.registry.service import RegistryService

        return RegistryService(self.db, self.audit, self.tracking)

    @service
    def lineage(self) -> LineageService:
        from sluice.core.lineage.service import LineageService

        return LineageService(self.db, self.events)

    @service
    def hub(self) -> ModelHub:
        from sluice.core.registry.service import ModelHub

        return ModelHub(self.registry, self.tracking, self.lineage)

    @service
    def language_models(self) -> LanguageModels:
        from sluice.core.registry.llms import LanguageModels

        return LanguageModels(self.hub, self.settings)

    @service
    def predictions(self) -> PredictService:
        from sluice.core.registry.predict import PredictService

        return PredictService(self.registry, self.hub, keep=self.settings.predict_models_kept)

    @service
    def labels(self) -> LabelService:
        from sluice.core.labels.service import LabelService

        return LabelService(self.db, self.tables, self.blobs, self.datasets, self.jobs,
                            self.sql, self.audit, self.settings)

    def _subscribe_areas(self) -> None:
        """The event subscribers areas declare; a bad declaration is reported, and a
        handler that fails to import fails (and is retried) like one that raises."""
        for area in areas.areas():
            for sub in area.subscribers:
                try:
                    self.events.subscribe(f"{area.name}.{sub.name}", sub.kinds,
                                          self._area_handler(sub.handler), prompt=sub.prompt)
                except Exception as exc:
                    areas.report(area.name, f"subscriber {sub.name}", exc)

    def _area_handler(self, ref: str) -> Callable[[Event], None]:
        def handle(event: Event) -> None:
            areas.resolve(ref)(self, event)

        return handle

    # Wiring between services, resolved when it is used (so neither is built early).
    def _auto_sync(self, event: Event) -> None:
        self.views.on_event(event)

    def _forget_views(self, s: Session, dataset_id: str) -> None:
        self.views.forget(s, dataset_id)

    def _search_table(self, ctx: Ctx, args: list[Any]) -> pa.Table:
        return self.search.sql_table(ctx, args)

    # -- opening, areas, contexts, stopping -----------------------------------------

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate: bool = True,
             server: bool = False) -> Platform:
        """Build a platform; ``migrate`` brings the metadata schema up to date first.

        ``server`` marks the long-running API process: with ``executor = "auto"`` its
        jobs run in a process pool, while SDK and CLI sessions run them on threads.
        """
        settings = settings or load_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        platform = cls(settings, server=server)
        if migrate:
            platform.db.migrate()
            platform.projects.ensure_default()
            platform.create_area_tables()
        return platform

    def service(self, area: str) -> Any:
        """The service of ``area`` (a plugin's, or a new area's), built on first use by the
        factory it declares. Raises NotFound (``unknown_area``, ``no_service``)."""
        with self._build_lock:
            if area not in self._services:
                declared = areas.get(area)
                if declared.service is None:
                    raise NotFound(f"area {area!r} declares no service", code="no_service")
                self._services[area] = areas.resolve(declared.service)(self)
            return self._services[area]

    def create_area_tables(self) -> None:
        """Create the tables areas declare outside Alembic (plugins), if missing."""
        for area in areas.areas():
            if area.tables is None:
                continue
            for metadata in areas.parts(area, "tables", [area.tables], None):
                try:
                    with self.db.lock("migrations", wait=120.0):
                        metadata.create_all(self.db.engine, checkfirst=True)
                except Exception as exc:
                    areas.report(area.name, "tables", exc)

    def bootstrap(self) -> NewToken | None:
        """First run: create the admin user; returns its token (only that once)."""
        token = self.auth.bootstrap()
        if token is not None:
            path = self.settings.home / "admin-token"
            path.touch(mode=0o600, exist_ok=True)
            path.write_text(token.token + "\n", encoding="utf-8")
        return token

    @cached_property
    def executor(self) -> Executor:
        from sluice.workers.executors import make_executor

        with self._executor_lock:
            return make_executor(self)

    def context(self, actor: Principal, project: str | None = DEFAULT_PROJECT) -> Ctx:
        return self.projects.context(project, actor)

    def local_context(self, project: str | None = DEFAULT_PROJECT) -> Ctx:
        """The workspace owner's scope, for clients that open the workspace directly."""
        return self.context(self.auth.local_principal(), project)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop what this process runs, quickly (the server is shutting down): generations
        end within a token, SQL queries are interrupted, running jobs are asked to cancel,
        and those not done within ``grace`` seconds have their workers killed and are
        marked failed (``server_stopped``)."""
        if "sluice.inference.llms" in sys.modules:  # no model loaded, nothing generating
            sys.modules["sluice.inference.llms"].stop_all_generations()
        if "sql" in self.__dict__:
            self.sql.interrupt_all()
        if "executor" not in self.__dict__:
            return
        workers = self.executor.worker_names()
        mine = [j for j in self.jobs.running_ids() if self.jobs.worker_of(j) in workers]
        self.jobs.request_cancel(mine)
        deadline = time.monotonic() + grace
        while mine and time.monotonic() < deadline:
            time.sleep(0.1)
            mine = [j for j in mine if j in set(self.jobs.running_ids())]
        self.executor.kill()
        if mine:
            log.warning("stopped %d job(s) that were still running", self.jobs.interrupt(mine))

    def close(self) -> None:
        if "executor" in self.__dict__:
            self.executor.shutdown(wait=True)
        if "sql" in self.__dict__:
            self.sql.close()
        self.db.dispose()
