import re
from pathlib import Path

import pytest

from sluice.errors import InvalidInput
from sluice.settings import Settings, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_environment_overrides_config_file(tmp_path):
    (tmp_path / "sluice.toml").write_text('port = 9000\nworkers = 3\n')
    s = load_settings(env={"SLUICE_HOME": str(tmp_path), "SLUICE_PORT": "9100"})
    assert (s.port, s.workers, s.home) == (9100, 3, tmp_path)


def test_unknown_environment_variable_is_rejected():
    with pytest.raises(InvalidInput) as err:
        load_settings(env={"SLUICE_DATABSE_URL": "sqlite://"})
    assert err.value.code == "config_invalid" and "SLUICE_DATABSE_URL" in err.value.message


def test_unknown_config_key_and_bad_types_are_rejected(tmp_path):
    (tmp_path / "sluice.toml").write_text('colour = "blue"\n')
    with pytest.raises(InvalidInput):
        load_settings(env={"SLUICE_HOME": str(tmp_path)})
    with pytest.raises(InvalidInput):
        load_settings(env={"SLUICE_PORT": "eighty"})
    (tmp_path / "sluice.toml").write_text('port = [\n')
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_settings(env={"SLUICE_HOME": str(tmp_path)})


def test_defaults_are_safe():
    s = load_settings(env={})
    assert s.host == "127.0.0.1"
    assert s.resolved_database_url.startswith("sqlite:///")


def test_every_setting_is_documented():
    text = DOCS.read_text()
    documented = set(re.findall(r"`SLUICE_([A-Z0-9_]+)`", text))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "add these to docs/settings.md"
    assert documented - fields - {"CONFIG"} == set(), "docs/settings.md names unknown settings"


def test_list_settings_come_from_the_environment():
    env = {"SLUICE_INGEST_ROOTS": "/a:/b", "SLUICE_STREAM_HOSTS": "127.0.0.1:1, redis:6380"}
    settings = load_settings(env=env)
    assert [str(p) for p in settings.ingest_roots] == ["/a", "/b"]
    assert settings.stream_hosts == ["127.0.0.1:1", "redis:6380"]
