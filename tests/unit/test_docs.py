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
