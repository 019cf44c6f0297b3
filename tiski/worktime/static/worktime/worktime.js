/* Handling time: heartbeats from an open ticket page.
 *
 * Every beat describes the stretch since the previous one: was the tab
 * focused and visible all along, and how long ago was the last input.
 * The server measures the stretch with its own clock and decides what
 * counts (tiski/worktime/counting.py). A change of focus ends a stretch
 * at once, so a stretch is either wholly focused or wholly not. */
(function () {
  "use strict";

  const panel = () => document.getElementById("worktime-panel");
  if (!panel()) return;
  const url = panel().dataset.worktimeBeat;
  if (!url) return; // measuring is switched off in Settings: no beats at all
  const every = (parseInt(panel().dataset.beatSeconds, 10) || 20) * 1000;
  const session = self.crypto && crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  let lastInput = Date.now();
  const isFocused = () => document.visibilityState === "visible" && document.hasFocus();
  let focused = isFocused();
  let unfocusedSent = false;

  function csrf() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function beatData(stretchFocused) {
    const data = new FormData();
    data.append("session", session);
    data.append("focused", stretchFocused ? "1" : "0");
    data.append("idle", String(Math.max(0, Math.round((Date.now() - lastInput) / 1000))));
    data.append("csrfmiddlewaretoken", csrf());
    return data;
  }

  function show(seconds) {
    const mine = panel() && panel().querySelector("[data-worktime-mine]");
    if (!mine || typeof seconds !== "number") return;
    const total = Math.round(seconds / 60);
    mine.textContent = total >= 60 ? `${Math.floor(total / 60)} h ${String(total % 60).padStart(2, "0")} min` : `${total} min`;
  }

  // Switched off while this page was open (the server answers 409): stop.
  let stopped = false;

  function beat(stretchFocused) {
    if (stopped) return;
    // An unfocused tab reports once that it went away, then stays quiet.
    if (!stretchFocused) {
      if (unfocusedSent) return;
      unfocusedSent = true;
    } else {
      unfocusedSent = false;
    }
    fetch(url, { method: "POST", body: beatData(stretchFocused), credentials: "same-origin" })
      .then((r) => {
        if (r.status === 409) stopped = true;
        return r.ok ? r.json() : null;
      })
      .then((body) => body && show(body.seconds))
      .catch(() => {});
  }

  function focusChanged() {
    const now = isFocused();
    if (now === focused) return;
    // Close the stretch with the state it had, then start a new one.
    unfocusedSent = false;
    beat(focused);
    focused = now;
    if (now) lastInput = Date.now();
  }

  ["keydown", "pointerdown", "wheel", "touchstart", "input"].forEach((name) =>
    document.addEventListener(name, () => { lastInput = Date.now(); }, { passive: true, capture: true }));
  let lastMove = 0;
  document.addEventListener("pointermove", () => {
    const now = Date.now();
    if (now - lastMove > 1000) { lastMove = now; lastInput = now; }
  }, { passive: true });
  window.addEventListener("focus", focusChanged);
  window.addEventListener("blur", focusChanged);
  document.addEventListener("visibilitychange", focusChanged);
  window.addEventListener("pagehide", () => {
    if (focused && !stopped && navigator.sendBeacon) navigator.sendBeacon(url, beatData(true));
  });

  // The first beat opens the session; it counts nothing by itself.
  fetch(url, { method: "POST", body: beatData(false), credentials: "same-origin" }).catch(() => {});
  setInterval(() => beat(focused), every);
})();
