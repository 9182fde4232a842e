// Behaviour that pages declare with data attributes, so no page needs inline script
// (the Content-Security-Policy allows scripts from this server's files only).
//   <form data-confirm="Really?">   asks before submitting
//   <select data-autosubmit>        submits its form when the choice changes
//   <a data-back>                   goes back in history (its href is the fallback)
//   <button data-toggle-nav>        opens and closes the page header's nav (narrow screens)
// and one thing every page gets: a table or code block that scrolls (a wide table on a
// phone) can take the keyboard focus when nothing in it can, so arrow keys scroll it.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    const toggle = event.target instanceof Element ? event.target.closest("[data-toggle-nav]") : null;
    if (toggle) {
      const open = toggle.closest("header").classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    const link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });

  const SCROLLERS = "main table, main pre, main .scroll, main .dtable-scroll";
  const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  function focusableScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      const style = window.getComputedStyle(box);
      const scrolls = /auto|scroll/.test(style.overflowX + style.overflowY) &&
        (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1);
      const ours = box.hasAttribute("data-scroll-focus");
      if (scrolls && !ours && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && ours) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  window.addEventListener("load", focusableScrollers);
  window.addEventListener("resize", focusableScrollers);
  document.addEventListener("htmx:afterSettle", focusableScrollers);
})();
