// Small progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // "select all" box of a bulk-action table
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    all.addEventListener("change", () => {
      const form = document.getElementById(all.dataset.selectAll);
      for (const box of form ? form.querySelectorAll("input[name=lead]") : []) {
        box.checked = all.checked;
      }
    });
  }
  // ask before an action that cannot be undone: a form's own, or its button's (one
  // form may have several); "{count}" is how many leads are ticked in it
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      const question = event.submitter?.dataset.confirm ?? form.dataset.confirm;
      if (question === undefined) return;
      const ticked = form.querySelectorAll("input[name=lead]:checked").length;
      if (!window.confirm(question.replace("{count}", String(ticked)))) event.preventDefault();
    });
  }
});
