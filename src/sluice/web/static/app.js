// Behaviour that pages declare with data attributes, so no page needs inline script
// (the Content-Security-Policy allows scripts from this server's files only).
//   <form data-confirm="Really?">   asks before submitting
//   <select data-autosubmit>        submits its form when the choice changes
//   <a data-back>                   goes back in history (its href is the fallback)
//   <button data-toggle-nav>        opens and closes the page header's nav (narrow screens)
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
})();
