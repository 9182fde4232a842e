"""Property tests: what goes into a dataset comes back out; diffs add up."""

from hypothesis import HealthCheck, given, settings, strategies as st

from sluice.core.quality.pii import find_pii, redact

values = st.one_of(st.none(), st.integers(-2**53, 2**53), st.text(max_size=30),
                   st.floats(allow_nan=False, allow_infinity=False))
rows_strategy = st.lists(
    st.fixed_dictionaries({"k": st.integers(0, 30), "a": st.text(max_size=20),
                           "b": st.integers(-1000, 1000)}),
    min_size=1, max_size=25)

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=rows_strategy)
def test_append_then_read_returns_the_same_rows(platform, rows):
    ctx = platform.local_context()
    name = "p" + str(abs(hash(str(rows))) % 10**9)
    result = platform.appends.append(ctx, name, rows)
    table = platform.datasets.to_arrow(ctx, f"{name}@{result.version}")
    got = sorted((r["k"], r["a"], r["b"]) for r in table.to_pylist())
    assert got == sorted((r["k"], r["a"], r["b"]) for r in rows)


@SETTINGS
@given(first=rows_strategy, second=rows_strategy)
def test_keyed_diff_accounts_for_every_key(platform, first, second):
    ctx = platform.local_context()
    name = "d" + str(abs(hash(str((first, second)))) % 10**9)
    dedup = lambda rows: list({r["k"]: r for r in rows}.values())  # noqa: E731
    one, two = dedup(first), dedup(second)
    platform.appends.append(ctx, name, one, key_column="k")
    platform.datasets.delete_rows(ctx, name, "k >= 0")
    platform.appends.append(ctx, name, two)
    versions = platform.datasets.versions(ctx, name)
    diff = platform.datasets.diff(ctx, name, 1, versions[0].number, limit=1000)
    old, new = {r["k"]: r for r in one}, {r["k"]: r for r in two}
    assert diff.added == len(new.keys() - old.keys())
    assert diff.removed == len(old.keys() - new.keys())
    assert diff.changed == sum(1 for k in old.keys() & new.keys() if old[k] != new[k])


@given(st.text(max_size=200))
def test_redaction_leaves_no_findings(text):
    assert find_pii(redact(text)) == [] or all(
        f.value in ("[EMAIL]", "[PHONE]") for f in find_pii(redact(text)))
