"""Docs that cannot drift: the CLI and API references are regenerated and compared."""

from pathlib import Path

from scripts.gen_docs import api_markdown, cli_markdown, settings_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_reference_is_current():
    assert (DOCS / "cli.md").read_text() == cli_markdown(), \
        "run `python scripts/gen_docs.py` and commit docs/cli.md"


def test_api_reference_is_current():
    assert (DOCS / "api.md").read_text() == api_markdown(), \
        "run `python scripts/gen_docs.py` and commit docs/api.md"


def test_settings_table_is_current():
    current = (DOCS / "settings.md").read_text()
    assert settings_markdown(current) == current, (
        "run `python scripts/gen_docs.py` and commit docs/settings.md")


def test_readme_shows_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text()
    assert "make up" in readme and "make test" in readme


def test_the_security_page_names_real_settings():
    import re

    from sluice.settings import Settings

    named = set(re.findall(r"`SLUICE_([A-Z0-9_]+)", (DOCS / "security.md").read_text()))
    known = {name.upper() for name in Settings.model_fields}
    assert named and named - known <= {"SQL_"}, named - known
    limits = {"MAX_BODY_BYTES", "MAX_JSON_DEPTH", "PARSER_MEMORY_BYTES", "MAX_INFLATED_BYTES",
              "MODEL_SECONDS_PER_MINUTE", "LOGIN_FAILURES_PER_MINUTE", "STREAM_HOSTS",
              "LF_APPLY_SECONDS", "SESSION_HOURS", "MAX_EMBED_CHARS", "LLM_CONTEXT_TOKENS"}
    assert limits <= named
