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
  // ask before an action that cannot be undone
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
