"""Retrieval evaluation over a small BEIR folder, through the client and the CLI."""

import json

import pytest

from sluice.core.search.evaluation import RetrievalReport, ndcg_at, recall_at, reciprocal_rank
from sluice.errors import InvalidInput, NotFound
from tests.cli.test_cli import js, run

DOCS = {
    "d1": "Green tea is steeped at 80 degrees for two minutes.",
    "d2": "Basalt forms when lava from a volcano cools quickly.",
    "d3": "To tack a sailing boat, turn the bow through the wind.",
    "d4": "Sourdough bread rises with a starter of wild yeast.",
}
QUERIES = {"q1": "how hot should the water be for green tea",
           "q2": "rock made by volcanoes", "q3": "yeast for baking bread"}
QRELS = {"q1": {"d1": 2}, "q2": {"d2": 1}, "q3": {"d4": 1}}


@pytest.fixture
def beir(tmp_path):
    folder = tmp_path / "tiny" / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in DOCS.items()))
    (folder / "queries.jsonl").write_text("".join(
        json.dumps({"_id": k, "text": v}) + "\n" for k, v in QUERIES.items()))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t{g}\n" for q, docs in QRELS.items() for d, g in docs.items()))
    return folder.parent


def test_metrics():
    assert ndcg_at(["a", "b"], {"a": 1}) == 1.0
    assert ndcg_at(["b", "a"], {"a": 1}) == pytest.approx(1 / 1.5849625)
    assert recall_at(["a", "c"], {"a": 1, "b": 1}) == 0.5
    assert reciprocal_rank(["x", "y", "a"], {"a": 3}) == pytest.approx(1 / 3)


def test_eval_retrieval_scores_every_mode(client, beir):
    report = client.eval_retrieval(beir)
    assert report.view == "tiny_chunks" and report.queries == 3
    by_mode = {s.mode: s for s in report.scores}
    assert set(by_mode) == {"text", "vector", "hybrid"}
    assert by_mode["vector"].ndcg_at_10 > 0.9 and by_mode["hybrid"].recall_at_100 == 1.0
    again = client.eval_retrieval(beir, modes=["text"])  # reuses the loaded dataset
    assert [s.mode for s in again.scores] == ["text"] and again.view_version == 1


def test_eval_input_errors(client, beir, tmp_path):
    with pytest.raises(NotFound) as err:
        client.eval_retrieval(tmp_path / "nowhere")
    assert err.value.code == "beir_not_found"
    client.eval_retrieval(beir, modes=["text"])
    with pytest.raises(InvalidInput) as err:
        client.evaluate_retrieval("tiny_chunks", {}, {})
    assert err.value.code == "invalid_eval_set"
    with pytest.raises(InvalidInput) as err:
        client.evaluate_retrieval("tiny_chunks", {"q": "x"}, {"q": {"d1": 1}}, modes=["fuzzy"])
    assert err.value.code == "invalid_search_mode"


def test_an_over_long_or_empty_query_does_not_abort_the_evaluation(door_client, beir):
    """One query over search's length limit is cut and scored; an empty one scores 0;
    both are named in the report and the other queries are scored as usual."""
    door_client.eval_retrieval(beir, modes=["text"])
    long = QUERIES["q1"] + " " + "tea " * 1000
    job = door_client.evaluate_retrieval(
        "tiny_chunks", {"q1": long, "q2": QUERIES["q2"], "q3": "  "}, QRELS,
        modes=["text", "vector"])
    report = RetrievalReport.model_validate(job.result)
    assert job.state == "succeeded" and report.queries == 3
    assert report.truncated == ["q1"] and report.skipped == ["q3"]
    vector = {s.mode: s for s in report.scores}["vector"]
    assert 0.6 < vector.ndcg_at_10 <= 2 / 3  # q1 and q2 found, q3 counted as 0


def test_eval_cli(tmp_path, beir):
    out = js(run(tmp_path / "home", "eval", "retrieval", str(beir), "--modes", "text,hybrid",
                 "--json"))
    assert [s["mode"] for s in out["scores"]] == ["text", "hybrid"]
    human = run(tmp_path / "home", "eval", "retrieval", str(beir), "--modes", "vector")
    assert "nDCG@10" in human.stdout and "tiny_chunks@1" in human.stdout


QA = [
    {"question": "At what temperature is green tea steeped?", "answer": "80 degrees",
     "source": "d1"},
    {"question": "What makes sourdough rise?", "source": "d4"},
]


def test_eval_rag_scores_sources_and_answers(door_client, beir, tmp_path):
    door_client.eval_retrieval(beir, modes=["text"])
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(item) + "\n" for item in QA))
    report = door_client.eval_rag("tiny", qa, k=2, max_tokens=8)
    assert report.items == 2 and report.hit_rate == 1.0
    assert report.exact is not None and report.judge is None  # no judge with the tiny model
    assert report.scores[1].exact is None and report.llm == "smollm2"
    first = report.scores[0]
    assert first.extract_contains and first.contains and first.cited  # the extract has it
    assert report.cited_rate == 1.0 and report.extract_contains == 1.0
    assert report.style == "both" and report.first_ms_median > 0 and report.looped == 0.0
    extract_only = door_client.eval_rag("tiny", qa, k=2, style="extract")
    assert extract_only.llm == "none" and extract_only.scores[0].answer_contains
    run_trace = door_client.trace(report.trace_id)
    assert run_trace.kind == "eval.rag" and run_trace.outputs["hit_rate"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"answer": "no question"}\n')
    with pytest.raises(InvalidInput) as err:
        door_client.eval_rag("tiny", bad)
    assert err.value.code == "invalid_eval_set"


def test_eval_rag_cli(tmp_path, beir):
    home = tmp_path / "home"
    run(home, "eval", "retrieval", str(beir), "--modes", "text")
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps(QA[0]) + "\n")
    out = js(run(home, "eval", "rag", "tiny", str(qa), "--max-tokens", "6", "--json"))
    assert out["hit_rate"] == 1.0 and len(out["scores"]) == 1
    human = run(home, "eval", "rag", "tiny", str(qa), "--max-tokens", "6")
    assert "source hit rate" in human.stdout and "100.0%" in human.stdout
    assert "gold source cited" in human.stdout and "first words" in human.stdout
