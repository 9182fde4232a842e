"""Every state-changing REST route leaves its entry in the audit log, on SQLite and
PostgreSQL.

What "recorded" means here (docs/guide.md: "Every change is recorded in the audit log";
docs/security.md names `sluice audit` and ``/audit`` as where admins read it): after a
successful call as the workspace admin, ``GET /api/v1/audit`` shows a new entry by
``admin`` with the action listed for the route in ``AUDITED``. An event in the event log
(the lineage graph's outbox) does not count by itself, since it is not what admins read;
a dataset version counts because the committer records ``dataset.<operation>`` with its
event. A route that starts a job counts once the job has made its change (the walk waits
for it): the jobs list already says who started what, and a job that changes nothing
leaves nothing to audit.

Not changes in that sense, each listed in ``EXEMPT`` with its reason: queries sent as POST
(search, SQL, ask, predictions, embeddings, chat, evaluations), results a job computes
and recomputes (quality reports, labeling function votes, vectors), and the content a run
or a labeling queue piles up (metrics, params, tags, inputs, outputs, files, logged
models; people's single answers). That content is stored with who and when, arrives a
value at a time (the MLflow client sends one request per metric) and would bury the
changes admins look for; what it becomes is audited (a run's start, end and deletion, a
model version, a labels commit).

A route in neither table fails the first test, so every new route gets classified.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.security.test_permission_matrix import _routes

CHANGES = ("POST", "PUT", "PATCH", "DELETE")
V1, ML, LABELS = "/api/v1", "/api/2.0/mlflow", "/api/v1/datasets/{dataset}/labels/{schema}"

AUDITED = {
    f"POST {V1}/datasets": "dataset.create",
    f"DELETE {V1}/datasets/{{name}}": "dataset.delete",
    f"POST {V1}/datasets/{{name}}/rows": "dataset.append",
    f"POST {V1}/datasets/{{name}}/delete-rows": "dataset.edit",
    f"POST {V1}/datasets/{{name}}/restore": "dataset.restore",
    f"POST {V1}/datasets/{{name}}/redact": "dataset.redact",
    f"POST {V1}/ingest": "dataset.ingest",
    f"POST {V1}/streams/redis": "dataset.append",
    f"POST {V1}/views": "view.create",
    f"POST {V1}/views/{{name}}/sync": "dataset.sync",
    f"DELETE {V1}/views/{{name}}": "dataset.delete",
    f"POST {V1}/jobs/{{job_id}}/cancel": "job.cancel",
    f"POST {V1}/training": "run.create",
    f"POST {V1}/training/{{job_id}}/register": "model.version.create",
    f"POST {V1}/training/{{job_id}}/cancel": "job.cancel",
    f"POST {V1}/training/finetune": "run.create",
    f"POST {V1}/training/merge": "model.version.create",
    f"POST {V1}/datasets/{{dataset}}/labels": "labels.schema.create",
    f"PATCH {LABELS}": "labels.schema.column",
    f"POST {LABELS}/lfs": "labels.function.create",
    f"DELETE {LABELS}/lfs/{{name}}": "labels.function.delete",
    f"POST {LABELS}/sessions/finish": "labels.commit",
    f"POST {LABELS}/commit": "labels.commit",
    f"POST {V1}/experiments": "experiment.create",
    f"DELETE {V1}/experiments/{{ref}}": "experiment.delete",
    f"POST {V1}/experiments/{{ref}}/restore": "experiment.restore",
    f"POST {V1}/runs": "run.create",
    f"PATCH {V1}/runs/{{run_id}}": "run.update",
    f"DELETE {V1}/runs/{{run_id}}": "run.delete",
    f"POST {V1}/models": "model.create",
    f"PATCH {V1}/models/{{name}}": "model.update",
    f"POST {V1}/models/{{name}}/versions": "model.version.create",
    f"PATCH {V1}/models/{{name}}/versions/{{version}}": "model.version.update",
    f"PUT {V1}/models/{{name}}/aliases/{{alias}}": "model.alias.set",
    f"DELETE {V1}/models/{{name}}/aliases/{{alias}}": "model.alias.delete",
    f"POST {V1}/users": "user.create",
    f"POST {V1}/tokens": "token.create",
    f"DELETE {V1}/tokens/{{token_id}}": "api.revoke",
    f"POST {V1}/projects": "project.create",
    f"DELETE {V1}/projects/{{name}}": "project.delete",
    f"POST {V1}/projects/{{name}}/restore": "project.restore",
    f"PUT {V1}/members/{{user}}": "member.add",
    f"DELETE {V1}/members/{{user}}": "member.remove",
    f"POST {V1}/roles": "role.create",
    f"DELETE {V1}/roles/{{name}}": "role.delete",
    f"POST {ML}/experiments/create": "experiment.create",
    f"POST {ML}/experiments/update": "experiment.update",
    f"POST {ML}/experiments/set-experiment-tag": "experiment.update",
    f"POST {ML}/experiments/delete": "experiment.delete",
    f"POST {ML}/experiments/restore": "experiment.restore",
    f"POST {ML}/runs/create": "run.create",
    f"POST {ML}/runs/update": "run.update",
    f"POST {ML}/runs/delete": "run.delete",
    f"POST {ML}/runs/restore": "run.restore",
    f"POST {ML}/registered-models/create": "model.create",
    f"PATCH {ML}/registered-models/update": "model.update",
    f"POST {ML}/registered-models/set-tag": "model.update",
    f"DELETE {ML}/registered-models/delete": "model.delete",
    f"POST {ML}/registered-models/alias": "model.alias.set",
    f"DELETE {ML}/registered-models/alias": "model.alias.delete",
    f"POST {ML}/model-versions/create": "model.version.create",
    f"PATCH {ML}/model-versions/update": "model.version.update",
    f"POST {ML}/model-versions/set-tag": "model.version.update",
    "DELETE /api/2.0/mlflow-artifacts/artifacts/{path:path}": "artifact.delete",
}

_QUERY = "a query sent as POST: it answers and stores nothing"
_RUN = ("run content, stored with its time under a run that names its user; the run's "
        "start, end and deletion are audited")
_ANSWER = ("one person's answers, each stored with who and when and never overwritten "
           "(undo only marks the caller's own as retracted); a commit of them is audited")
_VOTES = ("a labeling function's votes, replaced each time it runs; they reach data only "
          "through the audited labels commit")
EXEMPT = {
    f"POST {V1}/sql": _QUERY,
    f"POST {V1}/search": _QUERY,
    f"POST {V1}/ask": _QUERY,
    f"POST {V1}/runs/search": _QUERY,
    f"POST {V1}/models/{{name}}/versions/{{ref}}/predict": _QUERY,
    f"POST {V1}/blobs/missing": "asks which uploads the server lacks; stores nothing",
    "POST /v1/embeddings": _QUERY,
    "POST /v1/chat/completions": _QUERY,
    f"POST {ML}/experiments/search": _QUERY,
    f"POST {ML}/runs/search": _QUERY,
    f"POST {ML}/logged-models/search": _QUERY,
    f"POST {ML}/registered-models/get-latest-versions": _QUERY,
    f"POST {ML}/runs/log-model": "accepted from MLflow 2 clients and ignored: stores nothing",
    f"POST {V1}/eval/retrieval": "a job scoring search; the scores are its result",
    f"POST {V1}/eval/rag": "a job scoring answers; the scores are its result",
    f"POST {V1}/datasets/{{ref}}/quality": "a job computing a report on a version; no data "
                                           "changes",
    f"POST {LABELS}/vectors": "a job filling the embedding cache active learning reads",
    f"PUT {LABELS}/lfs/{{name}}/votes": _VOTES + " (a new function is audited on creation)",
    f"POST {LABELS}/apply": _VOTES,
    f"POST {LABELS}/lfs/{{name}}/run": _VOTES,
    f"POST {LABELS}/annotations": _ANSWER,
    f"POST {LABELS}/undo": _ANSWER,
    f"POST {LABELS}/resolve": _ANSWER + " (a review answer names its reviewer)",
    f"POST {LABELS}/sessions": _ANSWER + "; with finish it commits as sessions/finish does",
    f"PUT {V1}/blobs/{{digest}}": "content-addressed bytes, unused until an ingest commits "
                                  "them (audited as dataset.ingest)",
    f"POST {V1}/runs/{{run_id}}/log": _RUN,
    f"POST {V1}/runs/{{run_id}}/inputs": _RUN,
    f"PUT {V1}/runs/{{run_id}}/artifacts/{{path:path}}": _RUN,
    "PUT /api/2.0/mlflow-artifacts/artifacts/{path:path}": _RUN,
    f"POST {ML}/runs/log-parameter": _RUN,
    f"POST {ML}/runs/log-metric": _RUN,
    f"POST {ML}/runs/set-tag": _RUN,
    f"POST {ML}/runs/delete-tag": _RUN,
    f"POST {ML}/runs/log-batch": _RUN,
    f"POST {ML}/runs/log-inputs": _RUN,
    f"POST {ML}/runs/outputs": _RUN,
    f"POST {ML}/logged-models": _RUN + " (a model it logs; registering one is audited)",
    f"PATCH {ML}/logged-models/{{model_id}}": _RUN,
    f"PATCH {ML}/logged-models/{{model_id}}/tags": _RUN,
}


def _changing_routes() -> set[str]:
    """``METHOD path`` of every REST route (Sluice's, MLflow's, OpenAI's) that may change
    state: the routes the permission matrix walks, less the web pages and GETs."""
    return {f"{method} {path}" for method, path, _, api in _routes()
            if api and method in CHANGES}


def test_every_state_changing_route_is_audited_or_exempt() -> None:
    routes = _changing_routes()
    unclassified = sorted(routes - AUDITED.keys() - EXEMPT.keys())
    assert not unclassified, (
        "state-changing routes neither in AUDITED (the audit action they record) nor in "
        "EXEMPT (why they change nothing an admin audits):\n" + "\n".join(unclassified))
    assert not AUDITED.keys() & EXEMPT.keys()
    gone = sorted((AUDITED.keys() | EXEMPT.keys()) - routes)
    assert not gone, "routes no longer in the app:\n" + "\n".join(gone)


class Walk:
    """Calls routes as the admin and notes, for each ``AUDITED`` one, whether a new audit
    entry by the admin names its action."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.checked: set[str] = set()
        self.missing: list[str] = []

    def audit(self) -> list[dict[str, Any]]:
        response = self.client.get(f"{V1}/audit", params={"limit": 10_000})
        assert response.status_code == 200, response.text
        return list(response.json())

    def send(self, route: str, path: str | None = None, **request: Any) -> Any:
        """Call ``route`` (at ``path`` when it has parameters); the JSON answer."""
        method, template = route.split(" ", 1)
        response = self.client.request(method, path or template, **request)
        assert response.status_code < 400, (route, response.status_code, response.text[:500])
        if "json" not in response.headers.get("content-type", ""):
            return None
        return response.json()

    def check(self, route: str, path: str | None = None, *, job: bool = False,
              **request: Any) -> Any:
        """``send``, then (after the job it started, with ``job``) look for the entry."""
        before = {e["id"] for e in self.audit()}
        answer = self.send(route, path, **request)
        if job:
            self.wait(answer["id"])
        self.note(route, [e for e in self.audit() if e["id"] not in before])
        return answer

    def note(self, route: str, new: list[dict[str, Any]]) -> None:
        actions = sorted({e["action"] for e in new if e["actor"] == "admin"})
        if AUDITED[route] not in actions:
            self.missing.append(f"{route}: wanted {AUDITED[route]}, got {actions or 'nothing'}")
        self.checked.add(route)

    def wait(self, job_id: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.client.get(f"{V1}/jobs/{job_id}").json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                assert job["state"] == "succeeded", job
                return
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def walk(db_platform: Any) -> Iterator[Walk]:
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app

    token = (db_platform.settings.home / "admin-token").read_text().strip()
    with TestClient(create_app(db_platform, background=False),
                    base_url="http://testserver") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield Walk(client)


TICKETS = [
    {"id": "t1", "title": "app crashes", "text": "The app crashes when I open settings."},
    {"id": "t2", "title": "export", "text": "How do I export my data? Mail ana@example.com."},
    {"id": "t3", "title": "login", "text": "Login fails after the update, please help."},
]


def _datasets(w: Walk) -> None:
    w.check(f"POST {V1}/datasets", json={"name": "tickets", "key_column": "id"})
    rows = f"POST {V1}/datasets/{{name}}/rows"
    w.check(rows, f"{V1}/datasets/tickets/rows", json={"rows": TICKETS})
    w.send(rows, f"{V1}/datasets/tickets/rows", json={"rows": [{"id": "t4", "title": "x",
                                                                "text": "spare"}]})
    w.check(f"POST {V1}/datasets/{{name}}/delete-rows", f"{V1}/datasets/tickets/delete-rows",
            json={"where": "id = 't4'"})
    w.check(f"POST {V1}/datasets/{{name}}/restore", f"{V1}/datasets/tickets/restore",
            json={"version": 2})
    w.check(f"POST {V1}/datasets/{{name}}/redact", f"{V1}/datasets/tickets/redact", job=True)


def _ingest(w: Walk) -> None:
    data = b"id,score\n1,0.5\n2,0.7\n"
    digest = hashlib.sha256(data).hexdigest()
    w.send(f"PUT {V1}/blobs/{{digest}}", f"{V1}/blobs/{digest}", content=data)
    upload = {"uri": "upload://scores/a.csv", "root": "upload://scores/", "rel": "a.csv",
              "size": len(data), "digest": digest}
    w.check(f"POST {V1}/ingest", json={"dataset": "scores", "files": [upload],
                                        "mode": "table"}, job=True)
    w.check(f"DELETE {V1}/datasets/{{name}}", f"{V1}/datasets/scores")


def _labels(w: Walk) -> None:
    base = f"{V1}/datasets/tickets/labels"
    w.check(f"POST {V1}/datasets/{{dataset}}/labels", base,
            json={"name": "topic", "classes": ["bug", "question"], "column": "text"})
    w.check(f"PATCH {LABELS}", f"{base}/topic", json={"column": "title"})
    w.check(f"POST {LABELS}/lfs", f"{base}/topic/lfs",
            json={"name": "kw", "kind": "keyword", "label": "bug",
                  "config": {"keywords": ["crash"]}})
    w.check(f"DELETE {LABELS}/lfs/{{name}}", f"{base}/topic/lfs/kw")
    answer = f"POST {LABELS}/annotations"
    w.send(answer, f"{base}/topic/annotations", json={"key": "t1", "label": "bug"})
    w.check(f"POST {LABELS}/sessions/finish", f"{base}/topic/sessions/finish")
    w.send(answer, f"{base}/topic/annotations", json={"key": "t2", "label": "question"})
    w.check(f"POST {LABELS}/commit", f"{base}/topic/commit", json={})


def _views(w: Walk) -> None:
    w.check(f"POST {V1}/views", json={"name": "chunks", "source": "tickets", "column": "text",
                                       "auto_sync": False, "sync": False})
    w.check(f"POST {V1}/views/{{name}}/sync", f"{V1}/views/chunks/sync", job=True)
    w.check(f"DELETE {V1}/views/{{name}}", f"{V1}/views/chunks")


class _Idle:
    """An executor that runs nothing, so a job stays queued."""

    def submit(self, job_id: str, *, long_running: bool = False) -> None:
        return None


def _cancel(w: Walk, platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:  # a queued job is one a cancel surely changes
        m.setattr(platform.jobs, "_executor", _Idle)
        job = w.send(f"POST {V1}/datasets/{{ref}}/quality", f"{V1}/datasets/tickets/quality")
    w.check(f"POST {V1}/jobs/{{job_id}}/cancel", f"{V1}/jobs/{job['id']}/cancel")


def _training(w: Walk, platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"x": i, "y": "big" if i % 3 == 0 else "small"} for i in range(40)]
    w.send(f"POST {V1}/datasets", json={"name": "sizes"})
    w.send(f"POST {V1}/datasets/{{name}}/rows", f"{V1}/datasets/sizes/rows",
           json={"rows": rows})
    job = w.check(f"POST {V1}/training", json={"dataset": "sizes", "target": "y",
                                               "budget": 1, "max_trials": 2}, job=True)
    w.check(f"POST {V1}/training/{{job_id}}/register", f"{V1}/training/{job['id']}/register",
            json={"name": "sizes"})
    with monkeypatch.context() as m:  # a queued job is one a cancel surely changes
        m.setattr(platform.jobs, "_executor", _Idle)
        queued = w.send(f"POST {V1}/training", json={"dataset": "sizes", "target": "y"})
        w.send(f"POST {V1}/datasets", json={"name": "pairs"})
        w.send(f"POST {V1}/datasets/{{name}}/rows", f"{V1}/datasets/pairs/rows",
               json={"rows": [{"prompt": "Hi?", "response": "Hello."}] * 3})
        w.check(f"POST {V1}/training/finetune", json={"dataset": "pairs"})
    w.check(f"POST {V1}/training/{{job_id}}/cancel", f"{V1}/training/{queued['id']}/cancel")
    w.send(f"POST {V1}/datasets/{{name}}/rows", f"{V1}/datasets/pairs/rows",
           json={"rows": [{"prompt": f"Say {i}", "response": f"{i}"} for i in range(8)]})
    tuned = w.send(f"POST {V1}/training/finetune", json={
        "dataset": "pairs", "steps": 1, "batch_size": 2, "max_length": 16,
        "eval_fraction": 0.0, "register_as": "walk-lora"})
    w.wait(tuned["id"], timeout=300)
    w.check(f"POST {V1}/training/merge", json={"adapter": "walk-lora/1", "name": "merged"})


def _stream(w: Walk, redis_up: Callable[[], bool]) -> None:
    route = f"POST {V1}/streams/redis"
    if not redis_up():  # only outside CI, where Redis is required
        w.checked.add(route)
        return
    import redis

    stream = f"audit-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.xadd(stream, {"json": '{"n": 1}'})
        w.check(route, json={"dataset": "events", "stream": stream, "batch_seconds": 0.1,
                             "stop_after_idle": 0.3}, job=True)
    finally:
        client.delete(stream)
        client.close()


def _tracking(w: Walk) -> str:
    w.check(f"POST {V1}/experiments", json={"name": "exp"})
    w.check(f"DELETE {V1}/experiments/{{ref}}", f"{V1}/experiments/exp")
    w.check(f"POST {V1}/experiments/{{ref}}/restore", f"{V1}/experiments/exp/restore")
    run = w.check(f"POST {V1}/runs", json={"experiment": "exp", "name": "r1"})["id"]
    w.check(f"PATCH {V1}/runs/{{run_id}}", f"{V1}/runs/{run}", json={"status": "FINISHED"})
    return str(run)


def _registry(w: Walk, run: str) -> None:
    model = f"{V1}/models/clf"
    w.check(f"POST {V1}/models", json={"name": "clf"})
    w.check(f"PATCH {V1}/models/{{name}}", model, json={"description": "churn classifier"})
    w.check(f"POST {V1}/models/{{name}}/versions", f"{model}/versions",
            json={"source": f"runs:/{run}/model"})
    w.check(f"PATCH {V1}/models/{{name}}/versions/{{version}}", f"{model}/versions/1",
            json={"tags": {"reviewed": "yes"}})
    alias = f"{V1}/models/{{name}}/aliases/{{alias}}"
    w.check(f"PUT {alias}", f"{model}/aliases/prod", json={"version": 1})
    w.check(f"DELETE {alias}", f"{model}/aliases/prod")
    w.check(f"DELETE {V1}/runs/{{run_id}}", f"{V1}/runs/{run}")


def _mlflow_tracking(w: Walk) -> tuple[str, str]:
    exp = w.check(f"POST {ML}/experiments/create", json={"name": "ml"})["experiment_id"]
    w.check(f"POST {ML}/experiments/update", json={"experiment_id": exp, "new_name": "ml2"})
    w.check(f"POST {ML}/experiments/set-experiment-tag",
            json={"experiment_id": exp, "key": "team", "value": "a"})
    w.check(f"POST {ML}/experiments/delete", json={"experiment_id": exp})
    w.check(f"POST {ML}/experiments/restore", json={"experiment_id": exp})
    made = w.check(f"POST {ML}/runs/create", json={"experiment_id": exp})
    run = made["run"]["info"]["run_id"]
    w.check(f"POST {ML}/runs/update", json={"run_id": run, "status": "FINISHED"})
    files = "/api/2.0/mlflow-artifacts/artifacts/{path:path}"
    path = f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/notes.txt"
    w.send(f"PUT {files}", path, content=b"notes")
    w.check(f"DELETE {files}", path)
    return str(exp), str(run)


def _mlflow_registry(w: Walk, run: str) -> None:
    w.check(f"POST {ML}/registered-models/create", json={"name": "mlm"})
    w.check(f"PATCH {ML}/registered-models/update", json={"name": "mlm", "description": "d"})
    w.check(f"POST {ML}/registered-models/set-tag",
            json={"name": "mlm", "key": "k", "value": "v"})
    w.check(f"POST {ML}/model-versions/create",
            json={"name": "mlm", "source": f"runs:/{run}/model", "run_id": run})
    w.check(f"PATCH {ML}/model-versions/update",
            json={"name": "mlm", "version": "1", "description": "d"})
    w.check(f"POST {ML}/model-versions/set-tag",
            json={"name": "mlm", "version": "1", "key": "k", "value": "v"})
    alias = f"{ML}/registered-models/alias"
    w.check(f"POST {alias}", json={"name": "mlm", "alias": "champion", "version": "1"})
    w.check(f"DELETE {alias}", params={"name": "mlm", "alias": "champion"})
    w.check(f"DELETE {ML}/registered-models/delete", json={"name": "mlm"})
    w.check(f"POST {ML}/runs/delete", json={"run_id": run})
    w.check(f"POST {ML}/runs/restore", json={"run_id": run})


def _access(w: Walk) -> None:
    w.check(f"POST {V1}/users", json={"name": "ana", "role": None})
    w.check(f"PUT {V1}/members/{{user}}", f"{V1}/members/ana", json={"role": "viewer"})
    token = w.check(f"POST {V1}/tokens", json={"name": "ci", "user": "ana"})["id"]
    w.check(f"DELETE {V1}/tokens/{{token_id}}", f"{V1}/tokens/{token}")
    w.check(f"DELETE {V1}/members/{{user}}", f"{V1}/members/ana")
    w.check(f"POST {V1}/roles", json={"name": "reader", "permissions": ["datasets.read"]})
    w.check(f"DELETE {V1}/roles/{{name}}", f"{V1}/roles/reader")
    w.check(f"POST {V1}/projects", json={"name": "side"})
    w.check(f"DELETE {V1}/projects/{{name}}", f"{V1}/projects/side")
    w.check(f"POST {V1}/projects/{{name}}/restore", f"{V1}/projects/side/restore")


@pytest.fixture
def redis_up() -> Callable[[], bool]:
    """Whether the local Redis answers (required under CI, like tests/streams)."""
    def up() -> bool:
        import redis

        try:
            with redis.Redis.from_url("redis://127.0.0.1:6379/0") as client:
                return bool(client.ping())
        except redis.RedisError as exc:
            if IN_CI:
                pytest.fail(f"Redis is required under CI: {exc}")
            return False

    return up


@pytest.mark.slow
def test_every_audited_route_records_its_action(walk: Walk, db_platform: Any,
                                                redis_up: Callable[[], bool],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _datasets(walk)
    _ingest(walk)
    _labels(walk)
    _views(walk)
    _cancel(walk, db_platform, monkeypatch)
    _training(walk, db_platform, monkeypatch)
    _stream(walk, redis_up)
    _registry(walk, _tracking(walk))
    _mlflow_registry(walk, _mlflow_tracking(walk)[1])
    _access(walk)
    assert not walk.missing, "state changes missing from the audit log:\n" + \
        "\n".join(walk.missing)
    unvisited = sorted(AUDITED.keys() - walk.checked)
    assert not unvisited, "AUDITED routes the walk never called:\n" + "\n".join(unvisited)
