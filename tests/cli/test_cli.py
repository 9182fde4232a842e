"""The CLI as users run it: a real process, --json output, exit codes from the error tree."""

import json
import os
import subprocess
import sys

import pytest


def run(home, *args, env_extra=None, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    env["SLUICE_HOME"] = str(home)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-m", "sluice.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stdout}\n{proc.stderr}")
    return proc


def js(proc):
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("cli") / "home"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("# A\n\nalpha beta\n")
    (root / "docs" / "b.txt").write_text("call +44 20 7946 0958\n")
    (root / "people.csv").write_text("id,name,email\n1,ana,ana@example.com\n2,bo,bo@x.org\n")
    return root


def test_ingest_sql_versions_diff_quality(home, files):
    out = js(run(home, "ingest", str(files / "docs"), "--dataset", "docs", "--json"))
    assert out["state"] == "succeeded" and out["result"]["version"] == 1
    human = run(home, "ingest", str(files / "people.csv"), "-d", "people")
    assert "committed people@1" in human.stdout
    res = js(run(home, "sql", "SELECT count(*) AS n FROM docs", "--json"))
    assert res["rows"] == [{"n": 2}]
    csv = run(home, "sql", "SELECT name FROM people ORDER BY id", "--format", "csv")
    assert csv.stdout.splitlines() == ['"name"', '"ana"', '"bo"']
    (files / "docs" / "c.md").write_text("# C\n")
    run(home, "ingest", str(files / "docs"), "-d", "docs")
    versions = js(run(home, "datasets", "versions", "docs", "--json"))
    assert [v["number"] for v in versions] == [2, 1]
    diff = js(run(home, "datasets", "diff", "docs", "1", "2", "--json"))
    assert (diff["added"], diff["removed"], diff["changed"]) == (1, 0, 0)
    report = js(run(home, "quality", "people", "--json"))
    assert report["report"]["pii"]["by_type"] == {"email": 2}
    redacted = js(run(home, "quality", "people", "--redact", "--json"))
    assert redacted["result"]["version"] == 2
    restored = js(run(home, "datasets", "restore", "people", "1", "--json"))
    assert restored["number"] == 3
    listing = js(run(home, "datasets", "list", "--json"))
    assert {d["name"] for d in listing} == {"docs", "people"}
    shown = js(run(home, "datasets", "show", "people@1", "--json"))
    assert shown["version"]["number"] == 1 and len(shown["rows"]) == 2
    jobs = js(run(home, "jobs", "list", "--json"))
    assert jobs and all(j["state"] == "succeeded" for j in jobs)
    job = js(run(home, "jobs", "show", jobs[0]["id"], "--json"))
    assert job["job"]["id"] == jobs[0]["id"]


def test_exit_codes_follow_the_error_tree(home):
    missing = run(home, "datasets", "show", "nope", "--json", check=False)
    assert missing.returncode == 3
    assert js(missing)["error"]["code"] == "dataset_not_found"
    bad_sql = run(home, "sql", "DROP TABLE docs", check=False)
    assert bad_sql.returncode == 2 and "sql_not_read_only" in bad_sql.stderr
    bad_name = run(home, "datasets", "versions", "../x", "--json", check=False)
    assert bad_name.returncode == 2
    bad_setting = run(home, "datasets", "list", env_extra={"SLUICE_NOPE": "1"}, check=False)
    assert bad_setting.returncode == 2 and "SLUICE_NOPE" in bad_setting.stderr
    usage = run(home, "sql", check=False)
    assert usage.returncode == 2


def test_tokens_and_append(home, files):
    token = js(run(home, "tokens", "create", "ci", "--json"))
    assert token["token"].startswith("slc_")
    listed = js(run(home, "tokens", "list", "--json"))
    assert any(t["id"] == token["id"] for t in listed)
    rows = files / "rows.jsonl"
    rows.write_text('{"a": 1}\n{"a": 2}\n')
    first = js(run(home, "datasets", "append", "ev", str(rows), "--idempotency-key", "k",
                   "--json"))
    again = js(run(home, "datasets", "append", "ev", str(rows), "--idempotency-key", "k",
                   "--json"))
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    revoked = js(run(home, "tokens", "revoke", token["id"], "--json"))
    assert revoked["revoked"] is True


def test_remote_cli_against_a_live_server(live_server, files, tmp_path):
    env = {"SLUICE_URL": live_server.url, "SLUICE_TOKEN": live_server.token}
    out = js(run(tmp_path, "ingest", str(files / "docs"), "-d", "remote_docs", "--json",
                 env_extra=env))
    assert out["state"] == "succeeded"
    res = js(run(tmp_path, "sql", "SELECT count(*) AS n FROM remote_docs", "--json",
                 env_extra=env))
    assert res["rows"][0]["n"] >= 2
    denied = run(tmp_path, "datasets", "list", "--json", check=False,
                 env_extra={"SLUICE_URL": live_server.url, "SLUICE_TOKEN": "slc_wrong"})
    assert denied.returncode == 5 and js(denied)["error"]["code"] == "token_invalid"


def test_hardware_says_where_models_run(home):
    report = js(run(home, "hardware", "--json", env_extra={"SLUICE_DEVICE": "cpu"}))
    assert report["cpu"]["cores"] == os.cpu_count()
    assert report["device"] | {"wanted": "cpu", "resolved": "cpu"} == report["device"]
    text = run(home, "hardware", env_extra={"SLUICE_DEVICE": "cpu"}).stdout
    assert report["cpu"]["model"] in text and "SLUICE_DEVICE=cpu" in text


def test_help_lists_every_command(home):
    text = run(home, "--help").stdout
    for command in ("up", "ingest", "sql", "quality", "datasets", "jobs", "tokens", "streams"):
        assert command in text


def test_streams_redis_consumer(home):
    import uuid

    import redis

    from tests.conftest import IN_CI

    r = redis.Redis()
    try:
        r.ping()
    except redis.RedisError:
        if IN_CI:
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    stream = f"cli-{uuid.uuid4().hex[:8]}"
    for i in range(7):
        r.xadd(stream, {"json": json.dumps({"i": i})})
    out = js(run(home, "streams", "redis", "-d", "from_redis", "--stream", stream,
                 "--batch-seconds", "0.2", "--stop-after-idle", "1", "--json"))
    assert out["state"] == "succeeded" and out["result"]["rows"] == 7
    res = js(run(home, "sql", "SELECT count(*) AS n FROM from_redis", "--json"))
    assert res["rows"] == [{"n": 7}]
    r.delete(stream)
