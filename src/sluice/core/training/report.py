"""The plain report of a search: what was done and why, in words a person reads on the
model card and on the training page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluice.core.training.models import Task, TrainRequest, TrainResult

if TYPE_CHECKING:
    from sluice.core.training.tabular import Problem

TASKS = {Task.BINARY: "binary classification", Task.MULTICLASS: "classification",
         Task.REGRESSION: "regression"}
METRIC_NAMES = {"roc_auc": "ROC AUC", "accuracy": "accuracy", "rmse": "RMSE"}


def report(request: TrainRequest, problem: Problem, result: TrainResult) -> str:
    metric = METRIC_NAMES.get(result.metric, result.metric)
    better = "higher" if result.higher_is_better else "lower"
    lines = [f"# Predicting `{request.target}` from {request.dataset}", "",
             f"- **Task**: {TASKS[result.task]}{_classes(problem)}"
             f"{'' if request.task else ' (detected from the target values)'}.",
             f"- **Rows**: {result.rows:,} with a value in `{request.target}`.",
             f"- **Features**: {_features(problem)}.",
             f"- **Validation**: {result.split}; metric {metric} ({better} is better).",
             f"- **Search**: {result.trials} settings tried in {result.search_seconds:.0f} s "
             f"of a {request.budget:g} s budget ({result.pruned} stopped early as "
             f"unpromising, {result.cut} cut by the budget, {result.failed} failed) on "
             f"{result.trials_on}, Optuna TPE over "
             f"{'LightGBM and a linear model' if problem.recipe.text else 'LightGBM'}.",
             f"- **Best**: {result.best.family}, {metric} {result.best.score:.4f}; LightGBM "
             f"with its default settings scores {result.default_score:.4f} on the same "
             f"folds.",
             f"- **Final model**: the best settings refit on all {result.rows:,} rows"
             f"{_rounds(result)}."]
    onnx = result.onnx
    if onnx.get("exported"):
        lines.append(f"- **ONNX**: `model/{onnx['file']}` takes the {onnx['inputs']} features "
                     f"as float32; its predictions match the model's on "
                     f"{onnx['checked_rows']} rows (largest difference "
                     f"{onnx['max_difference']:.1g}).")
    elif onnx:
        lines.append(f"- **ONNX**: not exported ({onnx.get('note', '')}).")
    if request.weight_column:
        lines.append(f"- **Weights**: each row weighted by `{request.weight_column}`.")
    if result.check is not None:
        check = result.check
        lines.append(f"- **Check**: on {check.rows:,} rows held out because they have "
                     f"`{check.column}` (people's labels), {check.metric} "
                     f"{check.score:.4f}.")
    if result.dropped:
        lines += ["", "Columns left out:"]
        lines += [f"- `{name}`: {why}" for name, why in result.dropped.items()]
    return "\n".join(lines) + "\n"


def _classes(problem: Problem) -> str:
    if not problem.classes:
        return ""
    shown = ", ".join(problem.classes[:8]) + (" ..." if len(problem.classes) > 8 else "")
    return f" of {len(problem.classes)} classes ({shown})"


def _features(problem: Problem) -> str:
    kinds: dict[str, list[str]] = {}
    for c in problem.recipe.columns:
        kinds.setdefault(c.kind, []).append(f"`{c.name}`")
    words = {"number": "numbers", "date": "dates", "category": "categories",
             "text": "text, embedded with MiniLM"}
    return "; ".join(f"{words[k]}: {', '.join(v)}" for k, v in kinds.items())


def _rounds(result: TrainResult) -> str:
    if result.best.family != "lightgbm":
        return ""
    from sluice.core.training.folds import REFIT_ROUNDS

    rounds = result.best.refit_rounds or max(1, round(result.best.rounds * REFIT_ROUNDS))
    return f" with {rounds} boosting rounds"
