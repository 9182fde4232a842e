"""The guard against degenerate generations and the extractive answer's text handling:
pure functions, no model."""

import numpy as np
import pytest

from sluice.core.rag.extract import blocks, content_words, extract, render, sentences
from sluice.core.rag.guard import Guard, Linked, looping_tail, repeated_sentence
from sluice.core.rag.models import Citation

LOOP = "Use the restore command. " + "-o " * 12
SAME = "The answer is in the settings. " * 4


@pytest.mark.parametrize("text", [LOOP, SAME, "Yes [1]." + " I do not know." * 5])
def test_loops_are_seen(text):
    assert Guard().check(text)


@pytest.mark.parametrize("text", [
    "Set SLUICE_DEVICE to cuda [1]. It falls back to the CPU [2].",
    "1. Ingest the folder.\n2. Create a view.\n3. Ask a question.",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[1][2][3] all say the same thing.",
])
def test_ordinary_answers_pass(text):
    assert not Guard().check(text)


def test_clean_keeps_one_copy_of_a_loop_and_drops_a_new_prompt_turn():
    assert Guard.clean(LOOP).startswith("Use the restore command. -o")
    assert Guard.clean(LOOP).count("-o") == 1
    assert Guard.clean(SAME) == "The answer is in the settings."
    assert Guard.clean("Port 8080 [1].\nQuestion: what else?") == "Port 8080 [1]."
    guard = Guard()
    assert guard.check("Port 8080 [1].\nQuestion: what") and guard.reason == "stop"


def test_looping_tail_finds_where_the_copies_start():
    period, start = looping_tail("intro " + "ab-" * 20)
    assert period == 3 and start == len("intro ")
    assert looping_tail("no loop here at all") is None
    assert not repeated_sentence("One. Two. Three. One.")


def test_linked_event_follows_its_parent_without_setting_it():
    import threading

    parent = threading.Event()
    linked = Linked(parent)
    linked.set()
    assert linked.is_set() and not parent.is_set()
    other = Linked(parent)
    parent.set()
    assert other.is_set()


def _cite(number, text, source="guide.md"):
    return Citation(number=number, cited=False, key=f"k{number}", parent_key=f"p{number}",
                    source=source, heading="", text=text, score=1.0, dataset="docs",
                    version=1)


def test_blocks_join_wrapped_lines_and_keep_the_command_after_a_colon():
    text = ("# Title\n\nA workspace is a folder holding\nthe metadata database.\n\n"
            "- first item of a\n  list that wraps\n\nRun this:\n\n```bash\nsluice up\n```\n"
            "| `SLUICE_PORT` | 8080 | Port the server listens on. |\n|---|---|---|")
    assert blocks(text) == ["A workspace is a folder holding the metadata database.",
                            "- first item of a list that wraps", "Run this: `sluice up`",
                            "| `SLUICE_PORT` | 8080 | Port the server listens on. |"]
    found = [s.text for s in sentences([_cite(1, text)])]
    assert "`SLUICE_PORT` · 8080 · Port the server listens on." in found
    assert "first item of a list that wraps" in found


def test_a_chunk_starting_mid_sentence_drops_the_fragment():
    found = sentences([_cite(1, "than twenty rows have labels now. The queue then asks "
                                "for the most typical row.")])
    assert [s.text for s in found] == ["The queue then asks for the most typical row."]


def test_extract_prefers_the_sentence_that_shares_the_question_words():
    passages = [_cite(1, "Sluice keeps versions of every dataset. The server binds to "
                         "127.0.0.1 unless SLUICE_HOST says otherwise."),
                _cite(2, "Labels are kept with their source and time of answer.")]

    def embed(texts):  # a stand-in with no preference: only the words decide
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    chosen = extract("Which address does the server bind to?", passages, embed)
    assert chosen[0].text.startswith("The server binds to 127.0.0.1") and chosen[0].number == 1
    assert render(chosen[:1]) == ("The server binds to 127.0.0.1 unless SLUICE_HOST says "
                                  "otherwise. [1]")
    assert content_words("The servers are binding") == {"server", "bind"}
    assert extract("anything", [_cite(1, "```\ncode only\n```")], embed) == []


def test_sentences_the_model_forgot_to_cite_get_the_passage_their_words_come_from():
    from sluice.core.rag.extract import attribute

    passages = [_cite(1, "The server binds to 127.0.0.1 unless SLUICE_HOST says otherwise."),
                _cite(2, "Green tea is steeped at 80 degrees for two minutes.")]
    answer = ("The server binds to 127.0.0.1 by default. It is a nice thing to have!\n\n"
              "- green tea is steeped hot [2]\n- Green tea steeped at 80 degrees")
    assert attribute(answer, passages) == (
        "The server binds to 127.0.0.1 by default. [1] It is a nice thing to have!\n\n"
        "- green tea is steeped hot [2]\n- Green tea steeped at 80 degrees [2]")
    assert attribute("", passages) == "" and attribute("Yes.", []) == "Yes."
