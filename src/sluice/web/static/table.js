// Tables people can work in: the browser's half of one table component (the server's half,
// and why there is no grid library, is in sluice/web/tables.py). Sorting, filtering and
// paging are links and GET forms the server answers; this file adds what needs no server:
//
//   <div class="dtable" data-table data-pinned="1">   a table to enhance; data-pinned: how
//     <div class="dtable-tools">...</div>              many leading (key) columns stay in
//     <div class="dtable-scroll"><table>...</table></div>   view while scrolling sideways
//   </div>
//
//   * a column picker ("Columns"): show or hide any column but the pinned ones; the columns
//     shown are kept in the URL as repeated cols= (absent: all), so a link reproduces it;
//   * pinned key columns (position: sticky), and a header that stays while scrolling down;
//   * long cells are clipped with an ellipsis; a "more" button (click, Enter or Space)
//     shows the whole cell, and a row button shows the whole row as a list of fields, with
//     a link to the row's own page when the row carries data-row-href (an internal path);
//   * links and GET forms inside the table, or marked data-table-state, carry the current
//     cols= along, so sorting, filtering and paging keep the columns chosen.
//
// Cells are read and written as text only (textContent): stored values never become HTML.
// <th data-col="name"> names a column (default: the header's text). Loading this file
// twice does nothing more than loading it once.
(function () {
  "use strict";
  if (window.sluiceTable) {
    return;
  }
  const PARAM = "cols";

  function columnNames(table) {
    return Array.from(table.tHead ? table.tHead.rows[0].cells : []).map(function (th) {
      return th.dataset.col || th.textContent.trim();
    });
  }

  function bodyRows(table, width) {
    // Rows with one cell per column (not "nothing here" rows, not opened row details).
    return Array.from(table.tBodies).flatMap(function (body) {
      return Array.from(body.rows);
    }).filter(function (tr) {
      return tr.cells.length === width && !tr.classList.contains("dtable-detail");
    });
  }

  function shownFromUrl(names, pinned) {
    const params = new URLSearchParams(window.location.search);
    if (!params.has(PARAM)) {
      return null;
    }
    const wanted = new Set(params.getAll(PARAM));
    return names.map(function (name, i) {
      return i < pinned || wanted.has(name);
    });
  }

  function writeCols(params, state) {
    params.delete(PARAM);
    if (!state || state.shown.every(Boolean)) {
      return;
    }
    const names = state.names.filter(function (_, i) {
      return i >= state.pinned && state.shown[i];
    });
    (names.length ? names : [""]).forEach(function (name) {
      params.append(PARAM, name);
    });
  }

  function applyColumns(state) {
    const table = state.table;
    const all = [table.tHead.rows[0]].concat(bodyRows(table, state.names.length));
    all.forEach(function (tr) {
      state.shown.forEach(function (on, i) {
        tr.cells[i].classList.toggle("dtable-col-hidden", !on);
      });
    });
    state.picker.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = state.shown[Number(box.dataset.index)];
    });
    table.querySelectorAll("tr.dtable-detail > td").forEach(function (td) {
      td.colSpan = visibleCount(state);
    });
  }

  function visibleCount(state) {
    return state.shown.filter(Boolean).length;
  }

  function buildPicker(state) {
    const details = document.createElement("details");
    details.className = "dtable-picker";
    const summary = document.createElement("summary");
    summary.textContent = "Columns";
    details.appendChild(summary);
    const list = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = "Columns shown";
    list.appendChild(legend);
    state.names.forEach(function (name, i) {
      if (i < state.pinned) {
        return;
      }
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";  // no name: never sent with a form
      box.dataset.index = String(i);
      box.dataset.col = name;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + name));
      list.appendChild(label);
    });
    details.appendChild(list);
    details.addEventListener("change", function (event) {
      const box = event.target;
      state.shown[Number(box.dataset.index)] = box.checked;
      applyColumns(state);
      const url = new URL(window.location.href);
      writeCols(url.searchParams, state);
      window.history.replaceState(window.history.state, "", url);
      pinColumns(state);
      markLongCells(state);
    });
    return details;
  }

  function wrapCells(state) {
    bodyRows(state.table, state.names.length).forEach(function (tr) {
      Array.from(tr.cells).forEach(function (td) {
        if (td.firstElementChild && td.firstElementChild.classList.contains("dtable-clip")) {
          return;
        }
        const clip = document.createElement("div");
        clip.className = "dtable-clip";
        while (td.firstChild) {
          clip.appendChild(td.firstChild);
        }
        td.appendChild(clip);
      });
    });
  }

  function markLongCells(state) {
    // Read every width first, then change the page: one layout, not one per cell.
    const clips = Array.from(state.table.querySelectorAll("td > .dtable-clip"));
    const long = clips.filter(function (clip) {
      return !clip.parentElement.classList.contains("dtable-long") &&
        clip.scrollWidth > clip.clientWidth + 1;
    });
    long.forEach(function (clip) {
      const td = clip.parentElement;
      const name = state.names[td.cellIndex] || "cell";
      const more = document.createElement("button");
      more.type = "button";
      more.className = "dtable-more";
      more.textContent = "more";
      more.setAttribute("aria-expanded", "false");
      more.dataset.column = name;
      more.setAttribute("aria-label", "more of " + name);
      td.classList.add("dtable-long");
      td.appendChild(more);
    });
  }

  function toggleCell(button) {
    const td = button.closest("td");
    const open = td.classList.toggle("dtable-open");
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "less" : "more";
    button.setAttribute("aria-label", button.textContent + " of " + button.dataset.column);
  }

  function addRowButtons(state) {
    bodyRows(state.table, state.names.length).forEach(function (tr) {
      const first = tr.cells[0];
      if (first.querySelector(".dtable-row")) {
        return;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dtable-row";
      button.textContent = "▸";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-label", "Show the whole row");
      first.insertBefore(button, first.firstChild);
    });
  }

  function internalPath(value) {
    return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") &&
      !/[\u0000-\u0020\u007f\\]/.test(value) ? value : null;
  }

  function rowDetail(state, tr) {
    const detail = document.createElement("tr");
    detail.className = "dtable-detail";
    const td = document.createElement("td");
    td.colSpan = visibleCount(state);
    const list = document.createElement("dl");
    Array.from(tr.cells).forEach(function (cell, i) {
      const term = document.createElement("dt");
      term.textContent = state.names[i];
      const value = document.createElement("dd");
      const clip = cell.querySelector(".dtable-clip");
      value.textContent = (clip || cell).textContent.trim();
      list.appendChild(term);
      list.appendChild(value);
    });
    td.appendChild(list);
    const href = internalPath(tr.dataset.rowHref);
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.className = "dtable-open-row";
      link.textContent = "Open the whole row";
      td.appendChild(link);
    }
    detail.appendChild(td);
    return detail;
  }

  function toggleRow(state, button) {
    const tr = button.closest("tr");
    const next = tr.nextElementSibling;
    const open = !(next && next.classList.contains("dtable-detail"));
    if (open) {
      tr.after(rowDetail(state, tr));
    } else {
      next.remove();
    }
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "▾" : "▸";
  }

  function pinColumns(state) {
    if (!state.pinned) {
      return;
    }
    const head = state.table.tHead.rows[0];
    const lefts = [];
    let left = 0;
    for (let i = 0; i < state.pinned && i < head.cells.length; i += 1) {
      lefts.push(left);
      left += head.cells[i].getBoundingClientRect().width;
    }
    [head].concat(bodyRows(state.table, state.names.length)).forEach(function (tr) {
      lefts.forEach(function (offset, i) {
        const cell = tr.cells[i];
        cell.classList.add("dtable-pin");
        cell.classList.toggle("dtable-pin-last", i === lefts.length - 1);
        cell.style.left = offset + "px";
      });
    });
  }

  function enhance(container) {
    const table = container.querySelector("table");
    if (!table || !table.tHead || container.dataset.tableReady) {
      return;
    }
    container.dataset.tableReady = "1";
    const names = columnNames(table);
    const pinned = Math.min(Number(container.dataset.pinned || "1") || 0, names.length);
    const state = {container: container, table: table, names: names, pinned: pinned,
                   shown: shownFromUrl(names, pinned) || names.map(function () { return true; })};
    let tools = container.querySelector(".dtable-tools");
    if (!tools) {
      tools = document.createElement("div");
      tools.className = "dtable-tools";
      container.insertBefore(tools, container.firstChild);
    }
    state.picker = buildPicker(state);
    tools.appendChild(state.picker);
    container.sluiceTable = state;
    wrapCells(state);
    addRowButtons(state);
    applyColumns(state);
    pinColumns(state);
    markLongCells(state);
  }

  function stateOf(element) {
    const container = element.closest("[data-table]") ||
      document.querySelector("[data-table]");
    return container ? container.sluiceTable : null;
  }

  function carriesState(element) {
    // Only what reloads this same page (a form to another page keeps its own query).
    if (element instanceof HTMLFormElement &&
        new URL(element.action, window.location.href).pathname !== window.location.pathname) {
      return false;
    }
    return element.closest("[data-table], [data-table-state]") !== null;
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    const more = target.closest("button.dtable-more");
    if (more) {
      toggleCell(more);
      pinColumns(stateOf(more));
      return;
    }
    const row = target.closest("button.dtable-row");
    if (row) {
      toggleRow(stateOf(row), row);
      return;
    }
    const link = target.closest("a[href]");
    if (link && carriesState(link) && link.getAttribute("href").startsWith("?")) {
      const url = new URL(link.href);
      writeCols(url.searchParams, stateOf(link));
      link.href = url.toString();
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "get" ||
        !carriesState(form)) {
      return;
    }
    form.querySelectorAll("input[data-table-cols]").forEach(function (input) {
      input.remove();
    });
    const params = new URLSearchParams();
    writeCols(params, stateOf(form));
    params.getAll(PARAM).forEach(function (name) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = PARAM;
      input.value = name;
      input.dataset.tableCols = "1";
      form.appendChild(input);
    });
  });

  function enhanceAll(root) {
    root.querySelectorAll("[data-table]").forEach(enhance);
  }

  window.sluiceTable = {enhance: enhance};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target instanceof Element) {
      enhanceAll(event.target);
    }
  });
})();
