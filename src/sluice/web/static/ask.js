// The Ask page: post the question, read the server-sent events as they arrive, show the
// answer token by token and the sources as expandable cards; [n] in the answer opens n.
(function () {
  const form = document.getElementById("ask-form");
  if (!form) return;
  const out = document.getElementById("ask-output");
  const answer = document.getElementById("ask-answer");
  const statusLine = document.getElementById("ask-status");
  const sources = document.getElementById("ask-sources");
  const errorLine = document.getElementById("ask-error");

  function showError(err) {
    errorLine.hidden = false;
    errorLine.textContent = (err.message || "the request failed") + " (" + (err.code || "error") + ")";
    statusLine.textContent = "";
  }

  function renderSources(items) {
    sources.replaceChildren();
    for (const c of items) {
      const box = document.createElement("details");
      box.className = "source";
      box.id = "source-" + c.number;
      const head = document.createElement("summary");
      head.textContent = "[" + c.number + "] " + (c.source || c.parent_key) + (c.heading ? " · " + c.heading : "");
      const body = document.createElement("div");
      body.className = "hit-text";
      body.textContent = c.text;
      box.append(head, body);
      sources.append(box);
    }
  }

  function linkCitations(result) {
    answer.replaceChildren();
    const parts = result.answer.split(/(\[\d{1,3}\])/);
    for (const part of parts) {
      const m = /^\[(\d{1,3})\]$/.exec(part);
      const target = m && document.getElementById("source-" + m[1]);
      if (target) {
        const a = document.createElement("a");
        a.href = "#source-" + m[1];
        a.className = "cite";
        a.textContent = part;
        a.addEventListener("click", () => { target.open = true; });
        answer.append(a);
      } else {
        answer.append(document.createTextNode(part));
      }
    }
    for (const c of result.citations) {
      if (c.cited) document.getElementById("source-" + c.number)?.classList.add("cited");
    }
    statusLine.textContent = result.llm + " · " + result.prompt + " · " + result.completion_tokens +
      " tokens in " + (result.generation_ms / 1000).toFixed(1) + " s · trace ";
    const link = document.createElement("a");
    link.href = "/traces/" + result.trace_id;
    link.textContent = result.trace_id;
    statusLine.append(link);
    out.dataset.state = "done";
  }

  function handle(block) {
    let type = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    const value = data ? JSON.parse(data) : null;
    if (type === "sources") renderSources(value);
    else if (type === "token") answer.textContent += value;
    else if (type === "done") linkCitations(value);
    else if (type === "error") showError(value);
  }

  // Earlier answers of this visit stay on the page, newest first, below the current one.
  function keepPrevious() {
    if (out.dataset.state !== "done") return;
    const item = document.createElement("article");
    item.className = "card previous";
    const q = document.createElement("h3");
    q.textContent = out.dataset.question || "";
    const a = document.createElement("div");
    a.className = "answer";
    a.textContent = answer.textContent;
    const src = document.createElement("details");
    const label = document.createElement("summary");
    label.textContent = sources.children.length + " sources";
    src.append(label);
    for (const box of sources.querySelectorAll("details.source")) {
      const line = document.createElement("div");
      line.className = "muted";
      line.textContent = box.querySelector("summary").textContent;
      src.append(line);
    }
    item.append(q, a, src);
    document.getElementById("ask-history").prepend(item);
  }

  async function run() {
    keepPrevious();
    out.dataset.question = document.getElementById("ask-q").value;
    out.hidden = false;
    out.dataset.state = "running";
    errorLine.hidden = true;
    answer.textContent = "";
    sources.replaceChildren();
    statusLine.textContent = "finding passages and writing…";
    const body = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "/ask?" + body.toString());
    const resp = await fetch("/ask/stream", {method: "POST", body: body});
    if (!resp.ok) {
      let payload = {};
      try { payload = await resp.json(); } catch (e) { /* not JSON */ }
      showError(payload.error || {message: resp.statusText});
      out.dataset.state = "error";
      return;
    }
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        handle(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  if (document.getElementById("ask-q").value.trim()) run();
})();
