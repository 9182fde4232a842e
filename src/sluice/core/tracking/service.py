"""The tracking service: one object that front doors reach experiments, runs, artifacts
and logged models through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluice.core.tracking.artifacts import Artifacts
from sluice.core.tracking.experiments import Experiments
from sluice.core.tracking.logged_models import LoggedModels
from sluice.core.tracking.models import RunPage
from sluice.core.tracking.runs import Runs
from sluice.core.tracking.search import search_runs

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditLog
    from sluice.core.context import Ctx
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.metadata.database import Database


class TrackingService:
    def __init__(self, db: Database, audit: AuditLog, blobs: FsspecBlobStore) -> None:
        self.db = db
        self.experiments = Experiments(db, audit)
        self.runs = Runs(db, self.experiments, audit)
        self.artifacts = Artifacts(db, blobs, audit)
        self.models = LoggedModels(db, self.experiments)

    def search(self, ctx: Ctx, experiment_ids: list[str] | None = None, *,
               filter: str | None = None, order_by: list[str] | None = None,
               max_results: int = 1000, page_token: str | None = None,
               view: str = "ACTIVE_ONLY") -> RunPage:
        """Runs matching an MLflow filter; every experiment of the project by default."""
        ids = experiment_ids or [e.id for e in self.experiments.list(ctx)]
        if not ids:
            return RunPage(runs=[])
        return search_runs(self.db, self.experiments, ctx, ids, filter=filter,
                           order_by=order_by, max_results=max_results,
                           page_token=page_token, view=view)
