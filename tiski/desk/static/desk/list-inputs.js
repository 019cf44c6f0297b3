/* "Add an address" / "Add a number": one more empty input of the same kind. */
(function () {
  "use strict";
  document.addEventListener("click", (ev) => {
    const add = ev.target.closest("[data-list-add]");
    if (!add) return;
    const list = add.closest("[data-list-inputs]");
    const inputs = list.querySelectorAll("input");
    const last = inputs[inputs.length - 1];
    const copy = last.cloneNode(false);
    copy.value = "";
    list.insertBefore(copy, add);
    copy.focus();
  });
})();
