"""The AutoML search engine for tables on real small datasets (scikit-learn's bundled
breast cancer, iris and diabetes tables), and its refusals of targets it cannot learn."""

import numpy as np
import pandas as pd
import pytest

from sluice.core.training.featurize import fit_recipe
from sluice.core.training.models import Task
from sluice.core.training.tabular import detect_task, prepare, search as search_problem
from sluice.errors import InvalidInput


def search(frame: pd.DataFrame, target: str, *, budget_seconds: float, **options):
    return search_problem(prepare(frame, target), budget_seconds=budget_seconds, **options)


def _frame(loader) -> pd.DataFrame:
    frame = loader(as_frame=True).frame
    frame["_key"] = [f"r{i}" for i in range(len(frame))]  # system columns are ignored
    return frame


def test_binary_search_beats_nothing_worse_than_lightgbm_defaults():
    from sklearn.datasets import load_breast_cancer

    result = search(_frame(load_breast_cancer), "target", budget_seconds=4, max_trials=6)
    assert result.task is Task.BINARY and result.metric == "roc_auc" and result.rows == 569
    assert "_key" not in result.features and len(result.features) == 30
    assert result.trials[0].params["num_leaves"] == 31  # the first trial: the defaults
    assert result.best.score >= result.trials[0].score - 1e-12
    assert result.best.score > 0.97 and result.default_score > 0.95
    assert result.best.rounds > 0 and all(t.state in {"complete", "pruned", "failed"}
                                          for t in result.trials)


def test_multiclass_and_regression_pick_their_metric():
    from sklearn.datasets import load_diabetes, load_iris

    iris = search(_frame(load_iris), "target", budget_seconds=3, max_trials=3)
    assert iris.task is Task.MULTICLASS and iris.metric == "accuracy"
    assert iris.best.score > 0.85
    diabetes = search(_frame(load_diabetes), "target", budget_seconds=3, max_trials=3)
    assert diabetes.task is Task.REGRESSION and not diabetes.higher_is_better
    assert diabetes.best.score < float(np.std(load_diabetes().target))  # beats the mean


def test_tasks_and_features_are_read_from_the_values():
    assert detect_task(pd.Series([0, 1, 1, 0])) is Task.BINARY
    assert detect_task(pd.Series(["a", "b", "c"])) is Task.MULTICLASS
    assert detect_task(pd.Series([1.5, 2.25, 3.0])) is Task.REGRESSION
    assert detect_task(pd.Series(range(100))) is Task.REGRESSION
    frame = pd.DataFrame({"y": [0, 1] * 20, "city": ["a", "b", "c", "d"] * 10,
                          "note": [f"id-{i}" for i in range(40)],
                          "words": [f"free text number {i}" for i in range(40)],
                          "empty": [None] * 40, "flag": [True, False] * 20})
    recipe, dropped = fit_recipe(frame, "y")
    assert [(c.name, c.kind) for c in recipe.columns] == [
        ("city", "category"), ("words", "text"), ("flag", "number")]
    assert set(dropped) == {"note", "empty"} and "identifier" in dropped["note"]


@pytest.mark.parametrize(("frame", "target", "budget", "code"), [
    (pd.DataFrame({"a": range(30), "y": [1] * 30}), "y", 5, "target_constant"),
    (pd.DataFrame({"a": range(30), "y": [None] * 30}), "y", 5, "target_empty"),
    (pd.DataFrame({"a": range(30), "y": range(30)}), "nope", 5, "target_not_found"),
    (pd.DataFrame({"a": range(10), "y": [0, 1] * 5}), "y", 5, "dataset_too_small"),
    (pd.DataFrame({"a": range(30), "y": ["x"] * 29 + ["z"]}), "y", 5, "class_too_small"),
    (pd.DataFrame({"a": range(30), "y": [0, 1] * 15}), "y", 0, "invalid_budget"),
    (pd.DataFrame({"a": range(30), "y": [0, 1] * 15}), "y", -3, "invalid_budget"),
    (pd.DataFrame({"note": [f"t{i}" for i in range(30)], "y": [0, 1] * 15}), "y", 5,
     "no_features"),
])
def test_targets_that_cannot_be_learned_get_a_clear_code(frame, target, budget, code):
    with pytest.raises(InvalidInput) as err:
        search(frame, target, budget_seconds=budget)
    assert err.value.code == code



def test_a_short_budget_on_a_big_table_scores_each_trial_on_one_holdout():
    from sluice.core.training.tabular import auto_folds

    assert auto_folds(1_000, 10, 60) == 3  # small for a minute: cross-validated
    assert auto_folds(26_000, 14, 60) == 1  # Adult in a minute: one holdout (FLAML's rule)
    assert auto_folds(26_000, 14, 3_600) == 3
    assert auto_folds(150_000, 2, 86_400) == 1  # over 100k rows: always a holdout
    assert auto_folds(26_000, 14, None) == 3

    frame = pd.DataFrame({"x": np.arange(400) % 17, "t": np.arange(400)[::-1],
                          "y": ["a", "b"] * 200})
    held = prepare(frame, "y", folds=1, columns=["x"])
    [(train, valid)] = held.splits
    assert len(valid) == 80 and len(train) == 320 and "stratified 20% holdout" in held.split
    ordered = prepare(frame, "y", folds=1, columns=["x"], time_column="t")
    [(train, valid)] = ordered.splits
    assert frame["t"].iloc[valid].min() > frame["t"].iloc[train].max()
    auto = prepare(frame, "y", columns=["x"], budget=0.001)
    assert len(auto.splits) == 1 and "ask for folds to cross-validate" in auto.split
    assert len(prepare(frame, "y", columns=["x"], budget=600).splits) == 3
    result = search_problem(auto, budget_seconds=2, max_trials=3)
    assert result.folds == 1 and all(len(t.fold_scores) <= 1 for t in result.trials)
