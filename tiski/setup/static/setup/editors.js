// Settings editors: rows added and removed in place, the placeholder picker,
// tag fields. Hooked up by data- attributes only (no inline script: CSP).
(function () {
  "use strict";

  // --- rows: opening spans and exceptions ---------------------------------------------
  function addSpan(button) {
    var row = button.closest(".day-row");
    var template = document.getElementById("span-template");
    if (!row || !template) return;
    var span = template.content.firstElementChild.cloneNode(true);
    var day = row.dataset.day;
    span.querySelectorAll("input[data-name]").forEach(function (input) {
      input.name = "day-" + day + "-" + input.dataset.name;
    });
    var spans = row.querySelector("[data-spans]");
    spans.insertBefore(span, spans.querySelector(".closed-label"));
    span.querySelector("input").focus();
  }

  function addRow(button) {
    var template = document.getElementById(button.dataset.addRow);
    var rows = button.previousElementSibling;
    if (!template || !rows) return;
    var row = template.content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    row.querySelector("input").focus();
  }

  // --- the week grid says what is wrong while typing (the server says the same on save) ----
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] || ""; });
  }

  function checkDay(row) {
    var grid = row.closest("[data-week-grid]");
    var where = row.dataset.dayLabel;
    var ends = function (t) { return t === "00:00" ? "24:00" : t; };
    var spans = [];
    var errors = [];
    row.querySelectorAll(".span").forEach(function (span) {
      var inputs = span.querySelectorAll("input[type=time]");
      var start = inputs[0].value, end = inputs[1].value;
      if (!start && !end) return;
      if (!start || !end) {
        errors.push(fill(grid.dataset.msgMissing, { where: where }));
      } else if (ends(end) <= start) {
        errors.push(fill(grid.dataset.msgOrder, { where: where, start: start, end: ends(end) }));
      } else {
        spans.push([start, ends(end)]);
      }
    });
    spans.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
    for (var i = 1; i < spans.length; i++) {
      if (spans[i][0] < spans[i - 1][1]) {
        errors.push(fill(grid.dataset.msgOverlap, {
          where: where,
          a: spans[i - 1][0] + "–" + spans[i - 1][1],
          b: spans[i][0] + "–" + spans[i][1],
        }));
      }
    }
    var box = row.querySelector("[data-day-errors]");
    box.textContent = "";
    errors.forEach(function (message) {
      var p = document.createElement("p");
      p.className = "field-error";
      p.textContent = message;
      box.appendChild(p);
    });
    row.classList.toggle("has-error", errors.length > 0);
  }

  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest("[data-week-grid] .day-row");
    if (row && event.target.matches("input[type=time]")) checkDay(row);
  });

  // --- the placeholder picker ------------------------------------------------------------
  var lastText = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-placeholder-target]")) {
      lastText = event.target;
    }
  });

  function insertPlaceholder(button) {
    var target = lastText || document.querySelector("[data-placeholder-target]");
    if (!target) return;
    var text = "{{ " + button.dataset.insertPlaceholder + " }}";
    var start = target.selectionStart == null ? target.value.length : target.selectionStart;
    var end = target.selectionEnd == null ? start : target.selectionEnd;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.selectionStart = target.selectionEnd = start + text.length;
    // The live preview listens for input on the form.
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- tag fields: chips over a comma-separated input -------------------------------------
  function normalise(name) {
    return name.trim().toLowerCase().split(/\s+/).filter(Boolean).join("-");
  }

  function setupTagField(input) {
    if (input.dataset.tagReady) return;
    input.dataset.tagReady = "1";
    var box = document.createElement("div");
    box.className = "tag-field";
    var entry = document.createElement("input");
    entry.type = "text";
    entry.setAttribute("list", input.getAttribute("list") || "");
    entry.setAttribute("aria-label", (input.labels && input.labels[0] ? input.labels[0].textContent : ""));
    entry.id = input.id + "-entry";
    input.type = "hidden";
    input.removeAttribute("list");
    input.parentNode.insertBefore(box, input);
    box.appendChild(entry);
    if (input.labels && input.labels[0]) input.labels[0].htmlFor = entry.id;

    function tags() {
      return input.value.split(",").map(normalise).filter(Boolean);
    }
    function write(list) {
      input.value = list.join(", ");
      input.dispatchEvent(new Event("input", { bubbles: true }));
      draw();
    }
    function draw() {
      box.querySelectorAll(".tag-chip").forEach(function (chip) { chip.remove(); });
      tags().forEach(function (tag) {
        var chip = document.createElement("span");
        chip.className = "tag-chip";
        chip.textContent = tag;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (box.closest("[data-remove-label]") || document.body).dataset.removeLabel || "×");
        remove.addEventListener("click", function () {
          write(tags().filter(function (t) { return t !== tag; }));
        });
        chip.appendChild(remove);
        box.insertBefore(chip, entry);
      });
    }
    function commit() {
      var name = normalise(entry.value.replace(/,/g, " "));
      entry.value = "";
      if (name && tags().indexOf(name) < 0) write(tags().concat([name]));
    }
    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") {
        event.preventDefault();
        commit();
      } else if (event.key === "Backspace" && !entry.value) {
        write(tags().slice(0, -1));
      }
    });
    entry.addEventListener("change", function () {
      // Picking from the datalist fires change without a key press.
      if (entry.value) commit();
    });
    var form = input.form;
    if (form) form.addEventListener("submit", commit);
    draw();
  }

  function setup(root) {
    root.querySelectorAll("[data-tag-field]").forEach(setupTagField);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-add-span], [data-add-row], [data-remove-row], [data-insert-placeholder]");
    if (!target) return;
    if (target.matches("[data-add-span]")) addSpan(target);
    else if (target.matches("[data-add-row]")) addRow(target);
    else if (target.matches("[data-remove-row]")) {
      var day = target.closest("[data-week-grid] .day-row");
      target.closest("[data-row]").remove();
      if (day) checkDay(day);
    }
    else if (target.matches("[data-insert-placeholder]")) insertPlaceholder(target);
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
  document.addEventListener("DOMContentLoaded", function () {
    setup(document);
    // A form that came back with mistakes: bring the first one into view.
    var first = document.querySelector(".settings-form .has-error, .settings-form [aria-invalid=true]");
    if (first) first.scrollIntoView({ block: "center" });
  });
  document.addEventListener("htmx:load", function (event) { setup(event.target); });
})();
