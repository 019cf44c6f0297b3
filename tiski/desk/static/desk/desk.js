/* Tiski desk behaviour: live updates, presence, keyboard. No framework:
 * the server renders HTML, htmx swaps parts, this file wires the rest. */
(function () {
  "use strict";

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const ticketEl = () => $("#ticket");
  const isTyping = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" ||
    el.tagName === "SELECT" || el.isContentEditable);

  /* ---------- live connection ---------- */
  let socket = null;
  let retry = 0;
  const handlers = [];
  function onLive(fn) { handlers.push(fn); }
  // True when the frame went out: a caller that throttles (typing) must not
  // count a frame dropped because the socket is not open yet.
  function send(obj) {
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(obj));
    return true;
  }
  // Other scripts (e.g. the phone screen pop) listen to the same socket.
  window.tiski = { onLive, send };

  function connect() {
    if (!document.body.dataset.userId) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${proto}://${location.host}/ws/desk/`);
    socket.addEventListener("open", () => {
      retry = 0;
      $("#live-dot") && $("#live-dot").classList.add("on");
      document.body.dataset.live = "on";
      document.body.dispatchEvent(new Event("tiski:live"));
      const t = ticketEl();
      if (t) send({ action: "watch", ticket_id: t.dataset.ticketId, mode: presenceMode() });
    });
    socket.addEventListener("message", (ev) => {
      let data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      handlers.forEach((fn) => fn(data));
    });
    socket.addEventListener("close", () => {
      $("#live-dot") && $("#live-dot").classList.remove("on");
      document.body.dataset.live = "off";
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }

  /* ---------- inbox: live list and counts ---------- */
  // The list is read again 400 ms after a change comes in, and while changes
  // keep coming (a burst of new chats) at most every 2 s: waiting for a quiet
  // moment, as it did, left an open inbox unchanged for a whole busy spell.
  const REFRESH_AFTER = 400, REFRESH_AT_MOST_EVERY = 2000;
  let refreshTimer = null, lastRefresh = 0;
  function refreshListSoon() {
    if (refreshTimer) return; // one is on its way and will show this change too
    const wait = Math.max(REFRESH_AFTER, lastRefresh + REFRESH_AT_MOST_EVERY - Date.now());
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      lastRefresh = Date.now();
      document.body.dispatchEvent(new Event("tiski:refresh-list"));
    }, wait);
  }
  onLive((data) => {
    if (data.type === "notification") document.body.dispatchEvent(new Event("tiski:notified"));
    if (data.type !== "ticket.changed") return;
    document.body.dispatchEvent(new CustomEvent("tiski:changed", { detail: data }));
    const rows = $("#ticket-rows");
    if (!rows) return;
    // Refresh in place only while the agent is on the first page and not
    // in the middle of moving through it; otherwise offer a button.
    const onFirstPage = !new URLSearchParams(location.search).get("cursor");
    // A refresh would also drop the rows ticked for a bulk change.
    if (onFirstPage && !$(".ticket-row.selected") && !$("[data-bulk-select]:checked")) {
      refreshListSoon();
    } else {
      $("#new-arrivals").hidden = false;
    }
  });
  document.addEventListener("click", (ev) => {
    if (ev.target.closest("[data-refresh-list]")) {
      $("#new-arrivals").hidden = true;
      document.body.dispatchEvent(new Event("tiski:refresh-list"));
      return;
    }
    const row = ev.target.closest(".ticket-row");
    if (row && !ev.target.closest("a, button, input, label, .col-select")) location.href = row.dataset.ticketUrl;
  });

  /* ---------- ticket: new messages, presence ---------- */
  const viewers = new Map();
  function presenceMode() {
    const text = $("#id_text");
    return text && text.value.trim() && document.activeElement === text ? "typing" : "viewing";
  }
  function renderViewers() {
    const box = $("#viewers");
    if (!box) return;
    const now = Date.now();
    for (const [id, v] of viewers) if (now - v.seen > 25000) viewers.delete(id);
    box.innerHTML = "";
    for (const [id, v] of viewers) {
      const el = document.createElement("span");
      el.className = "viewer" + (v.mode === "typing" ? " typing" : "");
      el.dataset.userId = id;
      el.textContent = v.name;
      el.title = v.mode === "typing" ? (box.dataset.typingLabel || "typing") : (box.dataset.viewingLabel || "viewing");
      box.appendChild(el);
    }
  }
  onLive((data) => {
    const t = ticketEl();
    if (!t) return;
    if (data.type === "presence" && String(data.ticket_id) === t.dataset.ticketId) {
      const known = viewers.has(data.user_id);
      if (data.state === "gone") viewers.delete(data.user_id);
      else viewers.set(data.user_id, { name: data.name, mode: data.mode, seen: Date.now() });
      renderViewers();
      // Answer a newcomer at once so they see us without waiting a beat.
      if (!known && data.state === "here") send({ action: "here", mode: presenceMode() });
    }
    if (data.type === "ticket.changed" && String(data.ticket_id) === t.dataset.ticketId &&
        data.reason === "message" && data.message_id > Number(t.dataset.lastMessageId || 0)) {
      if (!$("#message-" + data.message_id)) $("#live-banner").hidden = false;
    }
  });
  setInterval(() => { if (ticketEl()) { send({ action: "here", mode: presenceMode() }); renderViewers(); } }, 8000);

  /* ---------- ticket: web chat typing and seen marks ---------- */
  // The visitor's "typing" fades by itself: a lost "stopped" frame must not
  // leave it on for good.
  let chatTypingTimer = null;
  function renderChatLive(typing) {
    const box = $("#chat-live");
    if (!box) return;
    const readUpTo = Number(box.dataset.readUpTo || 0);
    $$("[data-message-id]").forEach((el) =>
      el.classList.toggle("seen-in-chat", readUpTo > 0 && Number(el.dataset.messageId) <= readUpTo));
    box.textContent = typing ? box.dataset.typingLabel : (readUpTo ? box.dataset.readLabel : "");
    box.dataset.typing = typing ? "on" : "off";
  }
  onLive((data) => {
    const t = ticketEl();
    const box = $("#chat-live");
    if (!t || !box || String(data.ticket_id) !== t.dataset.ticketId) return;
    if (data.type === "chat.typing") {
      clearTimeout(chatTypingTimer);
      if (data.state) chatTypingTimer = setTimeout(() => renderChatLive(false), 8000);
      renderChatLive(data.state);
    } else if (data.type === "chat.read") {
      box.dataset.readUpTo = Math.max(Number(box.dataset.readUpTo || 0), Number(data.message_id));
      renderChatLive(box.dataset.typing === "on");
    }
  });
  // The agent typing in the composer: told to the chat at most every 3 s,
  // and "stopped" after 5 s without a key.
  let agentTypingSent = 0, agentStopTimer = null;
  document.addEventListener("input", (ev) => {
    if (!$("#chat-live") || ev.target.id !== "id_text") return;
    const now = Date.now();
    if (now - agentTypingSent > 3000 && send({ action: "typing", state: true })) agentTypingSent = now;
    clearTimeout(agentStopTimer);
    agentStopTimer = setTimeout(() => { agentTypingSent = 0; send({ action: "typing", state: false }); }, 5000);
  });
  document.addEventListener("submit", (ev) => {
    if (!$("#chat-live") || ev.target.id !== "reply-form") return;
    clearTimeout(agentStopTimer);
    agentTypingSent = 0;
    send({ action: "typing", state: false });
  });
  document.addEventListener("DOMContentLoaded", () => renderChatLive(false));

  /* ---------- web chat: a new chat rings ---------- */
  // A short tone made in the page (no sound file to load) and a desktop
  // notification when the agent allowed them; clicking it opens the ticket.
  function chime() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      const ctx = new Ctx();
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio: the notification still shows */ }
  }
  onLive((data) => {
    if (data.type !== "chat.new") return;
    document.body.dispatchEvent(new CustomEvent("tiski:chat-new", { detail: data }));
    chime();
    const box = $("#chat-availability");
    if (!("Notification" in window) || Notification.permission !== "granted" || !box) return;
    const note = new Notification(box.dataset.newChatLabel || "New chat", {
      body: `#${data.number} ${data.subject}`, tag: `tiski-chat-${data.ticket_id}`,
    });
    note.addEventListener("click", () => { window.focus(); location.href = data.url; });
  });
  // Asked when the agent says they take chats: a click is the moment a
  // browser lets a page ask.
  document.addEventListener("submit", (ev) => {
    if (ev.target.id !== "chat-availability" || !("Notification" in window)) return;
    if (Notification.permission === "default") Notification.requestPermission();
  });

  // Someone (or a rule) changed the ticket: the header badges and the
  // conversation's events follow without a reload.
  let changedTimer = null;
  onLive((data) => {
    const t = ticketEl();
    if (!t || data.type !== "ticket.changed" || String(data.ticket_id) !== t.dataset.ticketId) return;
    if (data.reason !== "updated") return;
    clearTimeout(changedTimer);
    changedTimer = setTimeout(reloadConversation, 300);
  });

  // The oldest message the conversation shows now. A refresh re-renders the
  // conversation from it, so the older messages the agent loaded (or the old
  // message a link opened) stay in place instead of falling back to the
  // latest window.
  function oldestShown() {
    const first = $("#conversation .msg[data-message-id]");
    return first ? first.dataset.messageId : "";
  }
  async function reloadConversation() {
    const t = ticketEl();
    if (!t || !window.htmx) return;
    // htmx swaps the conversation and, out of band, the ticket header.
    await window.htmx.ajax("GET", t.dataset.conversationUrl, {
      target: "#conversation", swap: "innerHTML", values: { shown_from: oldestShown() },
    });
    afterConversationSwap();
  }
  // A side-panel save answers with the conversation too (out of band).
  document.addEventListener("htmx:configRequest", (ev) => {
    const elt = ev.detail && ev.detail.elt;
    if (elt && elt.closest && elt.closest("#side-panel") && $("#conversation")) {
      ev.detail.parameters["shown_from"] = oldestShown();
    }
  });
  // A refused reply (a collision, a form error) renders the page again.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.id !== "reply-form") return;
    let field = form.querySelector("input[name=shown_from]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "shown_from";
      form.appendChild(field);
    }
    field.value = oldestShown();
  });
  function afterConversationSwap() {
    const t = ticketEl();
    if (!t || !$("#conversation")) return;
    prepareMessages($("#conversation"));
    if ($("#chat-live")) renderChatLive($("#chat-live").dataset.typing === "on");
    const ids = $$("[data-message-id]", $("#conversation")).map((el) => Number(el.dataset.messageId));
    const newest = Math.max(0, ...ids);
    t.dataset.lastMessageId = newest;
    // The agent has now seen these messages: the collision check counts from here.
    const seen = $("#reply-form [name=last_seen_message]");
    if (seen) seen.value = newest;
    $("#live-banner").hidden = true;
  }
  document.addEventListener("click", (ev) => {
    if (ev.target.closest("[data-reload-conversation]")) reloadConversation();
  });

  /* ---------- messages: sandboxed frames, folded quotes, blocked remote images ---------- */
  // An HTML body is a srcdoc frame sandboxed without scripts (allow-same-origin
  // only, so this script may read it): nothing the sender wrote can run. Its
  // height follows its content, measured from here; no postMessage needed.
  const frameDoc = (frame) => {
    const doc = frame.contentDocument;
    return doc && doc.URL === "about:srcdoc" && doc.body ? doc : null;
  };
  function fitFrame(frame) {
    const doc = frameDoc(frame);
    if (doc) frame.style.height = Math.ceil(doc.documentElement.getBoundingClientRect().height) + "px";
  }
  function bodyRoots(msg) {
    // Where the message's own content lives: its frame's document, or the page.
    const frame = $(".msg-frame", msg);
    if (!frame) return [msg];
    const doc = frameDoc(frame);
    return doc ? [doc] : [];
  }
  function prepareMessage(msg) {
    const roots = bodyRoots(msg);
    const fold = roots.map((r) => $(".tiski-folded", r)).find(Boolean);
    const toggle = $("[data-fold-toggle]", msg);
    if (fold && toggle && fold.textContent.trim()) toggle.hidden = false;
    const button = $("[data-remote-images]", msg);
    if (button && roots.some((r) => $("img[data-remote-src]", r))) button.hidden = false;
  }
  function prepareFrame(frame) {
    const doc = frameDoc(frame);
    if (!doc || frame.dataset.prepared) return;
    frame.dataset.prepared = "1";
    fitFrame(frame);
    // The body changes size when late images load or fail (remote ones once
    // allowed), a quote unfolds, or a narrower frame wraps more lines.
    if (window.ResizeObserver) new ResizeObserver(() => fitFrame(frame)).observe(doc.body);
    else doc.addEventListener("load", () => fitFrame(frame), true);
    const msg = frame.closest(".msg");
    if (msg) prepareMessage(msg);
  }
  function prepareMessages(root) {
    $$(".msg", root).forEach(prepareMessage);
    $$(".msg-frame", root).forEach(prepareFrame);
  }
  // A frame's load event does not bubble; catch it on the way down.
  document.addEventListener("load", (ev) => {
    if (ev.target.matches && ev.target.matches(".msg-frame")) prepareFrame(ev.target);
  }, true);
  document.addEventListener("click", (ev) => {
    const toggle = ev.target.closest("[data-fold-toggle]");
    if (toggle) {
      const msg = toggle.closest(".msg");
      msg.classList.toggle("unfolded");
      const unfolded = msg.classList.contains("unfolded");
      $$(".msg-frame", msg).forEach((frame) => {
        const doc = frameDoc(frame);
        if (doc) { doc.documentElement.classList.toggle("unfolded", unfolded); fitFrame(frame); }
      });
      toggle.textContent = unfolded ? toggle.dataset.labelHide : toggle.dataset.labelShow;
    }
    const images = ev.target.closest("[data-remote-images]");
    if (images) {
      // Remote images load only when the agent asks: senders cannot see
      // who opened their mail, or when.
      bodyRoots(images.closest(".msg")).forEach((root) => {
        $$("img[data-remote-src]", root).forEach((img) => {
          img.src = img.dataset.remoteSrc;
          img.removeAttribute("data-remote-src");
        });
      });
      images.hidden = true;
    }
  });

  /* ---------- ready answers (macros) ---------- */
  function insertMacro(data, replaceFrom) {
    const text = $("#id_text");
    if (!text || !data || !data.id) return;
    const start = replaceFrom !== undefined ? replaceFrom : text.selectionStart;
    const before = text.value.slice(0, start);
    const after = text.value.slice(text.selectionEnd);
    text.value = before + data.text + after;
    const caret = before.length + data.text.length;
    text.setSelectionRange(caret, caret);
    $("#reply-form [name=macro]").value = data.id;
    const status = $("#reply-form [name=status_after]");
    if (data.status && status) status.value = data.status;
    $("#macro-results").innerHTML = "";
    $("#macro-search").value = "";
    text.focus();
  }
  document.addEventListener("click", async (ev) => {
    const item = ev.target.closest("[data-macro-url]");
    if (!item) return;
    const response = await fetch(item.dataset.macroUrl, { headers: { Accept: "application/json" } });
    if (response.ok) insertMacro(await response.json());
  });
  document.addEventListener("keyup", async (ev) => {
    const text = ev.target;
    if (text.id !== "id_text" || (ev.key !== " " && ev.key !== "Enter")) return;
    const upto = text.value.slice(0, text.selectionStart);
    const match = upto.match(/(^|\s);([\w-]{2,40})\s$/);
    if (!match) return;
    const url = $("#macro-search").dataset.shortcutUrl + "?shortcut=" + encodeURIComponent(match[2]);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const from = upto.length - match[2].length - 2;
    text.setSelectionRange(from, text.selectionStart);
    insertMacro(await response.json(), from);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.id === "macro-search" && ev.key === "Enter") {
      ev.preventDefault();
      const first = $("#macro-results [data-macro-url]");
      if (first) first.click();
    }
  });

  /* ---------- composer: a draft per ticket, shared by the agent's tabs ---------- */
  // Kept in this browser's localStorage, keyed by user and ticket: it
  // survives a reload, costs the server nothing per keystroke, and the
  // "storage" event, which the browser fires in every other tab of the
  // origin, keeps the ticket's other tabs in step (what a BroadcastChannel
  // would add). Drafts do not follow the agent to another computer.
  const DRAFT_FIELDS = ["text", "cc", "bcc"];
  function draftKey() {
    const composer = $("#composer");
    return composer && composer.dataset.draftKey ? "tiski:draft:" + composer.dataset.draftKey : null;
  }
  function draftField(name) { return $(`#reply-form [name=${name}]`); }
  function readDraft(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function currentDraft() {
    const draft = {};
    DRAFT_FIELDS.forEach((name) => { const f = draftField(name); if (f) draft[name] = f.value; });
    const kind = $("#reply-form input[name=kind]:checked");
    if (kind) draft.kind = kind.value;
    return draft;
  }
  function isEmptyDraft(draft) {
    return !draft || !DRAFT_FIELDS.some((name) => (draft[name] || "").trim());
  }
  function applyDraft(draft) {
    DRAFT_FIELDS.forEach((name) => {
      const f = draftField(name);
      if (f && f.value !== (draft[name] || "")) f.value = draft[name] || "";
    });
    const radio = draft.kind && $(`#reply-form input[name=kind][value=${draft.kind}]`);
    if (radio && !radio.disabled) radio.checked = true;
    const copies = $("#cc-fields");
    if (copies && ((draft.cc || "").trim() || (draft.bcc || "").trim())) copies.open = true;
  }
  function draftStatus(which) {
    const el = $("#draft-status");
    if (el) el.textContent = el.dataset[which] || "";
  }
  function saveDraft() {
    const key = draftKey();
    if (!key) return;
    const draft = currentDraft();
    if (isEmptyDraft(draft)) { localStorage.removeItem(key); draftStatus("none"); return; }
    draft.saved = Date.now();
    localStorage.setItem(key, JSON.stringify(draft));
    draftStatus("savedLabel");
  }
  let draftTimer = null;
  document.addEventListener("input", (ev) => {
    if (!ev.target.closest || !ev.target.closest("#reply-form")) return;
    if (!DRAFT_FIELDS.includes(ev.target.name)) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraft, 400);
  });
  document.addEventListener("change", (ev) => {
    if (ev.target.name === "kind" && ev.target.closest("#reply-form")) saveDraft();
  });
  window.addEventListener("storage", (ev) => {
    if (!ev.key || ev.key !== draftKey()) return;
    applyDraft(readDraft(ev.key) || {});
  });
  function restoreDraft() {
    const key = draftKey();
    const draft = key && readDraft(key);
    if (isEmptyDraft(draft)) return;
    // A form the server sent back (an error, a collision) carries the text
    // that was posted: that one wins over an older draft.
    const text = draftField("text");
    if (text && text.value.trim()) return;
    applyDraft(draft);
    draftStatus("restoredLabel");
  }
  document.addEventListener("submit", (ev) => {
    if (ev.target.matches && ev.target.matches("[data-logout]")) {
      // Drafts are customer data: they do not outlive the session on a shared computer.
      Object.keys(localStorage).filter((k) => k.startsWith("tiski:draft:"))
        .forEach((k) => localStorage.removeItem(k));
      return;
    }
    if (ev.target.id !== "reply-form") return;
    // Sent: the draft is done, here and in the other tabs. Should the server
    // refuse it, the page comes back with the text and the next key saves it again.
    // A save still waiting for the typing to pause would write the sent text
    // back while the server answers, and the next page would offer it again.
    clearTimeout(draftTimer);
    const key = draftKey();
    if (key) localStorage.removeItem(key);
  });

  /* ---------- composer: files by picker, drag and drop, and paste ---------- */
  // An <input type=file> cannot be appended to, so the composer's files are
  // kept in a DataTransfer and written back to the input after each change.
  const picked = new DataTransfer();
  function syncFiles() {
    const input = $("#id_attachments");
    if (input) input.files = picked.files;
    const list = $("#composer-files");
    if (!list) return;
    list.innerHTML = "";
    Array.from(picked.files).forEach((file, index) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = file.name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.dataset.removeFile = String(index);
      remove.textContent = "×";
      remove.title = list.dataset.removeLabel || "Remove";
      remove.setAttribute("aria-label", `${remove.title}: ${file.name}`);
      item.append(name, remove);
      list.appendChild(item);
    });
  }
  function addFiles(files) {
    Array.from(files).forEach((file) => picked.items.add(file));
    syncFiles();
  }
  document.addEventListener("change", (ev) => {
    if (ev.target.id !== "id_attachments") return;
    // Files chosen in the dialog join the dropped and pasted ones.
    const chosen = Array.from(ev.target.files).filter(
      (f) => !Array.from(picked.files).some((p) => p.name === f.name && p.size === f.size));
    addFiles(chosen);
  });
  document.addEventListener("click", (ev) => {
    const remove = ev.target.closest("[data-remove-file]");
    if (!remove) return;
    picked.items.remove(Number(remove.dataset.removeFile));
    syncFiles();
  });
  function hasFiles(ev) {
    return ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
  }
  document.addEventListener("dragover", (ev) => {
    const zone = ev.target.closest && ev.target.closest("[data-dropzone]");
    if (!zone || !hasFiles(ev)) return;
    ev.preventDefault();
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", (ev) => {
    const zone = ev.target.closest && ev.target.closest("[data-dropzone]");
    if (zone && !zone.contains(ev.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (ev) => {
    const zone = ev.target.closest && ev.target.closest("[data-dropzone]");
    if (!zone || !hasFiles(ev)) return;
    ev.preventDefault();
    zone.classList.remove("dragging");
    addFiles(ev.dataTransfer.files);
  });
  document.addEventListener("paste", (ev) => {
    if (!ev.target.closest || !ev.target.closest("#reply-form")) return;
    const files = Array.from((ev.clipboardData && ev.clipboardData.files) || []);
    if (!files.length) return;
    // A pasted screenshot is called "image.png" by every browser: give it a
    // name that tells one from the next.
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    addFiles(files.map((file, i) => {
      if (file.name && file.name !== "image.png") return file;
      const ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
      return new File([file], `pasted-${stamp}${i ? "-" + i : ""}.${ext}`, { type: file.type });
    }));
    if (!ev.clipboardData.getData("text/plain")) ev.preventDefault();
  });

  /* ---------- new ticket: contact picker ---------- */
  document.addEventListener("click", (ev) => {
    const pick = ev.target.closest("[data-pick-contact]");
    if (pick) {
      $("#id_requester").value = pick.dataset.pickContact;
      $("#picked-contact-name").textContent = pick.dataset.contactName;
      $("#picked-contact").hidden = false;
      $("#contact-picker").hidden = true;
      $("#id_subject") && $("#id_subject").focus();
    }
    if (ev.target.closest("[data-unpick-contact]")) {
      $("#id_requester").value = "";
      $("#picked-contact").hidden = true;
      $("#contact-picker").hidden = false;
      $("#contact-search").focus();
    }
  });

  /* ---------- forms that send themselves (the language menu) ---------- */
  // Instead of an inline onchange=, which the Content-Security-Policy forbids.
  document.addEventListener("change", (ev) => {
    const field = ev.target.closest && ev.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });

  /* ---------- help overlay ---------- */
  function toggleHelp(show) {
    const overlay = $("#help-overlay");
    if (!overlay) return;
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
    if (!overlay.hidden) $("[data-help-close]", overlay).focus();
  }
  document.addEventListener("click", (ev) => {
    if (ev.target.closest("[data-help-open]")) toggleHelp(true);
    if (ev.target.closest("[data-help-close]") || ev.target.id === "help-overlay") toggleHelp(false);
  });

  /* ---------- keyboard ---------- */
  function rows() { return $$(".ticket-row"); }
  function select(index) {
    const list = rows();
    if (!list.length) return;
    index = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((r) => r.classList.remove("selected"));
    list[index].classList.add("selected");
    list[index].focus({ preventScroll: true });
    list[index].scrollIntoView({ block: "nearest" });
  }
  function selectedIndex() { return rows().findIndex((r) => r.classList.contains("selected")); }
  function focusComposer(kind) {
    const radio = $(`#reply-form input[name=kind][value=${kind}]`);
    // A public reply nobody would receive stays off: the composer says why.
    if (radio && !radio.disabled) radio.checked = true;
    const text = $("#id_text");
    if (text) { text.focus(); text.scrollIntoView({ block: "center" }); }
  }
  let pendingG = false;

  document.addEventListener("keydown", (ev) => {
    const target = ev.target;
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      const form = target.closest && target.closest("form");
      if (form) { ev.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (ev.key === "Escape") {
      const overlay = $("#help-overlay");
      if (overlay && !overlay.hidden) { toggleHelp(false); return; }
      if (isTyping(target)) { target.blur(); return; }
      if (ticketEl()) { location.href = $(".ticket-head .back").href; }
      return;
    }
    if (isTyping(target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;

    if (pendingG) {
      pendingG = false;
      if (ev.key === "i") { location.href = $(".brand").href; return; }
      if (ev.key === "c") { location.href = $(".mainnav a[href*='contacts']").href; return; }
    }
    switch (ev.key) {
      case "?": ev.preventDefault(); toggleHelp(); return;
      case "N": { const next = $("#next-ticket"); if (next) { ev.preventDefault(); next.click(); } return; }
      case "g": pendingG = true; setTimeout(() => { pendingG = false; }, 1200); return;
      case "c": { const link = $("[data-shortcut=c]"); if (link) { ev.preventDefault(); location.href = link.href; } return; }
      case "/": {
        // The search page's own box, else the top bar's; pages without the top bar keep their fields.
        const box = $("#search-page-q") || $("#search-q") || $("#filter-form select, #q, #contact-search");
        if (box) { ev.preventDefault(); const det = box.closest("details"); if (det) det.open = true; box.focus(); if (box.select) box.select(); }
        return;
      }
    }
    if (rows().length) {
      if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); select(selectedIndex() + 1); return; }
      if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); select(selectedIndex() - 1); return; }
      if (ev.key === "o" || ev.key === "Enter") {
        const i = selectedIndex();
        if (i >= 0) { ev.preventDefault(); location.href = rows()[i].dataset.ticketUrl; }
        return;
      }
    }
    if (/^[1-9]$/.test(ev.key)) {
      const link = $(`[data-shortcut-view="${ev.key}"]`);
      if (link) { location.href = link.href; return; }
    }
    if (ticketEl()) {
      if (ev.key === "r") { ev.preventDefault(); focusComposer("public"); return; }
      if (ev.key === "n") { ev.preventDefault(); focusComposer("internal"); return; }
      if (ev.key === "s") { ev.preventDefault(); $("#id_status") && $("#id_status").focus(); return; }
      if (ev.key === "a") { ev.preventDefault(); $("#id_assignee") && $("#id_assignee").focus(); return; }
      if (ev.key === "t") { const take = $("#take-ticket"); if (take) { ev.preventDefault(); take.click(); } return; }
    }
  });

  /* ---------- SLA countdowns ---------- */
  function tickSla() {
    const now = Date.now();
    $$(".sla[data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.due);
      const warn = el.dataset.warn ? Date.parse(el.dataset.warn) : due;
      const state = now > due ? "breached" : now >= warn ? "warning" : "on_track";
      el.classList.remove("sla-on_track", "sla-warning", "sla-breached");
      el.classList.add("sla-" + state);
      const minutes = Math.floor(Math.abs(due - now) / 60000);
      const text = minutes >= 2880 ? `${Math.floor(minutes / 1440)} ${document.body.dataset.dayLabel || "d"}`
        : minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
      const late = document.body.dataset.lateLabel || "-{d}";
      el.textContent = now > due ? late.replace("{d}", text) : text;
    });
  }
  setInterval(tickSla, 30000);

  /* ---------- top bar: the phone menu, self-submitting selects ---------- */
  document.addEventListener("click", (ev) => {
    const toggle = ev.target.closest("[data-menu-toggle]");
    const bar = $("#topbar");
    if (!bar) return;
    if (toggle) {
      const open = !bar.classList.contains("menu-open");
      bar.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    // A click outside an open menu or account panel closes it.
    if (bar.classList.contains("menu-open") && !ev.target.closest("#topbar-menu")) {
      bar.classList.remove("menu-open");
      $("#menu-toggle").setAttribute("aria-expanded", "false");
    }
    const account = $("#account-menu");
    if (account && account.open && !ev.target.closest("#account-menu")) account.open = false;
  });
  // The SMS length counter: the limit comes from the channel registry.
  document.addEventListener("input", (ev) => {
    const area = ev.target.closest("textarea[data-max-length]");
    const counter = area && $("#length-counter");
    if (!counter) return;
    const limit = Number(area.dataset.maxLength);
    counter.textContent = counter.dataset.template
      .replace("{count}", String(area.value.length))
      .replace("{limit}", String(limit));
    counter.classList.toggle("over-limit", area.value.length > limit);
  });
  document.addEventListener("change", (ev) => {
    const select = ev.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", () => {
    connect();
    prepareMessages(document);
    restoreDraft();
    // Keep the selection across live refreshes of the list.
    document.body.addEventListener("htmx:afterSwap", renderViewers);
    // A side-panel save swaps the header and the conversation out of band.
    document.body.addEventListener("htmx:oobAfterSwap", (ev) => {
      const id = ev.detail && ev.detail.target && ev.detail.target.id;
      if (id === "conversation") afterConversationSwap();
      if (id === "ticket-head") renderViewers();
    });
    // htmx leaves a 400 unswapped; a form marked data-show-errors (the side
    // panel) gets its answer shown, so a refused save says why ("fill in the
    // product group before solving") instead of doing nothing.
    document.body.addEventListener("htmx:beforeSwap", (ev) => {
      const elt = ev.detail && ev.detail.requestConfig && ev.detail.requestConfig.elt;
      if (ev.detail.xhr.status !== 400 || !elt || !elt.closest("[data-show-errors]")) return;
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    });
    // Older messages loaded on demand arrive as new top-level elements.
    document.body.addEventListener("htmx:load", (ev) => {
      const el = ev.target;
      if (!el.matches || !el.matches(".msg")) return;
      prepareMessage(el);
      $$(".msg-frame", el).forEach(prepareFrame);
    });
  });
})();
