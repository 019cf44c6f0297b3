// "Insert article" in the ticket composer: puts an article's link or text
// into the reply at the cursor and remembers which article went in, so the
// reply, when sent, counts it (a hidden kb_article field on the form).
(function () {
  "use strict";

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start);
    var gap = before && !/\n$/.test(before) ? "\n\n" : "";
    textarea.value = before + gap + text + textarea.value.slice(end);
    var caret = (before + gap + text).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function remember(form, articleId) {
    if (form.querySelector('input[name=kb_article][value="' + articleId + '"]')) { return; }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "kb_article";
    input.value = articleId;
    form.appendChild(input);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert]");
    if (!button) { return; }
    var textarea = document.getElementById("id_text");
    if (!textarea) { return; }
    var text = button.dataset.kbInsert === "link"
      ? button.dataset.title + ": " + button.dataset.url
      : button.dataset.title + "\n\n" + button.dataset.text;
    insertAtCursor(textarea, text);
    if (textarea.form) { remember(textarea.form, button.dataset.article); }
    var picker = document.getElementById("kb-picker");
    if (picker) { picker.open = false; }
  });
})();
