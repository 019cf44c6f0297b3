/* Phone: the screen pop over the websocket, and click-to-call on tel: links.
 * The push carries only the call's id and a URL; the pop's HTML comes from
 * the server, which lists only tickets the agent may see. */
(function () {
  "use strict";

  const box = () => document.getElementById("phone-pop");

  function ensureCss(el) {
    if (!el.dataset.css || document.querySelector("link[data-phone-css]")) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = el.dataset.css;
    link.dataset.phoneCss = "1";
    document.head.appendChild(link);
  }

  async function showPop(data) {
    const el = box();
    if (!el || !data.url) return;
    const response = await fetch(data.url, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const html = await response.text();
    // Keep what the agent typed when "answered" follows "ringing" for the same call.
    const current = el.querySelector(".phone-pop");
    const same = current && current.dataset.callId === String(data.call);
    const kept = same ? Array.from(el.querySelectorAll("textarea, input[type=text], input[type=radio]:checked"))
      .map((f) => [f.name, f.type === "radio" ? f.value : f.value, f.type]) : [];
    el.innerHTML = html;
    kept.forEach(([name, value, type]) => {
      if (type === "radio") {
        const radio = el.querySelector(`input[type=radio][name="${name}"][value="${value}"]`);
        if (radio) radio.checked = true;
      } else {
        const field = el.querySelector(`[name="${name}"]`);
        if (field && value) field.value = value;
      }
    });
    el.hidden = false;
  }

  function start() {
    const el = box();
    if (!el) return;
    ensureCss(el);
    if (window.tiski && window.tiski.onLive) {
      window.tiski.onLive((data) => { if (data.type === "phone.call") showPop(data); });
    }
    document.addEventListener("click", (ev) => {
      if (ev.target.closest("[data-phone-pop-close]")) {
        el.hidden = true;
        el.innerHTML = "";
        return;
      }
      const link = ev.target.closest("a[href^='tel:']");
      if (!link || !el.dataset.clickToCall) return;
      ev.preventDefault();
      dial(link.getAttribute("href").slice(4), link);
    });
  }

  async function dial(number, link) {
    const el = box();
    const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
    const ticket = document.getElementById("ticket");
    const body = new URLSearchParams({ number });
    if (ticket && ticket.dataset.ticketNumber) body.set("ticket", ticket.dataset.ticketNumber);
    link.classList.add("dialing");
    link.title = el.dataset.callingLabel || "";
    const response = await fetch(el.dataset.dialUrl, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    });
    link.classList.remove("dialing");
    if (!response.ok) link.title = el.dataset.failedLabel || "";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
