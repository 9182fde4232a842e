// The Ask page: post the question, read the server-sent events as they arrive, show the
// extract (the passages' best sentences) first, then the model's answer token by token,
// and the sources as expandable cards; [n] in either opens source n. Answers are rendered
// as a small, safe subset of Markdown built with DOM nodes (never innerHTML): paragraphs,
// headings, lists, code, bold and italics. Links in an answer stay text.
(function () {
  const form = document.getElementById("ask-form");
  if (!form) return;
  const out = document.getElementById("ask-output");
  const answer = document.getElementById("ask-answer");
  const answerCard = document.getElementById("ask-answer-card");
  const extract = document.getElementById("ask-extract");
  const extractCard = document.getElementById("ask-extract-card");
  const notice = document.getElementById("ask-notice");
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

  // -- Markdown (a safe subset) -------------------------------------------------------
  const INLINE = /(`[^`\n]+`|\*\*[^*\n]+\*\*|__[^_\n]+__|\*[^*\s][^*\n]*\*|\[\d{1,3}\])/;

  function citation(text, n) {
    const target = document.getElementById("source-" + n);
    if (!target) return document.createTextNode(text);
    const a = document.createElement("a");
    a.href = "#source-" + n;
    a.className = "cite";
    a.textContent = text;
    a.addEventListener("click", () => { target.open = true; });
    return a;
  }

  function inline(text, parent) {
    for (const part of text.split(INLINE)) {
      if (!part) continue;
      let node;
      if (/^`[^`]+`$/.test(part)) {
        node = document.createElement("code");
        node.textContent = part.slice(1, -1);
      } else if (/^(\*\*|__).+(\*\*|__)$/.test(part)) {
        node = document.createElement("strong");
        node.textContent = part.slice(2, -2);
      } else if (/^\*[^*].*\*$/.test(part)) {
        node = document.createElement("em");
        node.textContent = part.slice(1, -1);
      } else if (/^\[\d{1,3}\]$/.test(part)) {
        node = citation(part, part.slice(1, -1));
      } else {
        node = document.createTextNode(part);
      }
      parent.append(node);
    }
  }

  function renderMarkdown(text, container) {
    container.replaceChildren();
    const lines = text.split("\n");
    let para = [], list = null, code = null;
    const flushPara = () => {
      if (!para.length) return;
      const p = document.createElement("p");
      inline(para.join(" "), p);
      container.append(p);
      para = [];
    };
    for (const line of lines) {
      if (code !== null) {
        if (/^\s*```/.test(line)) { container.append(code.parentNode); code = null; }
        else code.textContent += (code.textContent ? "\n" : "") + line;
        continue;
      }
      const fence = /^\s*```/.test(line);
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      const item = /^\s*(?:([-*+])|(\d{1,3})[.)])\s+(.*)$/.exec(line);
      if (fence || heading || item || !line.trim()) flushPara();
      if (!item && list) { container.append(list); list = null; }
      if (fence) {
        const pre = document.createElement("pre");
        code = document.createElement("code");
        pre.append(code);
      } else if (heading) {
        const h = document.createElement("h4");
        inline(heading[2], h);
        container.append(h);
      } else if (item) {
        const kind = item[2] ? "OL" : "UL";
        if (!list || list.tagName !== kind) {
          if (list) container.append(list);
          list = document.createElement(kind.toLowerCase());
        }
        const li = document.createElement("li");
        inline(item[3], li);
        list.append(li);
      } else if (line.trim()) {
        para.push(line.trim());
      }
    }
    flushPara();
    if (list) container.append(list);
    if (code !== null) container.append(code.parentNode);
  }

  // -- events -------------------------------------------------------------------------
  function showExtract(text) {
    extractCard.hidden = false;
    renderMarkdown(text || "No sentence of the passages matches the question.", extract);
    if (form.elements.style.value === "extract") statusLine.textContent = "done";
  }

  function finish(result) {
    if (result.style === "extract") {
      answerCard.hidden = true;
    } else {
      answer.classList.add("rendered");
      renderMarkdown(result.answer, answer);
    }
    if (result.extract) showExtract(result.extract);
    notice.hidden = !result.notice;
    notice.textContent = result.notice || "";
    for (const c of result.citations) {
      if (c.cited) document.getElementById("source-" + c.number)?.classList.add("cited");
    }
    const parts = [];
    if (result.llm !== "none") {
      parts.push(result.llm + " · " + result.prompt + " · " + result.completion_tokens +
        " tokens in " + (result.generation_ms / 1000).toFixed(1) + " s");
    }
    parts.push("retrieval " + Math.round(result.retrieval_ms) + " ms");
    if (result.extract) parts.push("extract " + Math.round(result.extract_ms) + " ms");
    statusLine.textContent = parts.join(" · ") + " · trace ";
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
    else if (type === "extract") showExtract(value);
    else if (type === "token") answer.textContent += value;
    else if (type === "done") finish(value);
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
    a.textContent = answerCard.hidden ? extract.textContent : answer.textContent;
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

  function reset() {
    out.hidden = false;
    out.dataset.state = "running";
    errorLine.hidden = true;
    notice.hidden = true;
    answer.textContent = "";
    answer.classList.remove("rendered");
    extract.replaceChildren();
    extractCard.hidden = true;
    answerCard.hidden = form.elements.style.value === "extract";
    sources.replaceChildren();
    statusLine.textContent = "finding passages and writing…";
  }

  async function run() {
    keepPrevious();
    out.dataset.question = document.getElementById("ask-q").value;
    reset();
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
