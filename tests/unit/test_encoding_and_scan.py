from sluice.core.ingest.encoding import decode_text, detect_encoding
from sluice.core.ingest.scan import scan_paths


def test_detects_common_encodings():
    text = "naïve café — Ñandú"
    assert decode_text(text.encode("utf-8"))[0] == text
    assert decode_text(text.encode("utf-16"))[0] == text
    assert decode_text(text.encode("utf-16-be"))[0] == text
    assert decode_text("naïve café Ñandú à la crème".encode("cp1252"))[0] == \
        "naïve café Ñandú à la crème"
    assert detect_encoding(b"plain ascii") == "utf-8"


def test_scan_applies_globs_and_skips_vcs_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a" / "x.md").write_text("x")
    (tmp_path / "a" / "y.txt").write_text("y")
    (tmp_path / ".git" / "z.md").write_text("z")
    roots, entries = scan_paths([str(tmp_path)], include=["*.md"])
    assert [e.rel for e in entries] == ["a/x.md"]
    assert roots[0].is_folder
    _, entries = scan_paths([str(tmp_path)], exclude=["a/*.txt"])
    assert [e.rel for e in entries] == ["a/x.md"]
