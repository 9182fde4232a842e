"""Load the demo: Sluice's own docs, a wine table from scikit-learn, synthetic tickets."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sluice.core.context import Ctx
from sluice.core.ingest.service import IngestRequest
from sluice.platform import Platform

REPO_DOCS = Path(__file__).resolve().parents[3] / "docs"
PACKAGE_DOCS = Path(__file__).resolve().parent / "docs"

_TOPICS = ["login fails", "invoice is wrong", "export to CSV is slow", "cannot upload PDF",
           "dashboard shows no data", "password reset mail missing", "API returns 500"]
_NAMES = ["ana", "bo", "chen", "dara", "eli", "femi", "gus", "hana", "ivo", "jun"]


def wine_rows() -> list[dict[str, Any]]:
    """The UCI wine table bundled with scikit-learn (178 rows)."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame = frame.rename(columns={"target": "cultivar"})
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")
    return rows


def ticket_rows(n: int = 300, seed: int = 7) -> list[dict[str, Any]]:
    """Support tickets with some personal data and duplicates, for quality reports."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        name = rng.choice(_NAMES)
        topic = rng.choice(_TOPICS)
        body = f"Hello, my {topic} since yesterday. Please help, it blocks our team."
        if i % 7 == 0:
            body += f" Reach me at {name}.{i}@example.com or +44 20 7946 {1000 + i:04d}."
        if i % 23 == 0:
            body += " Card used: 4111 1111 1111 1111."
        rows.append({"id": i, "customer": name, "priority": rng.choice(["low", "normal", "high"]),
                     "status": rng.choice(["open", "open", "closed"]), "subject": topic,
                     "body": body, "minutes_to_reply": round(rng.expovariate(1 / 45), 1)})
    return rows


def docs_folder() -> Path | None:
    for candidate in (REPO_DOCS, PACKAGE_DOCS):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return None


def load_demo(platform: Platform, ctx: Ctx) -> list[str]:
    """Create the demo datasets that are missing; returns what was loaded."""
    existing = {d.name for d in platform.datasets.list(ctx)}
    loaded = []
    if "wine" not in existing:
        platform.appends.append(ctx, "wine", wine_rows(), idempotency_key="demo-wine")
        loaded.append("wine")
    if "tickets" not in existing:
        platform.appends.append(ctx, "tickets", ticket_rows(), key_column="id",
                                idempotency_key="demo-tickets")
        loaded.append("tickets")
    folder = docs_folder()
    if "docs" not in existing and folder is not None:
        job = platform.ingest.submit(ctx, IngestRequest(dataset="docs", paths=[str(folder)]))
        platform.jobs.wait(ctx, job.id, timeout=600)
        loaded.append("docs")
    if "docs" in existing | set(loaded) and "docs_chunks" not in existing:
        # Search and Ask work out of the box; the sync runs as a job in the background.
        platform.views.create(ctx, "docs_chunks", "docs")
        loaded.append("docs_chunks")
    return loaded
