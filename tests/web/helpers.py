"""What the browser tests share: logging a page in, and two logged runs to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def logged_in(chromium: Any, live_server: Any, **options: Any) -> Any:
    """A new page of a new context, signed in with the server's admin token."""
    context = chromium.new_context(base_url=live_server.url, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/login")
    page.fill("input[name=token]", live_server.token)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/datasets")
    return page


def log_two_runs(client: Any, experiment: str, tmp: Path, *, steps: int,
                 inputs: list[Any] | None = None) -> list[str]:
    """Runs ``lr-0.1`` and ``lr-0.9`` with params, a loss curve, an accuracy and a skops
    model; ``inputs`` (RunInput) are logged on each."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    sio.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), tmp / "model.skops")
    ids = []
    for lr in (0.1, 0.9):
        with client.run(experiment=experiment, name=f"lr-{lr}") as run:
            run.log_params({"lr": lr, "batch": 32})
            for step in range(steps):
                run.log_metric("loss", 1 / (step + 1) + lr, step=step)
            run.log_metric("acc", 1 - lr / 2)
            run.log_artifact(tmp / "model.skops", artifact_path="model")
            if inputs:
                client.runs.log_inputs(run.id, inputs)
        ids.append(run.id)
    return ids
