/* The live overview. No polling: the figures are fetched again when the
 * desk's socket says a ticket changed (at most every two seconds) and at
 * the moment the server said a figure changes with the clock alone (a
 * deadline or warning passing, midnight). Agents online come from a roll
 * call over the same socket (tiski/reports/overview_online.py). */
(function () {
  "use strict";

  const root = document.getElementById("overview");
  if (!root) return;
  const box = document.getElementById("overview-figures");
  const THROTTLE = 2000;
  let lastFetch = 0;
  let pending = null;
  let clockTimer = null;

  async function refresh() {
    pending = null;
    lastFetch = Date.now();
    try {
      const response = await fetch(root.dataset.refreshUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      box.innerHTML = await response.text();
      box.dispatchEvent(new Event("tiski:overview-updated", { bubbles: true }));
    } catch (e) { /* the next change or reconnect tries again */ }
    scheduleClock();
    tickWaits();
  }

  function soon() {
    if (pending) return;
    const wait = Math.max(0, lastFetch + THROTTLE - Date.now());
    pending = setTimeout(refresh, wait);
  }

  function scheduleClock() {
    clearTimeout(clockTimer);
    const el = box.querySelector("[data-next-change]");
    const at = el && Date.parse(el.dataset.nextChange);
    if (!at) return;
    // setTimeout's longest wait is ~24 days; an hour at most keeps it simple across sleeps.
    const delay = Math.min(Math.max(at - Date.now(), 0) + 500, 3600 * 1000);
    clockTimer = setTimeout(refresh, delay);
  }

  function tickWaits() {
    box.querySelectorAll("[data-since]").forEach((el) => {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 60000));
      const days = document.body.dataset.dayLabel || "d";
      el.textContent = minutes >= 2880 ? `${Math.floor(minutes / 1440)} ${days} ${Math.floor(minutes % 1440 / 60)} h`
        : minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes} min`;
    });
  }

  document.body.addEventListener("tiski:changed", soon);

  /* ---------- agents online ---------- */
  const tabs = new Map(); // tab -> {userId, name, seen}
  let rollCallAt = 0;
  function renderOnline() {
    const people = new Map();
    tabs.forEach((t) => people.set(t.userId, t.name));
    const count = document.getElementById("online-count");
    const list = document.getElementById("online-names");
    count.textContent = String(people.size);
    const names = Array.from(people.values()).sort((a, b) => a.localeCompare(b));
    list.textContent = names.length ? `(${names.join(", ")})` : "";
  }
  function rollCall() {
    if (!window.tiski || !window.tiski.send) return;
    rollCallAt = Date.now();
    window.tiski.send({ action: "online" });
    // Tabs that did not answer within a few seconds are gone.
    setTimeout(() => {
      tabs.forEach((t, key) => { if (t.seen < rollCallAt) tabs.delete(key); });
      renderOnline();
    }, 5000);
  }
  if (window.tiski) {
    window.tiski.onLive((data) => {
      if (data.type !== "online") return;
      if (data.state === "gone") tabs.delete(data.tab);
      else tabs.set(data.tab, { userId: data.user_id, name: data.name, seen: Date.now() });
      renderOnline();
    });
  }
  // On every (re)connect: the socket is new, so ask again and catch up on changes missed.
  document.body.addEventListener("tiski:live", () => { rollCall(); soon(); });
  if (document.body.dataset.live === "on") rollCall();
  setInterval(rollCall, 5 * 60 * 1000);

  scheduleClock();
  tickWaits();
  setInterval(tickWaits, 30000);
})();
