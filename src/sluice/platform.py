"""The composition root: builds stores, services and the job executor from settings.

Front doors (SDK, CLI, API, web) and workers all start here and then only call services.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cached_property
from typing import Any

from sluice import areas
from sluice.core.audit.service import AuditLog
from sluice.core.auth.service import AuthService, NewToken
from sluice.core.context import Ctx, Principal
from sluice.core.datasets.catalog import DatasetCatalog
from sluice.core.datasets.commits import Committer
from sluice.core.datasets.service import DatasetService
from sluice.core.events.log import EventLog
from sluice.core.ingest.service import IngestService
from sluice.core.ingest.uploads import UploadService
from sluice.core.jobs.executors import Executor, make_executor
from sluice.core.jobs.service import JobService
from sluice.core.labels.cleanup import forget_labels
from sluice.core.labels.service import LabelService
from sluice.core.limits.budget import ModelBudget
from sluice.core.limits.logins import FailedLogins
from sluice.core.lineage.service import LineageService
from sluice.core.projects.service import DEFAULT_PROJECT, ProjectService
from sluice.core.quality.service import QualityService
from sluice.core.rag.chat import ChatService
from sluice.core.rag.service import RagService
from sluice.core.registry.predict import PredictService
from sluice.core.registry.service import ModelHub, RegistryService
from sluice.core.search.eval_service import EvalService, RagEval
from sluice.core.search.service import SearchService
from sluice.core.search.views import AUTO_SYNC_KINDS, ViewService
from sluice.core.sql.service import SqlService
from sluice.core.streams.append import AppendService
from sluice.core.streams.service import StreamService
from sluice.core.tracking.service import TrackingService
from sluice.errors import NotFound
from sluice.models.llms import stop_all_generations
from sluice.settings import Settings, load_settings
from sluice.storage.blobs import FsspecBlobStore
from sluice.storage.location import StoreLocation
from sluice.storage.metadata.database import Database
from sluice.storage.tables import LanceTableStore

log = logging.getLogger("sluice")
STOP_GRACE = 3.0


class Platform:
    """Everything Sluice runs on, wired once per process."""

    def __init__(self, settings: Settings, *, server: bool = False) -> None:
        self.settings = settings
        self.server = server
        self.db = Database(settings.resolved_database_url, lock_dir=settings.home / "locks")
        location = StoreLocation.from_settings(settings)
        self.blobs = FsspecBlobStore(location)
        self.tables = LanceTableStore(location)
        self.audit = AuditLog(self.db)
        self.model_budget = ModelBudget(settings.model_seconds_per_minute,
                                        settings.model_requests_per_minute)
        self.auth = AuthService(self.db, self.audit, session_hours=settings.session_hours,
                                failed_logins=FailedLogins(settings.login_failures_per_minute))
        self.chat = ChatService(settings, self.model_budget)
        self.projects = ProjectService(self.db, self.audit)
        self.jobs = JobService(self.db, lambda: self.executor,
                               stale_seconds=settings.job_stale_seconds)
        self.events = EventLog(self.db)
        committer = Committer(self.db, self.tables, self.audit, self.events)
        catalog = DatasetCatalog(self.db, self.tables, committer, self.audit)
        self.appends = AppendService(self.db, self.tables, committer,
                                     max_rows=settings.max_append_rows)
        self.datasets = DatasetService(catalog, committer, self.tables)
        self.sql = SqlService(catalog, settings, self.model_budget)
        self.ingest = IngestService(self)
        self.uploads = UploadService(self.blobs, self.ingest,
                                     max_bytes=settings.max_upload_bytes)
        self.quality = QualityService(self)
        self.streams = StreamService(self)
        self.views = ViewService(self)
        self.search = SearchService(self)
        self.sql.table_functions["search"] = self.search.sql_table
        self.evals = EvalService(self)
        self.rag = RagService(self)
        self.rag_evals = RagEval(self)
        self.tracking = TrackingService(self)
        self.registry = RegistryService(self.db, self.audit, self.tracking)
        self.lineage = LineageService(self.db, self.events)
        self.hub = ModelHub(self.registry, self.tracking, self.lineage)
        self.predictions = PredictService(self.registry, self.hub,
                                          keep=settings.predict_models_kept)
        self.labels = LabelService(self)
        self.events.subscribe("views.auto_sync", AUTO_SYNC_KINDS, self.views.on_event)
        self.datasets.delete_hooks.append(self.views.forget)
        self.datasets.delete_hooks.append(forget_labels)
        self._executor_lock = threading.Lock()
        self._services: dict[str, Any] = {}
        self._services_lock = threading.Lock()

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
        with self._services_lock:
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
        with self._executor_lock:
            return make_executor(self)

    def context(self, actor: Principal, project: str = DEFAULT_PROJECT) -> Ctx:
        return self.projects.context(project, actor)

    def local_context(self, project: str = DEFAULT_PROJECT) -> Ctx:
        """The workspace owner's scope, for clients that open the workspace directly."""
        return self.context(self.auth.local_principal(), project)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop what this process runs, quickly (the server is shutting down): generations
        end within a token, SQL queries are interrupted, running jobs are asked to cancel,
        and those not done within ``grace`` seconds have their workers killed and are
        marked failed (``server_stopped``)."""
        stop_all_generations()
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
        self.sql.close()
        self.db.dispose()
