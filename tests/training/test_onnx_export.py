"""ONNX export of trained models: LightGBM (with a category) and the linear model, for
each task, kept only when onnxruntime predicts what the model predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sluice.core.training.families import predict_any
from sluice.core.training.folds import Scorer
from sluice.core.training.models import Task, Trial
from sluice.core.training.onnx_export import export, run
from sluice.core.training.tabular import prepare

LGB = {"num_leaves": 15, "learning_rate": 0.1, "min_child_samples": 5,
       "feature_fraction": 1.0, "bagging_fraction": 1.0, "lambda_l2": 0.0}


def _frame(name: str) -> pd.DataFrame:
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    frame["colour"] = (["red", "green", "blue", None] * 200)[:len(frame)]  # a category
    return frame


@pytest.mark.parametrize("name", ["breast_cancer", "iris", "diabetes"])
@pytest.mark.parametrize(("family", "params"), [("lightgbm", LGB), ("linear", {"C": 1.0})])
def test_exported_models_predict_like_the_model(name: str, family: str, params: dict,
                                                tmp_path: Path) -> None:
    problem = prepare(_frame(name), "target")
    scorer = Scorer(problem, 0, deadline=float("inf"), stop=lambda: False, on_trial=None)
    fitted = scorer.refit(Trial(number=0, family=family, params=params, score=1.0, rounds=40,
                                seconds=0.0, state="complete"))
    done = export(fitted, problem.task, problem.x, tmp_path)
    assert done["exported"], done
    assert done["max_difference"] < 1e-4 and done["inputs"] == problem.x.shape[1]
    onnx = run((tmp_path / "model.onnx").read_bytes(), problem.x, problem.task)
    want = predict_any(fitted, problem.x)
    scale = np.maximum(1.0, np.abs(want)) if problem.task is Task.REGRESSION else 1.0
    assert np.max(np.abs(onnx - want) / scale) < 1e-4  # every row, not only the sample


def test_a_model_onnx_cannot_match_is_not_exported(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.core.training import onnx_export

    problem = prepare(_frame("iris"), "target")
    scorer = Scorer(problem, 0, deadline=float("inf"), stop=lambda: False, on_trial=None)
    fitted = scorer.refit(Trial(number=0, family="linear", params={"C": 1.0}, score=1.0,
                                rounds=0, seconds=0.0, state="complete"))
    monkeypatch.setattr(onnx_export, "predict_any",  # the model now says something else
                        lambda f, x: np.full((len(x), 3), 1 / 3))
    done = export(fitted, Task.MULTICLASS, problem.x, tmp_path)
    assert not done["exported"] and "differ" in done["note"]
    assert not (tmp_path / "model.onnx").exists()
