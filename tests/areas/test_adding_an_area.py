"""The measure of "areas as packages": a small area defined here (``hello_area``), declared
once, is found on all four doors and in the job registry with no edit to a central file;
installed as a plugin (an entry point) it works from the real CLI, and a plugin that fails
to import is reported while Sluice runs on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sluice import areas
from sluice.api.app import create_app
from sluice.core.jobs.registry import known_kinds
from sluice.errors import InvalidInput, NotFound
from sluice.platform import Platform
from sluice.sdk.local import LocalClient
from sluice.sdk.remote import RemoteClient
from tests.areas.hello_area import AREA
from tests.conftest import ROOT, _open as open_platform


@pytest.fixture
def hello(make_settings: Any) -> Iterator[Platform]:
    """A workspace opened with the hello area registered (so its table exists)."""
    with areas.registered(AREA):
        yield from open_platform(make_settings())


@pytest.fixture
def http(hello: Platform) -> Iterator[TestClient]:
    token = (hello.settings.home / "admin-token").read_text().strip()
    with TestClient(create_app(hello, background=False), base_url="http://testserver") as tc:
        tc.headers["Authorization"] = f"Bearer {token}"
        yield tc


def test_the_area_is_on_the_rest_api_and_in_openapi(http: TestClient) -> None:
    first = http.post("/api/v1/hello/Ada")
    assert first.status_code == 200, first.text
    assert first.json() == {"name": "Ada", "text": "Hello, Ada!", "times": 1}
    assert http.post("/api/v1/hello/Ada").json()["times"] == 2
    assert http.post("/api/v1/hello/%20").json()["error"]["code"] == "bad_name"
    assert "/api/v1/hello/{name}" in http.get("/openapi.json").json()["paths"]


def test_the_area_job_runs_through_the_job_registry(hello: Platform, http: TestClient) -> None:
    assert "hello.greet_many" in known_kinds()
    job = http.post("/api/v1/hello", json={"names": ["Ada", "Grace", "Ada"]})
    assert job.status_code == 202, job.text
    done = hello.jobs.wait(hello.local_context(), job.json()["id"], timeout=60)
    assert done.state == "succeeded" and done.result == {"greeted": 3}
    assert http.post("/api/v1/hello/Ada").json()["times"] == 3


def test_the_area_reads_the_event_log(hello: Platform) -> None:
    ctx = hello.local_context()
    hello.appends.append(ctx, "zed", [{"a": 1}])
    hello.appends.append(ctx, "zed", [{"a": 2}])
    hello.events.dispatch()
    state = {s.name: s for s in hello.events.subscribers()}["hello.greet_datasets"]
    assert state.lag == 0 and state.failures == 0
    assert hello.service("hello").greet(ctx, "dataset zed").times == 3  # two events + this


def test_the_area_page_its_twin_and_its_nav_entry(http: TestClient) -> None:
    page = http.get("/hello", params={"name": "Lin"})
    assert page.status_code == 200
    assert "Hello, Lin! (1 so far)" in page.text and 'href="/hello"' in page.text
    assert http.get("/hello.json", params={"name": "Lin"}).json()["greeting"]["times"] == 2
    assert 'href="/hello"' in http.get("/datasets").text  # every page's nav has it


def test_the_area_on_both_clients(hello: Platform, http: TestClient) -> None:
    local = LocalClient(hello, hello.local_context(), owns_platform=False)
    assert local.hello.greet("Ada").times == 1  # type: ignore[attr-defined]
    token = http.headers["Authorization"].removeprefix("Bearer ")
    remote = RemoteClient("http://testserver", token, http_client=http)
    greeting = remote.hello.greet("Ada")  # type: ignore[attr-defined]
    assert greeting.text == "Hello, Ada!" and greeting.times == 2
    with pytest.raises(InvalidInput) as bad:
        remote.hello.greet(" ")  # type: ignore[attr-defined]
    assert bad.value.code == "bad_name"


def test_the_areas_report_describes_it(http: TestClient) -> None:
    listed = http.get("/api/v1/areas").json()
    hello = next(a for a in listed["areas"] if a["name"] == "hello")
    assert hello["job_kinds"] == ["hello.greet_many"]
    assert hello["api_routes"] == ["POST /api/v1/hello/{name}", "POST /api/v1/hello"]
    assert hello["pages"] == ["/hello"] and hello["commands"] == ["hello"]
    assert hello["sdk"] == ["client.hello"] and hello["tables"] == ["hello_greetings"]
    assert http.get("/api/v1/areas/hello").json() == hello
    assert http.get("/api/v1/areas/nope").json()["error"]["code"] == "unknown_area"
    assert "area-hello" in http.get("/areas").text
    assert {a["name"] for a in http.get("/areas.json").json()["areas"]} >= {"hello", "datasets"}


def test_bad_declarations_are_refused_before_use() -> None:
    with pytest.raises(InvalidInput) as twice:
        areas.register(areas.get("datasets"))
    assert twice.value.code == "duplicate_area"
    for bad in (areas.Area("Bad Name", "x"), areas.Area("x", "x", api=("not a module!",)),
                areas.Area("x", "x", nav=(areas.NavEntry("X", "javascript:alert(1)"),)),
                areas.Area("x", "x", sdk=(areas.SdkPart("_x", "a:b", "a:b"),))):
        with pytest.raises(InvalidInput) as refused:
            areas.register(bad)
        assert refused.value.code == "invalid_area"
    with pytest.raises(NotFound) as unknown:
        areas.unregister("nope")
    assert unknown.value.code == "unknown_area"


def test_an_sdk_namespace_may_not_hide_a_client_method(hello: Platform) -> None:
    clash = areas.Area("clash", "x", sdk=(areas.SdkPart("sql", AREA.sdk[0].local,
                                                        AREA.sdk[0].remote),))
    with areas.registered(clash):
        client = LocalClient(hello, hello.local_context(), owns_platform=False)
        assert callable(client.sql)
        assert any(p.area == "clash" and "already exists" in p.error for p in areas.problems())


# The same area installed the way a package installs a plugin: an entry point in the
# ``sluice.areas`` group, found by the real CLI in a fresh process.

def _install(site: Path) -> None:
    info = site / "hello_area_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-area-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[sluice.areas]\nhello = tests.areas.hello_area:AREA\n"
        "broken = tests.areas.no_such_module:AREA\n")


def _sluice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    env.update(SLUICE_HOME=str(tmp_path / "home"),
               PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "sluice.cli", *args], env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def test_an_installed_plugin_area_reaches_the_cli_and_a_broken_one_is_reported(
        tmp_path: Path) -> None:
    _install(tmp_path / "site")
    first = _sluice(tmp_path, "hello", "Ada", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"name": "Ada", "text": "Hello, Ada!", "times": 1}
    assert "Hello, Ada! (2 so far)" in _sluice(tmp_path, "hello", "Ada").stdout
    listed = _sluice(tmp_path, "areas", "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    hello = next(a for a in report["areas"] if a["name"] == "hello")
    assert hello["source"] == "plugin hello (tests.areas.hello_area:AREA)"
    broken = [p for p in report["problems"] if p["area"] == "broken"]
    assert broken and broken[0]["error"].startswith("ModuleNotFoundError")
    unknown = _sluice(tmp_path, "areas", "nope", "--json")
    assert unknown.returncode != 0 and json.loads(unknown.stdout)["error"]["code"] == "unknown_area"


def test_the_guide_quotes_the_example_as_it_is() -> None:
    guide = (ROOT / "docs" / "areas.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in guide.split("```python\n")[1:]]
    assert len(blocks) >= 6
    for block in blocks:
        first, _, code = block.partition("\n")
        assert first.startswith("# tests/areas/hello_area/"), first
        source = (ROOT / first.removeprefix("# ")).read_text(encoding="utf-8")
        assert code.strip("\n") in source, f"docs/areas.md no longer quotes {first}"
