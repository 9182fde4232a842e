// The annotation page: keyboard-driven, with the next items already loaded.
(function () {
  "use strict";
  var root = document.getElementById("annotate");
  if (!root) return;
  var base = "/label/" + encodeURIComponent(root.dataset.dataset) + "/" +
             encodeURIComponent(root.dataset.schema);
  var classes = JSON.parse(root.dataset.classes);
  var items = JSON.parse(root.dataset.queue);
  var rendered = JSON.parse(root.dataset.rendered);
  var done = Number(root.dataset.done), total = Number(root.dataset.total);
  var mine = Number(root.dataset.mine), skipped = Number(root.dataset.skipped || 0);
  var overlap = Number(root.dataset.overlap || 1);
  var actions = 0;     // answers and undos so far: a queue fetched before one is stale
  var kind = root.dataset.kind;
  var answered = {};   // key -> label ("" for skip)
  var index = 0, fetching = false;
  var unsaved = 0;     // answers since the session last committed a dataset version
  var chosen = [];     // multi-label: classes toggled on; spans: {start, end, label}

  function el(id) { return document.getElementById(id); }

  function showProgress() {
    var item = items[index];
    el("progress").textContent = done + " of " + total + " done · " + (mine - skipped) +
      " labeled by you" + (skipped ? " · " + skipped + " skipped" : "") +
      (item ? " · item " + (index + 1) + " of " + items.length + " loaded" : "");
    el("progress-bar").value = done;
  }

  function show() {
    var item = items[index];
    showProgress();
    if (!item) {
      el("item").innerHTML = "<p>Nothing left to label here. Thank you!</p>";
      el("item-key").textContent = "";
      root.dataset.current = "";
      return;
    }
    el("item").innerHTML = rendered[item.key] || "";
    if (kind === "spans") { markSpans(item); }
    if (kind !== "single") {
      el("pending").textContent = kind === "multi" ?
        "selected: " + (chosen.join(", ") || "none") :
        "spans: " + (chosen.map(function (sp) { return sp.label + " [" + sp.start + "-" + sp.end + "]"; }).join(", ") || "none");
    }
    el("item-key").textContent = item.key + (item.key in answered ?
      " · your answer: " + (answered[item.key] || "skipped") : "");
    root.dataset.current = item.key;
    document.querySelectorAll("button.choice").forEach(function (b) {
      b.classList.toggle("chosen", kind === "multi" ? chosen.indexOf(b.dataset.label) >= 0 :
                                   answered[item.key] === b.dataset.label);
    });
  }

  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                       body: body ? JSON.stringify(body) : null, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (d) { return {ok: r.ok, data: d}; }); });
  }

  function nextUnanswered(from) {
    for (var i = from; i < items.length; i++) { if (!(items[i].key in answered)) return i; }
    return items.length;
  }

  function refill() {
    if (fetching || items.length - nextUnanswered(index) > 5) return;
    fetching = true;
    var sent = actions;
    fetch(base + ".json?limit=20&order=" + encodeURIComponent(root.dataset.order || "sequential"),
          {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (page) {
        var showing = items[index], have = {};
        items.forEach(function (i) { have[i.key] = true; });
        page.queue.items.forEach(function (i) {
          if (!have[i.key]) { items.push(i); rendered[i.key] = page.rendered[i.key]; }
        });
        if (sent === actions) done = page.queue.done;  // else our own count is newer
        fetching = false;
        // the server has nothing more for this person: the session is over
        if (nextUnanswered(index) >= items.length && unsaved > 0) finish();
        // re-render only if there was nothing to show: redrawing the item would drop
        // a selection the person is making in it
        if (showing) showProgress(); else show();
      })
      .catch(function () { fetching = false; });
  }

  // Keep the counters true after each answer: `before` is this person's earlier answer
  // ("" a skip, null none); an item is done once `overlap` people labeled it.
  function count(item, before, skip) {
    actions += 1;
    if (before === null) mine += 1;
    if (skip && before !== "") skipped += 1;
    if (!skip && before === "") skipped -= 1;
    if (!skip && (before === null || before === "") && item.answers + 1 === overlap) {
      done += 1;
    }
  }

  function answer(label, skip) {
    var item = items[index];
    if (!item) return;
    var key = item.key;
    var body = {key: key, skip: !!skip};
    if (!skip && kind === "single") body.label = label;
    if (!skip && kind === "multi") body.labels = chosen.slice();
    if (!skip && kind === "spans") body.spans = chosen.slice();
    var shown = skip ? "skip" : (kind === "single" ? label :
                                 kind === "multi" ? (chosen.join("+") || "none") :
                                 chosen.length + " spans");
    post(base + "/answer", body).then(function (res) {
      if (!res.ok) { el("status").textContent = res.data.error.message; return; }
      count(item, key in answered ? answered[key] : null, skip);
      answered[key] = skip ? "" : shown;
      chosen = [];
      el("status").textContent = "saved " + shown + " for " + key;
      root.dataset.saved = String(Number(root.dataset.saved || 0) + 1);
      unsaved += 1;
      index = nextUnanswered(index + 1);
      show();
      refill();
    });
  }

  function toggle(label) {
    var at = chosen.indexOf(label);
    if (at >= 0) chosen.splice(at, 1); else chosen.push(label);
    show();
  }

  function offsetIn(node, offset) {
    // the character offset of (node, offset) within the item's text
    var walker = document.createTreeWalker(el("item"), NodeFilter.SHOW_TEXT), total = 0, n;
    while ((n = walker.nextNode())) {
      if (n === node) return total + offset;
      total += n.textContent.length;
    }
    return -1;
  }

  function addSpan(label) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) {
      el("status").textContent = "select some text first";
      return;
    }
    var range = sel.getRangeAt(0);
    var start = offsetIn(range.startContainer, range.startOffset);
    var end = offsetIn(range.endContainer, range.endOffset);
    if (start < 0 || end <= start) { el("status").textContent = "select text inside the item"; return; }
    chosen.push({start: start, end: end, label: label});
    sel.removeAllRanges();
    show();
  }

  function markSpans(item) {
    var text = item.text, html = "", at = 0;
    chosen.slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (sp) {
      if (sp.start < at) return;
      html += escapeHtml(text.slice(at, sp.start)) + "<mark title=\"" + escapeHtml(sp.label) +
              "\">" + escapeHtml(text.slice(sp.start, sp.end)) + "</mark>";
      at = sp.end;
    });
    el("item").innerHTML = html + escapeHtml(text.slice(at));
  }

  function escapeHtml(t) {
    return t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;");
  }

  function pick(label) {
    if (kind === "single") answer(label, false);
    else if (kind === "multi") toggle(label);
    else addSpan(label);
  }

  function finish() {
    // end the session: people's labels go into a new dataset version
    var counted = unsaved;
    post(base + "/finish").then(function (res) {
      if (!res.ok) { el("status").textContent = res.data.error.message; return; }
      unsaved = Math.max(0, unsaved - counted);  // answers given meanwhile still count
      el("status").textContent = res.data.ref ?
        "session saved as " + res.data.ref : "labels unchanged: no new version";
      root.dataset.version = res.data.version || "";
    });
  }

  function undo() {
    post(base + "/undo").then(function (res) {
      if (!res.ok) { el("status").textContent = res.data.error.message; return; }
      var key = res.data.row_key;
      actions += 1;
      for (var i = 0; i < items.length; i++) { if (items[i].key === key) { index = i; break; } }
      if (answered[key] === "") skipped = Math.max(0, skipped - 1);
      else if (key in answered && items[index].key === key &&
               items[index].answers + 1 === overlap) done = Math.max(0, done - 1);
      delete answered[key];
      mine = Math.max(0, mine - 1);
      el("status").textContent = "undone: " + key;
      show();
    });
  }

  document.querySelectorAll("button.choice").forEach(function (b) {
    b.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the selection
    b.addEventListener("click", function () { pick(b.dataset.label); });
  });
  if (el("save")) el("save").addEventListener("click", function () { answer(null, false); });
  el("skip").addEventListener("click", function () { answer(null, true); });
  el("undo").addEventListener("click", undo);
  el("finish").addEventListener("click", finish);
  window.addEventListener("pagehide", function () {
    // leaving the page ends the session too; keepalive lets the request outlive the page
    if (unsaved > 0) {
      fetch(base + "/finish", {method: "POST", keepalive: true, credentials: "same-origin"});
      unsaved = 0;
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    var n = Number(e.key);
    if (n >= 1 && n <= Math.min(9, classes.length)) { pick(classes[n - 1]); }
    else if (e.key === "Enter" && kind !== "single") { answer(null, false); }
    else if (e.key === "Backspace" && kind === "spans") { chosen.pop(); show(); }
    else if (e.key === "s") { answer(null, true); }
    else if (e.key === "u") { undo(); }
    else if (e.key === "f") { finish(); }
    else if (e.key === "ArrowRight") { chosen = []; index = Math.min(index + 1, items.length); show(); refill(); }
    else if (e.key === "ArrowLeft") { chosen = []; index = Math.max(index - 1, 0); show(); }
    else { return; }
    e.preventDefault();
  });
  show();
  refill();
})();
