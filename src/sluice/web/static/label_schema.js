// The new-schema form: the text column picker follows the chosen dataset, and a preview
// shows the start of the column's first values, so the person creating the schema sees
// what annotators will read. The columns come from the page (#column-previews, JSON);
// values are shown as text only.
(function () {
  const form = document.getElementById("schema-form");
  const data = document.getElementById("column-previews");
  if (!form || !data) return;
  const columns = JSON.parse(data.textContent);
  const dataset = form.elements.dataset;
  const column = form.elements.column;
  const preview = document.getElementById("column-preview");

  function showPreview() {
    const chosen = (columns[dataset.value] || []).find((c) => c.name === column.value);
    preview.replaceChildren();
    if (!chosen) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "This dataset has no text column to label.";
      preview.append(none);
      return;
    }
    for (const value of chosen.preview) {
      const item = document.createElement("li");
      item.textContent = value || "(empty)";
      preview.append(item);
    }
  }

  function fillColumns() {
    column.replaceChildren();
    for (const [i, c] of (columns[dataset.value] || []).entries()) {
      const option = document.createElement("option");
      option.value = c.name;
      option.textContent = i === 0 ? c.name + " (suggested)" : c.name;
      column.append(option);
    }
    showPreview();
  }

  dataset.addEventListener("change", fillColumns);
  column.addEventListener("change", showPreview);
  fillColumns();
})();
