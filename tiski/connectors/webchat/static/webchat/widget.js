/* Tiski web chat widget: embed with one <script src=".../chat/<key>/widget.js" async></script>.
   No dependencies. Talks to Tiski over a websocket, or over plain HTTP
   (POST to send, a long GET to wait) where no socket opens (a proxy that
   strips Upgrade) or the tag says data-transport="poll"; the visitor token
   in localStorage keeps the conversation across reloads. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__tiskiChat) return;
  window.__tiskiChat = true;
  var src = new URL(script.src);
  var key = src.pathname.split("/").slice(-2)[0];
  var base = src.origin + src.pathname.replace(/widget\.js$/, "");
  var wsUrl = (src.protocol === "https:" ? "wss://" : "ws://") + src.host + "/ws/chat/" + key + "/";
  var storeKey = "tiski-chat-" + key;
  // Sockets that closed before their welcome: after two, the fallback.
  var SOCKET_TRIES = 2;
  var forcePoll = script.getAttribute("data-transport") === "poll";

  var TEXTS = {
    fi: { open: "Avaa chat", close: "Sulje chat", title: "Chat", name: "Nimi", email: "Sähköposti",
      start: "Aloita keskustelu", message: "Viesti", send: "Lähetä", sending: "Lähetetään…",
      you: "Sinä", agent: "Asiakaspalvelu", badEmail: "Tarkista sähköpostiosoite.",
      offline: "Yhteys katkesi, yhdistetään uudelleen…", typing: "kirjoittaa…", attach: "Liitä tiedosto", tooLarge: "Tiedosto on liian suuri.", badType: "Tätä tiedostotyyppiä ei voi lähettää.", transcript: "Lähetä keskustelu sähköpostiini", transcriptSent: "Keskustelu lähetetään sähköpostiisi.", away: "Kukaan ei ehdi nyt chattiin. Jätä viesti, niin vastaamme sähköpostitse.", intro: "Kerro nimesi ja sähköpostisi, niin voimme vastata myös sähköpostitse." },
    en: { open: "Open chat", close: "Close chat", title: "Chat", name: "Name", email: "Email",
      start: "Start chatting", message: "Message", send: "Send", sending: "Sending…",
      you: "You", agent: "Customer service", badEmail: "Please check the email address.",
      offline: "Connection lost, reconnecting…", typing: "is typing…", attach: "Attach a file", tooLarge: "The file is too large.", badType: "This type of file cannot be sent.", transcript: "Email me the conversation", transcriptSent: "The conversation is on its way to your email.", away: "Nobody is free to chat right now. Leave a message and we will answer by email.", intro: "Tell us your name and email so we can also answer by email." },
    sv: { open: "Öppna chatten", close: "Stäng chatten", title: "Chatt", name: "Namn", email: "E-post",
      start: "Börja chatta", message: "Meddelande", send: "Skicka", sending: "Skickas…",
      you: "Du", agent: "Kundtjänst", badEmail: "Kontrollera e-postadressen.",
      offline: "Anslutningen bröts, ansluter igen…", typing: "skriver…", attach: "Bifoga en fil", tooLarge: "Filen är för stor.", badType: "Den här filtypen kan inte skickas.", transcript: "Skicka samtalet till min e-post", transcriptSent: "Samtalet skickas till din e-post.", away: "Ingen hinner chatta just nu. Lämna ett meddelande så svarar vi per e-post.", intro: "Ange ditt namn och din e-post så kan vi också svara per e-post." }
  };
  var lang = (document.documentElement.lang || navigator.language || "fi").slice(0, 2).toLowerCase();
  if (!TEXTS[lang]) lang = "fi";
  var T = TEXTS[lang];

  var state = load();
  var socket = null, retry = 0, pingTimer = null, shown = {};
  var transport = forcePoll ? "poll" : "socket", socketFailures = 0, started = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  state.pending = state.pending || [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text) node.textContent = text;
    return node;
  }

  var css = ".tiski-chat-button{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;background:#1f5f8b;color:#fff;font:600 16px system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}" +
    ".tiski-chat-button:focus-visible,.tiski-chat-panel button:focus-visible,.tiski-chat-panel input:focus-visible,.tiski-chat-panel textarea:focus-visible{outline:3px solid #f0a500;outline-offset:2px}" +
    ".tiski-chat-panel{position:fixed;right:16px;bottom:80px;z-index:2147483000;width:360px;max-width:calc(100vw - 32px);height:480px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#222;border-radius:8px;box-shadow:0 4px 20px rgba(0,0,0,.3);font:15px/1.4 system-ui,sans-serif}" +
    ".tiski-chat-panel[hidden],.tiski-chat-form[hidden]{display:none}.tiski-chat-head{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:#1f5f8b;color:#fff;border-radius:8px 8px 0 0}" +
    ".tiski-chat-head h2{font-size:16px;margin:0}.tiski-chat-head button{background:none;border:0;color:#fff;font-size:22px;cursor:pointer}" +
    ".tiski-chat-log{flex:1;overflow-y:auto;padding:10px 14px}.tiski-chat-item{margin:6px 0;padding:8px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}" +
    ".tiski-chat-visitor{margin-left:auto;background:#e3f0fa}.tiski-chat-agent{background:#f1f1f1}.tiski-chat-who{display:block;font-size:12px;color:#555}" +
    ".tiski-chat-pending{opacity:.6}.tiski-chat-status{font-size:13px;color:#8a1c1c;padding:0 14px}" +
    ".tiski-chat-form{display:flex;flex-direction:column;gap:6px;padding:10px 14px;border-top:1px solid #ddd}" +
    ".tiski-chat-form input,.tiski-chat-form textarea{font:inherit;padding:8px;border:1px solid #888;border-radius:4px}" +
    ".tiski-chat-typing{margin:0 12px;min-height:1.2em;font-size:13px;font-style:italic;color:#555}" +
    ".tiski-chat-form button{font:inherit;padding:8px;border:0;border-radius:4px;background:#1f5f8b;color:#fff;cursor:pointer}" +
    "@media (max-width:480px){.tiski-chat-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}";
  var style = el("style");
  style.textContent = css;
  document.head.appendChild(style);

  var button = el("button", { type: "button", "class": "tiski-chat-button", "aria-expanded": "false",
    "aria-controls": "tiski-chat-panel", "aria-label": T.open }, T.title);
  var panel = el("section", { id: "tiski-chat-panel", "class": "tiski-chat-panel", role: "dialog",
    "aria-label": T.title, lang: lang });
  panel.hidden = true;
  var head = el("div", { "class": "tiski-chat-head" });
  head.appendChild(el("h2", {}, T.title));
  var closeButton = el("button", { type: "button", "aria-label": T.close }, "×");
  head.appendChild(closeButton);
  var log = el("div", { "class": "tiski-chat-log", role: "log", "aria-live": "polite", tabindex: "0" });
  var status = el("p", { "class": "tiski-chat-status", role: "status" });
  var typingNote = el("p", { "class": "tiski-chat-typing", "aria-live": "polite" });
  var prechat = el("form", { "class": "tiski-chat-form tiski-chat-prechat", novalidate: "" });
  prechat.appendChild(el("p", {}, T.intro));
  var nameInput = el("input", { name: "name", autocomplete: "name", "aria-label": T.name, placeholder: T.name });
  var emailInput = el("input", { name: "email", type: "email", autocomplete: "email", required: "",
    "aria-label": T.email, placeholder: T.email });
  prechat.appendChild(nameInput);
  prechat.appendChild(emailInput);
  prechat.appendChild(el("button", { type: "submit" }, T.start));
  var composer = el("form", { "class": "tiski-chat-form tiski-chat-composer" });
  var textbox = el("textarea", { name: "text", rows: "2", "aria-label": T.message, placeholder: T.message });
  composer.appendChild(textbox);
  composer.appendChild(el("button", { type: "submit" }, T.send));
  var fileInput = el("input", { type: "file", "class": "tiski-chat-file", "aria-label": T.attach,
    accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain" });
  composer.appendChild(fileInput);
  var transcriptButton = el("button", { type: "button", "class": "tiski-chat-transcript" }, T.transcript);
  composer.appendChild(transcriptButton);
  composer.hidden = true;
  prechat.hidden = true;
  [head, log, typingNote, status, prechat, composer].forEach(function (n) { panel.appendChild(n); });
  document.body.appendChild(button);
  document.body.appendChild(panel);

  function setOpen(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", open ? T.close : T.open);
    if (open) {
      focusFirst();
      if (!started) { started = true; if (transport === "poll") startPolling(); else connect(); }
      markRead();
    } else {
      button.focus();
    }
    state.open = open;
    save();
  }
  button.addEventListener("click", function () { setOpen(panel.hidden); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  function render(item, pending) {
    var id = item.client_id ? "c:" + item.client_id : "m:" + item.id;
    var node = shown[id] || (item.id && shown["m:" + item.id]);
    if (!node) {
      node = el("div", { "class": "tiski-chat-item tiski-chat-" + item.from });
      node.appendChild(el("span", { "class": "tiski-chat-who" },
        item.from === "visitor" ? T.you : (item.author || T.agent)));
      node.appendChild(el("span", { "class": "tiski-chat-text" }, item.text));
      // The greeting opens the conversation even when the history came first.
      if (item.id === "greeting") log.insertBefore(node, log.firstChild); else log.appendChild(node);
      log.scrollTop = log.scrollHeight;
    }
    shown[id] = node;
    if (item.id) shown["m:" + item.id] = node;
    node.classList.toggle("tiski-chat-pending", !!pending);
    node.setAttribute("aria-busy", pending ? "true" : "false");
  }

  function showForms(identified) {
    state.identified = identified;
    save();
    prechat.hidden = identified;
    composer.hidden = !identified;
    if (wantFocus) focusFirst();
  }

  // The panel's first field takes the focus on opening; before the welcome
  // says which form it is, neither is shown, so the first one shown takes it.
  var wantFocus = false;
  function focusFirst() {
    var field = !composer.hidden ? textbox : (!prechat.hidden ? nameInput : null);
    wantFocus = !field && !panel.hidden;
    if (field && !panel.hidden) field.focus();
  }

  // True when the frame went to the transport (a closed socket drops it).
  function send(data) {
    if (transport === "poll") { post(data); return true; }
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(data)); return true; }
    return false;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  prechat.addEventListener("submit", function (e) {
    e.preventDefault();
    send({ type: "identify", name: nameInput.value, email: emailInput.value });
  });
  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = textbox.value.trim();
    if (!text) return;
    var item = { client_id: newId(), text: text };
    state.pending.push(item);
    save();
    render({ client_id: item.client_id, from: "visitor", text: text }, true);
    send({ type: "message", client_id: item.client_id, text: text });
    textbox.value = "";
  });
  textbox.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
  });

  // "Seen": the newest agent reply, told once the panel is open and the page in view.
  var lastReply = 0, readSent = 0;
  // A "read" that did not get through (a closed socket, a failed request) is
  // told again with the next welcome, as unacknowledged messages are.
  function markRead() {
    if (panel.hidden || document.visibilityState !== "visible" || lastReply <= readSent) return;
    if (send({ type: "read", id: lastReply })) readSent = lastReply;
  }
  document.addEventListener("visibilitychange", markRead);

  var typingTimer = null;
  function showTyping(on, author) {
    clearTimeout(typingTimer);
    typingNote.textContent = on ? (author || T.agent) + " " + T.typing : "";
    // A lost "stopped" frame must not leave the note on for good.
    if (on) typingTimer = setTimeout(function () { typingNote.textContent = ""; }, 8000);
  }

  // The visitor typing: told at most every 3 s, "stopped" after 5 s of quiet.
  var typingSent = 0, stopTimer = null;
  textbox.addEventListener("input", function () {
    var now = Date.now();
    if (now - typingSent > 3000) { typingSent = now; send({ type: "typing", state: true }); }
    clearTimeout(stopTimer);
    stopTimer = setTimeout(function () { typingSent = 0; send({ type: "typing", state: false }); }, 5000);
  });

  // A file goes over HTTP (the socket carries text only); the client id
  // makes a retried upload an ack, not a second message.
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file || !state.token) return;
    var clientId = newId();
    render({ client_id: clientId, from: "visitor", text: file.name }, true);
    var body = new FormData();
    body.append("token", state.token);
    body.append("client_id", clientId);
    body.append("file", file);
    fetch(base + "upload", { method: "POST", body: body })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        var node = shown["c:" + clientId];
        if (res.ok) {
          if (node) { shown["m:" + res.data.id] = node; node.classList.remove("tiski-chat-pending"); node.setAttribute("aria-busy", "false"); }
        } else {
          if (node) node.parentNode.removeChild(node);
          status.textContent = res.data.error === "too_large" ? T.tooLarge : T.badType;
        }
      })
      .catch(function () { status.textContent = T.offline; });
    fileInput.value = "";
  });
  transcriptButton.addEventListener("click", function () { send({ type: "transcript" }); });

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    handle(data);
  }

  function handle(data) {
    if (data.type === "welcome") {
      state.token = data.token;
      showForms(data.identified);
      // Nobody free (all away, full, or outside the chat hours): the offline
      // message instead of the greeting; the chat still becomes a ticket and
      // the answer comes by email.
      var away = data.available === false;
      panel.setAttribute("data-available", away ? "false" : "true");
      var opening = away ? (data.offline_message || T.away) : data.greeting;
      if (opening && !shown.greeting) {
        shown.greeting = true;
        render({ id: "greeting", from: "agent", text: opening });
        shown["m:greeting"].classList.toggle("tiski-chat-offline", away);
      }
      data.history.forEach(function (item) { render(item); });
      var delivered = {};
      data.history.forEach(function (item) { if (item.client_id) delivered[item.client_id] = true; });
      // Whatever the server never acknowledged is sent again; the client
      // id makes a message that did arrive an ack, not a duplicate.
      state.pending = state.pending.filter(function (p) { return !delivered[p.client_id]; });
      save();
      state.pending.forEach(function (p) { send({ type: "message", client_id: p.client_id, text: p.text }); });
      data.history.forEach(function (item) { if (item.from === "agent" && item.id > lastReply) lastReply = item.id; });
      markRead();
      if (transport === "poll") { setConnected(true); poll(); }
    } else if (data.type === "identified") {
      status.textContent = "";
      showForms(true);
      textbox.focus();
    } else if (data.type === "ack") {
      state.pending = state.pending.filter(function (p) { return p.client_id !== data.client_id; });
      save();
      var node = shown["c:" + data.client_id];
      if (node) { shown["m:" + data.id] = node; node.classList.remove("tiski-chat-pending"); node.setAttribute("aria-busy", "false"); }
    } else if (data.type === "reply") {
      showTyping(false);
      render(data.item);
      if (data.item.from === "agent" && data.item.id > lastReply) lastReply = data.item.id;
      markRead();
    } else if (data.type === "transcript") {
      status.textContent = data.sent ? T.transcriptSent : "";
    } else if (data.type === "typing") {
      showTyping(data.state, data.author);
    } else if (data.type === "error" && data.code === "bad_email") {
      status.textContent = T.badEmail;
      emailInput.focus();
    } else if (data.type === "error" && data.code === "hello_first" && transport === "poll") {
      hello();  // the server no longer knows the session: start again, pending kept
    }
  }

  function hello() { send({ type: "hello", token: state.token || "", lang: lang }); }

  function setConnected(on) {
    panel.setAttribute("data-connected", on ? "true" : "false");
    if (on) status.textContent = "";
    else if (!panel.hidden) status.textContent = T.offline;
  }

  function connect() {
    var welcomed = false;
    panel.setAttribute("data-transport", "socket");
    socket = new WebSocket(wsUrl);
    // A proxy may hold the upgrade forever: a socket not open in 10 s has failed.
    var openTimer = setTimeout(function () { if (socket.readyState === 0) socket.close(); }, 10000);
    socket.addEventListener("open", function () {
      clearTimeout(openTimer);
      retry = 0;
      setConnected(true);
      hello();
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, 20000);
    });
    socket.addEventListener("message", function (event) { welcomed = true; onMessage(event); });
    socket.addEventListener("close", function () {
      clearTimeout(openTimer);
      clearInterval(pingTimer);
      setConnected(false);
      // Closed before a single frame came back: the socket cannot get
      // through here. Twice, and the chat goes on over plain HTTP.
      socketFailures = welcomed ? 0 : socketFailures + 1;
      if (socketFailures >= SOCKET_TRIES) { socket = null; startPolling(); return; }
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry - 1));
    });
  }

  // --- The long-polling fallback: the socket's frames over plain HTTP --------
  // Frames are POSTed one at a time, in order (a message never overtakes the
  // one before it, as on a socket); the answers are the socket's frames. One
  // GET waits for news: replies newer than lastReply and typing notes.
  var outbox = Promise.resolve(), polling = false, pollRetry = 0;

  function startPolling() {
    transport = "poll";
    panel.setAttribute("data-transport", "poll");
    hello();
  }

  function post(data) {
    var body = {};
    for (var name in data) body[name] = data[name];
    if (!("token" in body)) body.token = state.token || "";
    outbox = outbox.then(function () {
      return fetch(base + "send", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body) })
        .then(function (r) { return r.json(); })
        .then(function (answer) { (answer.events || []).forEach(handle); })
        .catch(function () {
          // Not through: unacknowledged messages stay pending and go again
          // with the next welcome, like after a socket reconnect; so does a read.
          if (body.type === "read" && readSent === body.id) readSent = 0;
          setConnected(false);
          helloSoon();
        });
    });
  }

  var helloTimer = null;
  function helloSoon() {
    if (helloTimer) return;
    helloTimer = setTimeout(function () { helloTimer = null; hello(); }, 2000);
  }

  function poll() {
    if (polling || !state.token) return;
    polling = true;
    fetch(base + "poll?after=" + lastReply, { headers: { "X-Chat-Token": state.token } })
      .then(function (r) {
        if (r.status === 404) { polling = false; hello(); return null; }
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (answer) {
        if (!answer) return;
        polling = false;
        pollRetry = 0;
        setConnected(true);
        answer.events.forEach(handle);
        poll();
      })
      .catch(function () {
        polling = false;
        setConnected(false);
        pollRetry = Math.min(pollRetry + 1, 6);
        // Back again with a hello: it resends what was never acknowledged.
        setTimeout(hello, 500 * Math.pow(2, pollRetry - 1));
      });
  }

  // A returning visitor sees the conversation at once, before the socket is up.
  if (state.token) {
    fetch(base + "history", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: state.token }) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.history.forEach(function (item) { render(item); });
        state.pending.forEach(function (p) { render({ client_id: p.client_id, from: "visitor", text: p.text }, true); });
        showForms(data.identified);
      })
      .catch(function () { /* the socket's welcome brings it too */ });
  }
  if (state.open) setOpen(true);
})();
