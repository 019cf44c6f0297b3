/* Bulk selection on ticket lists: row checkboxes (shift-click for a range),
 * the `x` key on the focused row, "select all" for the page, and the bar
 * that appears with the count. The checkboxes belong to #bulk-form through
 * their form attribute, so posting the bar sends exactly the ticked rows.
 * When every row of the page is ticked and more tickets match, the bar
 * offers them all: that sets scope=all, and the server reads the view's
 * tickets again from the posted query instead of the ids. */
(function () {
  "use strict";

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const boxes = () => $$("[data-bulk-select]");
  let lastClicked = null;

  const scope = () => $("#bulk-scope");

  function setScope(value) {
    const input = scope();
    if (input) input.value = value;
  }

  function refresh() {
    const bar = $("#bulk-form");
    if (!bar) return;
    const all = boxes();
    const ticked = all.filter((b) => b.checked);
    bar.hidden = ticked.length === 0;
    const everyRow = all.length > 0 && ticked.length === all.length;
    if (!everyRow) setScope("");
    const wholeView = scope() && scope().value === "all";
    const offer = $("#bulk-matching");
    if (offer) {
      offer.hidden = !everyRow || wholeView;
    }
    // Merging a whole view is refused by the server: do not offer it.
    const merge = $("#bulk-merge");
    if (merge) merge.hidden = Boolean(wholeView);
    const count = $("#bulk-count");
    if (count) {
      if (wholeView && offer) count.textContent = offer.dataset.labelAll;
      else count.textContent = ticked.length === 1
        ? bar.dataset.labelOne
        : bar.dataset.labelMany.replace("{n}", ticked.length);
    }
    all.forEach((b) => {
      const row = b.closest(".ticket-row, .bulk-row");
      if (row) row.classList.toggle("bulk-ticked", b.checked);
    });
    $$("[data-bulk-all]").forEach((head) => {
      head.checked = all.length > 0 && ticked.length === all.length;
      head.indeterminate = ticked.length > 0 && ticked.length < all.length;
    });
  }

  document.addEventListener("click", (ev) => {
    const box = ev.target.closest("[data-bulk-select]");
    if (box) {
      const all = boxes();
      // Shift-click ticks (or unticks) everything between the last click and this one.
      if (ev.shiftKey && lastClicked && all.includes(lastClicked)) {
        const [from, to] = [all.indexOf(lastClicked), all.indexOf(box)].sort((a, b) => a - b);
        all.slice(from, to + 1).forEach((b) => { b.checked = box.checked; });
      }
      lastClicked = box;
      refresh();
      return;
    }
    const head = ev.target.closest("[data-bulk-all]");
    if (head) {
      boxes().forEach((b) => { b.checked = head.checked; });
      refresh();
      return;
    }
    if (ev.target.closest("[data-bulk-matching]")) {
      setScope("all");
      refresh();
      return;
    }
    if (ev.target.closest("[data-bulk-clear]")) {
      setScope("");
      boxes().forEach((b) => { b.checked = false; });
      lastClicked = null;
      refresh();
    }
  });

  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    const typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" ||
      t.tagName === "SELECT" || t.isContentEditable);
    if (ev.key !== "x" || typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    // The row j/k moved to (desk.js marks it .selected).
    const row = $(".ticket-row.selected");
    const box = row && $("[data-bulk-select]", row);
    if (!box) return;
    ev.preventDefault();
    box.checked = !box.checked;
    lastClicked = box;
    refresh();
  });

  document.addEventListener("DOMContentLoaded", () => {
    refresh();
    // Rows added by "show more" or a live refresh.
    document.body.addEventListener("htmx:afterSwap", refresh);
  });
})();
