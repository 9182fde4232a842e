import pytest

from sluice.core.jobs.models import JobState
from sluice.errors import NotFound, Unauthorized


def test_quality_report_and_redaction(client):
    rows = [{"id": i, "body": f"ticket {i} is about the login page failing again today"}
            for i in range(30)]
    rows[3]["body"] = "mail me at ana@example.com or call +44 20 7946 0958"
    rows[4]["body"] = rows[5]["body"]
    client.datasets.append("tickets", rows)
    with pytest.raises(NotFound) as err:
        client.quality.get("tickets")
    assert err.value.code == "quality_report_missing"
    job = client.quality.run("tickets")
    assert job.state == JobState.SUCCEEDED, job.error
    report = client.quality.get("tickets@1").report
    assert report["row_count"] == 30
    assert report["pii"]["by_type"] == {"email": 1, "phone": 1}
    assert report["duplicates"]["duplicate_rows"] == 0  # ids differ
    assert report["near_duplicates"]["group_count"] >= 1
    by_name = {c["name"]: c for c in report["columns"]}
    assert by_name["id"]["distinct"] == 30 and by_name["id"]["histogram"]["counts"]
    redacted = client.quality.redact("tickets")
    assert redacted.state == JobState.SUCCEEDED and redacted.result["version"] == 2
    body = client.sql("SELECT body FROM tickets WHERE id = 3").rows()[0]["body"]
    assert body == "mail me at [EMAIL] or call [PHONE]"
    assert client.datasets.diff("tickets", 1, 2).changed == 1


def test_jobs_are_listed_and_unknown_ones_are_not_found(client):
    client.datasets.append("t", [{"a": 1}])
    job = client.quality.run("t")
    assert job.id in [j.id for j in client.jobs.list()]
    assert client.jobs.get(job.id).state == JobState.SUCCEEDED
    assert client.jobs.cancel(job.id).state == JobState.SUCCEEDED  # finished jobs stay
    with pytest.raises(NotFound) as err:
        client.jobs.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert err.value.code == "job_not_found"


def test_tokens_create_list_revoke(client):
    new = client.tokens.create("ci", expires_days=1)
    assert new.token.startswith("slc_") and new.expires_at is not None
    listed = {t.id: t for t in client.tokens.list()}
    assert listed[new.id].revoked is False and new.token not in str(listed[new.id])
    client.tokens.revoke(new.id)
    assert {t.id: t for t in client.tokens.list()}[new.id].revoked is True
    with pytest.raises(NotFound) as err:
        client.tokens.revoke("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert err.value.code == "token_not_found"


def test_revoked_and_expired_tokens_are_refused(platform, ctx):
    new = platform.auth.create_token(ctx, "short")
    assert platform.auth.authenticate(new.token).name == "admin"
    platform.auth.revoke_token(ctx, new.id)
    with pytest.raises(Unauthorized) as err:
        platform.auth.authenticate(new.token)
    assert err.value.code == "token_revoked"
    expired = platform.auth.create_token(ctx, "gone", expires_days=1e-9)
    with pytest.raises(Unauthorized) as err:
        platform.auth.authenticate(expired.token)
    assert err.value.code == "token_expired"


def test_viewers_read_but_cannot_write(platform, ctx, app):
    from fastapi.testclient import TestClient

    from sluice.core.context import Role

    platform.auth.create_user(ctx, "vera", Role.VIEWER)
    token = platform.auth.create_token(ctx, "vera-token", user="vera").token
    platform.appends.append(ctx, "t", [{"a": 1}])
    with TestClient(app) as tc:
        tc.headers["Authorization"] = f"Bearer {token}"
        assert tc.get("/api/v1/datasets/t").status_code == 200
        assert tc.post("/api/v1/sql", json={"query": "SELECT * FROM t"}).status_code == 200
        denied = tc.post("/api/v1/datasets/t/rows", json={"rows": [{"a": 2}]})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        assert tc.post("/api/v1/datasets/t/restore", json={"version": 1}).status_code == 403
        assert tc.get("/api/v1/tokens").json()[0]["user"] == "vera"


def test_audit_log_records_changes(client):
    client.datasets.append("audited", [{"a": 1}])
    client.datasets.restore("audited", 1)
    events = client.audit(limit=50)
    actions = [e.action for e in events]
    assert "dataset.append" in actions and "dataset.restore" in actions
    restore = next(e for e in events if e.action == "dataset.restore")
    assert restore.target == "dataset:audited@2" and restore.actor == "admin"


def test_users_and_their_tokens(client):
    from sluice.core.context import Role
    from sluice.errors import AlreadyExists

    user = client.users.create("ed", role=Role.EDITOR)
    assert (user.name, user.role) == ("ed", Role.EDITOR)
    assert {u.name for u in client.users.list()} == {"admin", "ed"}
    token = client.tokens.create("ed-laptop", user="ed")
    assert token.user == "ed"
    with pytest.raises(AlreadyExists):
        client.users.create("ed")
    with pytest.raises(NotFound):
        client.tokens.create("x", user="nobody")
