/* @mentions in an internal note: while the word before the caret starts with
 * "@", htmx fetches the agents who may see this ticket; picking one writes
 * "@handle " in its place. Public replies get no suggestions: a customer
 * never sees a mention. */
(function () {
  "use strict";
  const text = document.getElementById("id_text");
  const box = document.getElementById("mention-results");
  if (!text || !box || !window.htmx) return;
  const url = box.dataset.url;
  const isNote = () => {
    const checked = document.querySelector("#reply-form input[name=kind]:checked");
    return checked && checked.value === "internal";
  };
  const typed = () => {
    const before = text.value.slice(0, text.selectionStart);
    const match = before.match(/(^|[^\w.@])@([\w.+-]*)$/);
    return match ? match[2] : null;
  };
  let timer = null;
  function suggest() {
    const q = isNote() ? typed() : null;
    if (q === null) { box.innerHTML = ""; return; }
    clearTimeout(timer);
    timer = setTimeout(() => htmx.ajax("GET", url + "?q=" + encodeURIComponent(q), { target: box, swap: "innerHTML" }), 150);
  }
  function pick(handle) {
    const caret = text.selectionStart;
    const before = text.value.slice(0, caret).replace(/@[\w.+-]*$/, "@" + handle + " ");
    text.value = before + text.value.slice(caret);
    text.setSelectionRange(before.length, before.length);
    box.innerHTML = "";
    text.focus();
    text.dispatchEvent(new Event("input", { bubbles: true }));
  }
  text.addEventListener("input", suggest);
  text.addEventListener("keydown", (ev) => {
    if (!box.firstElementChild) return;
    if (ev.key === "Escape") { box.innerHTML = ""; return; }
    const first = box.querySelector("[data-mention]");
    if ((ev.key === "Enter" || ev.key === "Tab") && first && !ev.ctrlKey) {
      ev.preventDefault();
      ev.stopPropagation();
      pick(first.dataset.mention);
    }
  });
  box.addEventListener("click", (ev) => {
    const option = ev.target.closest("[data-mention]");
    if (option) pick(option.dataset.mention);
  });
})();
