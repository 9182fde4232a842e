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
  var mine = Number(root.dataset.mine);
  var answered = {};   // key -> label ("" for skip)
  var index = 0, fetching = false;

  function el(id) { return document.getElementById(id); }

  function show() {
    var item = items[index];
    el("progress").textContent = done + " of " + total + " done · " + mine + " answered by you" +
      (item ? " · item " + (index + 1) + " of " + items.length + " loaded" : "");
    el("progress-bar").value = done;
    if (!item) {
      el("item").innerHTML = "<p>Nothing left to label here. Thank you!</p>";
      el("item-key").textContent = "";
      root.dataset.current = "";
      return;
    }
    el("item").innerHTML = rendered[item.key] || "";
    el("item-key").textContent = item.key + (item.key in answered ?
      " · your answer: " + (answered[item.key] || "skipped") : "");
    root.dataset.current = item.key;
    document.querySelectorAll("button.choice").forEach(function (b) {
      b.classList.toggle("chosen", answered[item.key] === b.dataset.label);
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
    fetch(base + ".json?limit=20&order=" + encodeURIComponent(root.dataset.order || "sequential"),
          {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (page) {
        var have = {};
        items.forEach(function (i) { have[i.key] = true; });
        page.queue.items.forEach(function (i) {
          if (!have[i.key]) { items.push(i); rendered[i.key] = page.rendered[i.key]; }
        });
        done = page.queue.done;
        fetching = false;
        show();
      })
      .catch(function () { fetching = false; });
  }

  function answer(label, skip) {
    var item = items[index];
    if (!item) return;
    var key = item.key;
    post(base + "/answer", {key: key, label: skip ? null : label, skip: !!skip}).then(function (res) {
      if (!res.ok) { el("status").textContent = res.data.error.message; return; }
      if (!(key in answered)) mine += 1;
      answered[key] = skip ? "" : label;
      el("status").textContent = "saved " + (skip ? "skip" : label) + " for " + key;
      root.dataset.saved = String(Number(root.dataset.saved || 0) + 1);
      index = nextUnanswered(index + 1);
      show();
      refill();
    });
  }

  function undo() {
    post(base + "/undo").then(function (res) {
      if (!res.ok) { el("status").textContent = res.data.error.message; return; }
      var key = res.data.row_key;
      delete answered[key];
      mine = Math.max(0, mine - 1);
      for (var i = 0; i < items.length; i++) { if (items[i].key === key) { index = i; break; } }
      el("status").textContent = "undone: " + key;
      show();
    });
  }

  document.querySelectorAll("button.choice").forEach(function (b) {
    b.addEventListener("click", function () { answer(b.dataset.label, false); });
  });
  el("skip").addEventListener("click", function () { answer(null, true); });
  el("undo").addEventListener("click", undo);
  document.addEventListener("keydown", function (e) {
    if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    var n = Number(e.key);
    if (n >= 1 && n <= Math.min(9, classes.length)) { answer(classes[n - 1], false); }
    else if (e.key === "s") { answer(null, true); }
    else if (e.key === "u") { undo(); }
    else if (e.key === "ArrowRight") { index = Math.min(index + 1, items.length); show(); refill(); }
    else if (e.key === "ArrowLeft") { index = Math.max(index - 1, 0); show(); }
    else { return; }
    e.preventDefault();
  });
  show();
  refill();
})();
