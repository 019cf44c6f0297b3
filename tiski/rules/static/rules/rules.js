/* Rule settings: the little the server cannot do. htmx fetches rows and
 * saves toggles and order; this file removes and moves builder rows, adds
 * inputs to a list of values, and lets the rule lists be reordered by
 * dragging. Everything is delegated from document, so rows swapped in by
 * htmx work without re-binding. */
(function () {
  "use strict";

  document.addEventListener("click", (ev) => {
    const remove = ev.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest(".rule-row, .nested-group");
      if (row) row.remove();
      return;
    }
    const move = ev.target.closest("[data-move-row]");
    if (move) {
      // Actions run in page order, so moving a row changes what happens first.
      const row = move.closest(".rule-row");
      if (move.dataset.moveRow === "up" && row.previousElementSibling) {
        row.parentNode.insertBefore(row, row.previousElementSibling);
      } else if (move.dataset.moveRow === "down" && row.nextElementSibling) {
        row.parentNode.insertBefore(row.nextElementSibling, row);
      }
      move.focus();
      return;
    }
    const add = ev.target.closest("[data-add-value]");
    if (add) {
      const inputs = add.parentNode.querySelectorAll("input");
      const input = inputs[inputs.length - 1].cloneNode();
      input.value = "";
      add.before(input);
      input.focus();
    }
  });

  /* Drag and drop in the rule lists; the up and down buttons do the same
   * without a mouse. After a drop the rows' hidden "order" inputs, now in
   * the new order, are posted and the server sends the renumbered rows. */
  let dragged = null;
  document.addEventListener("dragstart", (ev) => {
    const row = ev.target.closest && ev.target.closest("tr[data-rule-id]");
    if (!row) return;
    dragged = row;
    row.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", row.dataset.ruleId);
  });
  document.addEventListener("dragover", (ev) => {
    if (!dragged) return;
    const row = ev.target.closest && ev.target.closest("tr[data-rule-id]");
    if (!row || row.parentNode !== dragged.parentNode) return;
    ev.preventDefault();
    if (row === dragged) return;
    const box = row.getBoundingClientRect();
    const after = ev.clientY > box.top + box.height / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });
  document.addEventListener("drop", (ev) => {
    if (dragged) ev.preventDefault();
  });
  document.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    const form = document.getElementById("rule-order-form");
    if (form && window.htmx) window.htmx.trigger(form, "tiski:reorder");
  });
})();
