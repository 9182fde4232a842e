"""``sluice label schema|queue|annotate|undo|agreement|resolve|export|import``."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, short, table
from sluice.core.labels import (
    QUEUE_ORDERS,
    Answer,
    AnswerError,
    SchemaKind,
    SessionResult,
)

app = typer.Typer(no_args_is_help=True)
schema_app = typer.Typer(no_args_is_help=True)
app.add_typer(schema_app, name="schema", help="Create and list label schemas.")

DatasetArg = Annotated[str, typer.Argument(help="The dataset.")]
SchemaArg = Annotated[str, typer.Argument(help="The label schema.")]


@schema_app.command("create")
def create_schema(
    dataset: DatasetArg, name: str,
    classes: Annotated[str, typer.Option(help="Comma-separated classes, e.g. ham,spam.")],
    kind: Annotated[SchemaKind, typer.Option(help="single, multi or spans.")] =
        SchemaKind.SINGLE,
    column: Annotated[str | None, typer.Option(
        help="Text column to show (default: one named text, else the longest texts).")] = None,
    overlap: Annotated[int, typer.Option(help="People per item.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Define what to label in a dataset."""
    s = state(as_json)
    schema = s.client().labels.create_schema(
        dataset, name, [c for c in classes.split(",") if c.strip()], kind=kind, column=column,
        overlap=overlap)
    if s.json:
        return print_json(schema)
    out.print(f"{dataset}:{schema.name} ({schema.kind}) on {schema.column}: "
              f"{', '.join(schema.classes)}")
    return None


@schema_app.command("column")
def set_column(
    dataset: DatasetArg, schema: SchemaArg,
    column: Annotated[str | None, typer.Argument(
        help="The text column to label; leave out to list the choices.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change the text column a schema labels."""
    s = state(as_json)
    labels = s.client().labels
    if column is None:
        choices = labels.text_columns(dataset, schema)
        if s.json:
            return print_json(choices)
        out.print("text columns, the default first: " + (", ".join(choices) or "none"))
        return None
    changed = labels.set_column(dataset, schema, column)
    if s.json:
        return print_json(changed)
    out.print(f"{dataset}:{changed.name} now labels {changed.column}")
    return None


@schema_app.command("list")
def list_schemas(dataset: DatasetArg, as_json: JsonOpt = False) -> None:
    """The dataset's label schemas."""
    s = state(as_json)
    schemas = s.client().labels.schemas(dataset)
    if s.json:
        return print_json(schemas)
    table("Label schemas", ["name", "kind", "column", "classes", "overlap"],
          [(x.name, x.kind.value, x.column, ", ".join(x.classes), x.overlap) for x in schemas])
    return None


@app.command("queue")
def queue(dataset: DatasetArg, schema: SchemaArg, limit: int = 10,
          order: Annotated[str, typer.Option(
              help=f"One of {', '.join(QUEUE_ORDERS)} (the last four: active "
                   "learning).")] = "sequential",
          as_json: JsonOpt = False) -> None:
    """Your next items to label, with progress."""
    s = state(as_json)
    result = s.client().labels.queue(dataset, schema, limit=limit, order=order)
    if s.json:
        return print_json(result)
    kv([("progress", f"{result.done}/{result.total} done, {result.mine} answered by you"),
        ("classes", ", ".join(result.classes))])
    table(None, ["key", "text"], [(i.key, short(i.text, 90)) for i in result.items])
    return None


@app.command("annotate")
def annotate(dataset: DatasetArg, schema: SchemaArg, key: str,
             label: Annotated[str | None, typer.Argument(help="The class.")] = None,
             skip: bool = False, as_json: JsonOpt = False) -> None:
    """Record your answer about one row."""
    s = state(as_json)
    saved = s.client().labels.annotate(dataset, schema, key, label=label, skip=skip)
    if s.json:
        return print_json(saved)
    out.print(f"{key}: {'skipped' if saved.skipped else saved.label}")
    return None


@app.command("undo")
def undo(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """Retract your newest answer."""
    s = state(as_json)
    undone = s.client().labels.undo(dataset, schema)
    return print_json(undone) if s.json else out.print(f"retracted your answer on {undone.row_key}")


@app.command("agreement")
def agreement(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """Agreement between annotators, overall and per class."""
    s = state(as_json)
    result = s.client().labels.agreement(dataset, schema)
    if s.json:
        return print_json(result)
    kv([("annotators", ", ".join(result.annotators)), ("items compared", result.items_compared),
        ("Krippendorff's alpha", _num(result.krippendorff_alpha)),
        ("Fleiss' kappa", _num(result.fleiss_kappa))]
       + [(f"Cohen's kappa {pair}", _num(v)) for pair, v in result.cohen_kappa.items()]
       + ([("span F1 (pairwise)", _num(result.span_f1))] if result.span_f1 is not None
          else []))
    table("Per class", ["class", "alpha", "positive agreement", "items"],
          [(c.label, _num(c.alpha), _num(c.positive_agreement), c.items)
           for c in result.per_class])
    out.print(f"{len(result.disagreements)} items disagree (`sluice label resolve`)")
    return None


@app.command("resolve")
def resolve(dataset: DatasetArg, schema: SchemaArg, key: str,
            label: Annotated[str | None, typer.Argument(help="The class.")] = None,
            adopt: Annotated[str | None, typer.Option(
                help="Adopt this person's answer instead (any kind of schema).")] = None,
            as_json: JsonOpt = False) -> None:
    """Settle a disagreement as a reviewer."""
    s = state(as_json)
    saved = s.client().labels.resolve(dataset, schema, key, label, adopt=adopt)
    shown = saved.label or ", ".join(saved.labels or []) or \
        f"{len(saved.spans or [])} spans"
    return print_json(saved) if s.json else out.print(f"{key}: {shown} (review)")


@app.command("export")
def export(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """One label per item from people (review, else majority), as CSV or JSON."""
    s = state(as_json)
    labels = s.client().labels.resolved(dataset, schema)
    if s.json:
        return print_json([{"key": k, "label": v} for k, v in labels.items()])
    writer = csv.writer(sys.stdout)
    writer.writerow(["key", "label"])
    writer.writerows(labels.items())
    return None


CHUNK = 1000  # answers per request while importing


@app.command("import")
def import_labels(
    dataset: DatasetArg, schema: SchemaArg,
    path: Annotated[Path, typer.Argument(help="CSV or JSON Lines with a key and a label "
                                              "per row (labels: ';'-separated, multi).")],
    key_column: str = "key", label_column: str = "label", as_json: JsonOpt = False,
) -> None:
    """Import labels made elsewhere as one labeling session: bad rows are reported, the
    rest kept, and a dataset version is committed at the end."""
    from sluice.cli.progress import count_bar

    s = state(as_json)
    answers = read_answers(path, key_column, label_column)
    client = s.client()
    kind = next((x.kind for x in client.labels.schemas(dataset) if x.name == schema),
                SchemaKind.SINGLE)
    answers = [a if kind != SchemaKind.MULTI or a.label is None else
               a.model_copy(update={"labels": [x.strip() for x in a.label.split(";")
                                               if x.strip()], "label": None})
               for a in answers]
    saved, version = 0, None
    errors: list[AnswerError] = []
    with count_bar(f"importing {path.name}", len(answers), quiet=s.json) as advance:
        for start in range(0, max(len(answers), 1), CHUNK):
            part = answers[start:start + CHUNK]
            result = client.labels.record_answers(dataset, schema, part,
                                                  finish=start + CHUNK >= len(answers))
            saved, errors, version = saved + result.saved, errors + result.errors, \
                result.version
            advance(start + len(part))
    result = SessionResult(schema_name=schema, saved=saved, errors=errors, version=version)
    if s.json:
        return print_json(result)
    for e in errors[:20]:
        out.print(f"[red]refused[/] {e.key}: {e.message}")
    out.print(f"{saved} labels saved, {len(errors)} refused; " +
              (f"{dataset}@{version}" if version else "labels unchanged: no new version"))
    return None


def read_answers(path: Path, key_column: str, label_column: str) -> list[Answer]:
    """Rows of a CSV, JSON (a list, as `export --json` writes) or JSON Lines file as
    answers; rows without a label are left out."""
    import io
    import json

    from sluice.errors import InvalidInput

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}; give a UTF-8 CSV, JSON or JSON "
                           "Lines file", code="invalid_file") from exc
    try:
        if path.suffix in (".jsonl", ".ndjson"):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif path.suffix == ".json":
            rows = json.loads(text)
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
    except (json.JSONDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path} is not valid {path.suffix[1:] or 'CSV'}: {exc}",
                           code="invalid_file") from exc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput(f"{path} should hold one object per row", code="invalid_file")
    for column in (key_column, label_column):
        if rows and not all(column in r for r in rows):
            raise InvalidInput(f"every row of {path} needs a {column!r} field "
                               "(--key-column and --label-column name others)",
                               code="column_not_found")
    return [Answer(key=str(r[key_column]), label=str(r[label_column]).strip()) for r in rows
            if r.get(label_column) not in (None, "")]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


lf_app = typer.Typer(no_args_is_help=True)
app.add_typer(lf_app, name="lf", help="No-code labeling functions: create, list, delete.")


@lf_app.command("create")
def create_function(
    dataset: DatasetArg, schema: SchemaArg, name: str,
    label: Annotated[str | None, typer.Option(help="The class it votes (not for --prompt).")]
        = None,
    keywords: Annotated[str | None, typer.Option(help="Comma-separated keywords.")] = None,
    regex: Annotated[str | None, typer.Option(help="A regular expression.")] = None,
    sql: Annotated[str | None, typer.Option(help="A SQL predicate on the row.")] = None,
    examples: Annotated[str | None, typer.Option(
        help="Comma-separated row keys: vote for rows similar to these.")] = None,
    prompt: Annotated[str | None, typer.Option(
        help="Zero-shot: ask the LLM this about each row (run it with `label lf run`).")]
        = None,
    threshold: Annotated[float, typer.Option(help="Similarity threshold.")] = 0.6,
    as_json: JsonOpt = False,
) -> None:
    """A keyword, regex, SQL, similarity or zero-shot LLM labeling function (give one)."""
    s = state(as_json)
    kind, config = _function_config(keywords, regex, sql, examples, threshold, prompt)
    made = s.client().labels.create_function(dataset, schema, name, kind, label=label,
                                             config=config)
    return print_json(made) if s.json else out.print(f"{name}: {kind} -> {label or 'any'}")


def _function_config(keywords: str | None, regex: str | None, sql: str | None,
                     examples: str | None, threshold: float,
                     prompt: str | None) -> tuple[str, dict[str, object]]:
    given = [(k, v) for k, v in (("keyword", keywords), ("regex", regex), ("sql", sql),
                                 ("similarity", examples), ("llm", prompt)) if v]
    if len(given) != 1:
        from sluice.errors import InvalidInput

        raise InvalidInput("give exactly one of --keywords, --regex, --sql, --examples, "
                           "--prompt", code="invalid_lf_config")
    from sluice.core.labels import config_from_rule

    kind, value = given[0]
    return kind, config_from_rule(kind, value, threshold=threshold)


@lf_app.command("list")
def list_functions(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """The schema's labeling functions and their last run."""
    s = state(as_json)
    functions = s.client().labels.functions(dataset, schema)
    if s.json:
        return print_json(functions)
    table("Labeling functions", ["name", "kind", "votes", "rule", "last run"],
          [(f.name, f.kind, f.label or "", short(f.config, 50),
            f"{f.applied.get('votes', '')} votes, {f.applied.get('failures', '')} failed"
            if f.applied else "never") for f in functions])
    return None


@lf_app.command("delete")
def delete_function(dataset: DatasetArg, schema: SchemaArg, name: str,
                    as_json: JsonOpt = False) -> None:
    """Remove a labeling function and its votes."""
    s = state(as_json)
    s.client().labels.delete_function(dataset, schema, name)
    info = {"deleted": name}
    return print_json(info) if s.json else out.print(f"deleted {name}")


@app.command("apply")
def apply(dataset: DatasetArg, schema: SchemaArg,
          only: Annotated[list[str] | None, typer.Option(help="Only these functions.")] = None,
          as_json: JsonOpt = False) -> None:
    """Run the no-code labeling functions (a job, with a progress bar) and show their
    analysis."""
    from sluice.cli.progress import follow

    s = state(as_json)
    client = s.client()
    follow(client, client.labels.start_apply(dataset, schema, only), as_json=s.json,
           label="applying labeling functions")
    return analysis(dataset, schema, as_json)


@app.command("analysis")
def analysis(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """Coverage, overlap, conflict and accuracy on people's labels, per function."""
    s = state(as_json)
    report = s.client().labels.analysis(dataset, schema)
    if s.json:
        return print_json(report)
    table(f"{dataset}:{schema} ({report.rows} rows, {report.labeled_by_people} labeled by "
          f"people)", ["function", "polarity", "coverage", "overlap", "conflict", "accuracy",
                       "failures"],
          [(f.name, ", ".join(f.polarity), _pct(f.coverage), _pct(f.overlap),
            _pct(f.conflict), _pct(f.accuracy), f.failures) for f in report.functions])
    out.print(f"any function votes on {_pct(report.coverage)} of rows; majority vote "
              f"accuracy on people's labels: {_pct(report.majority_vote_accuracy)}")
    return None


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


@app.command("model")
def label_model(dataset: DatasetArg, schema: SchemaArg,
                export: Annotated[bool, typer.Option(
                    help="Print every row's probabilistic label as CSV.")] = False,
                as_json: JsonOpt = False) -> None:
    """Fit the label model on the functions' votes and compare it with majority vote."""
    s = state(as_json)
    report = s.client().labels.label_model(dataset, schema, include_labels=export)
    if s.json:
        return print_json(report)
    if export:
        writer = csv.writer(sys.stdout)
        writer.writerow(["key", "label", "confidence", "votes"])
        writer.writerows((x.key, x.label, f"{x.confidence:.4f}", x.votes)
                         for x in report.labels or [])
        return None
    table("Estimated accuracy", ["function", "accuracy"],
          [(name, _pct(acc)) for name, acc in report.functions.items()])
    fold = "" if report.setting == "unsupervised" else ", out of fold"
    out.print(f"on {report.labeled_by_people} rows people labeled: label model "
              f"{_pct(report.label_model_accuracy)}{fold}, majority vote "
              f"{_pct(report.majority_vote_accuracy)} (ties broken at random)")
    out.print(f"fitted with: {report.setting}; class balance "
              + ", ".join(f"{c} {_pct(b)}" for c, b in report.class_balance.items()))
    return None


@app.command("curve")
def learning_curve(dataset: DatasetArg, schema: SchemaArg,
                   strategy: Annotated[str, typer.Option(
                       help="uncertainty, margin, entropy or diversity.")] = "uncertainty",
                   batch: int = 10, as_json: JsonOpt = False) -> None:
    """Accuracy against number of labels: a strategy vs random order, replayed with
    people's labels as the oracle."""
    s = state(as_json)
    result = s.client().labels.learning_curve(dataset, schema, strategy=strategy,
                                              batch=batch)
    if s.json:
        return print_json(result)
    random_by_n = dict(result.random)
    table(f"Learning curve ({result.test_rows} held-out rows)",
          ["labels", strategy, "random"],
          [(n, _pct(acc), _pct(random_by_n.get(n))) for n, acc in result.curve])
    return None


@app.command("commit")
def commit(dataset: DatasetArg, schema: SchemaArg,
           weak: Annotated[bool, typer.Option(
               help="Also write the label model's labels and confidences.")] = False,
           message: str = "", as_json: JsonOpt = False) -> None:
    """Write the labels as columns into a new dataset version."""
    s = state(as_json)
    version = s.client().labels.commit(dataset, schema, weak=weak, message=message)
    if s.json:
        return print_json(version)
    if version is None:
        out.print("labels unchanged: no new version")
    else:
        out.print(f"{dataset}@{version.number}: label_{schema}"
                  f"{f', weak_{schema}' if weak else ''}")
    return None


@app.command("issues")
def label_issues(dataset: DatasetArg, schema: SchemaArg, limit: int = 50,
                 as_json: JsonOpt = False) -> None:
    """Likely label errors among people's labels (confident learning), worst first."""
    s = state(as_json)
    found = s.client().labels.label_issues(dataset, schema, limit=limit)
    if s.json:
        return print_json(found)
    table(f"{len(found.issues)} likely errors in {found.checked} labeled rows "
          f"({found.folds}-fold)", ["key", "given", "suggested", "quality", "text"],
          [(i.key, i.given, i.suggested, f"{i.quality:.2f}", short(i.text, 60))
           for i in found.issues])
    out.print("settle one with `sluice label resolve DATASET SCHEMA KEY LABEL`")
    return None


@app.command("embed")
def embed(dataset: DatasetArg, schema: SchemaArg, as_json: JsonOpt = False) -> None:
    """Embed the schema's texts for active learning now, as a job (the queue does it by
    itself past 2,000 new texts; only changed texts are embedded again)."""
    from sluice.cli.progress import follow

    s = state(as_json)
    client = s.client()
    job = follow(client, client.labels.prepare_vectors(dataset, schema), as_json=s.json,
                 label=f"embedding {dataset}:{schema}")
    if s.json:
        return print_json(job)
    r = job.result or {}
    out.print(f"{r.get('rows', 0)} rows ready, {r.get('embedded', 0)} texts embedded")
    return None


@lf_app.command("run")
def run_llm(dataset: DatasetArg, schema: SchemaArg, name: str,
            as_json: JsonOpt = False) -> None:
    """Run a zero-shot (llm) labeling function over the rows, as a job."""
    from sluice.cli.progress import follow

    s = state(as_json)
    client = s.client()
    job = follow(client, client.labels.run_llm(dataset, schema, name), as_json=s.json,
                 label=f"llm {name}")
    if s.json:
        return print_json(job)
    r = job.result or {}
    out.print(f"{name}: {r.get('votes', 0)} votes on {r.get('rows', 0)} rows, "
              f"{r.get('failures', 0)} failed")
    return None


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="label",
                   help="Label rows: schemas, the queue, answers, agreement, review, export.")
