// The article editor: a contenteditable area with a toolbar, no framework.
// Without JavaScript the plain HTML textarea stays; with it the textarea is
// hidden and kept in step with the editor, so the form posts the same field.
// The server sanitises whatever arrives, so nothing here is a security line.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function insertHtml(html) {
    document.execCommand("insertHTML", false, html);
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function setUp(editor) {
    var form = editor.closest("form");
    var textarea = form.querySelector("textarea[name=body_html]");
    var area = editor.querySelector(".kb-editor-area");
    var fileInput = editor.querySelector("[data-kb-image]");
    var error = editor.querySelector("[data-kb-error]");
    area.innerHTML = textarea.value;
    textarea.hidden = true;
    editor.hidden = false;

    function sync() { textarea.value = area.innerHTML; }
    area.addEventListener("input", sync);
    form.addEventListener("submit", sync);

    function run(button) {
      var cmd = button.dataset.cmd;
      area.focus();
      if (cmd === "formatBlock") {
        document.execCommand("formatBlock", false, button.dataset.arg);
      } else if (cmd === "link") {
        var url = window.prompt(button.dataset.prompt || "URL", "https://");
        if (url) { document.execCommand("createLink", false, url); }
      } else if (cmd === "table") {
        insertHtml("<table><thead><tr><th>&nbsp;</th><th>&nbsp;</th></tr></thead>" +
          "<tbody><tr><td>&nbsp;</td><td>&nbsp;</td></tr></tbody></table><p><br></p>");
      } else if (cmd === "callout") {
        var selected = window.getSelection().toString() || "…";
        insertHtml('<div class="callout callout-info"><p>' + escapeHtml(selected) + "</p></div><p><br></p>");
      } else if (cmd === "image") {
        fileInput.click();
        return;
      } else {
        document.execCommand(cmd, false, null);
      }
      sync();
    }

    editor.querySelectorAll(".kb-editor-tools button").forEach(function (button) {
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { run(button); });
    });

    fileInput.addEventListener("change", function () {
      var file = fileInput.files[0];
      if (!file) { return; }
      var data = new FormData();
      data.append("image", file);
      fetch(editor.dataset.uploadUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form) }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) { throw new Error(result.body.error || "upload"); }
        error.hidden = true;
        area.focus();
        insertHtml('<img src="' + result.body.url + '" alt="' + escapeHtml(file.name) + '">');
        sync();
      }).catch(function (err) {
        error.textContent = err.message;
        error.hidden = false;
      });
      fileInput.value = "";
    });
  }

  document.querySelectorAll("[data-kb-editor]").forEach(setUp);
})();
