/* Browser notifications: subscribe this browser to the agent's notices (Push API).
 * The button lives on the Preferences page; the service worker (push-sw.js)
 * shows each notice and opens its ticket on a click. */
(function () {
  "use strict";
  const box = document.getElementById("push-settings");
  if (!box) return;
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  const say = (key) => { status.textContent = box.dataset[key] || ""; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    button.hidden = true;
    return;
  }
  if (Notification.permission === "denied") say("denied");

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The worker's scope is the static folder, not this page, so
  // navigator.serviceWorker.ready would never resolve: wait for this one.
  function activated(registration) {
    if (registration.active) return Promise.resolve();
    const worker = registration.installing || registration.waiting;
    return new Promise((resolve, reject) => {
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve();
        if (worker.state === "redundant") reject(new Error("worker failed"));
      });
    });
  }

  async function enable() {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { say("denied"); return; }
      const registration = await navigator.serviceWorker.register(box.dataset.worker);
      await activated(registration);
      // A browser whose push service cannot be reached may never answer: give up after a while.
      const subscription = await Promise.race([
        registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(box.dataset.key),
        }),
        new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), 10000)),
      ]);
      const response = await fetch(box.dataset.subscribe, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON()),
      });
      if (!response.ok) { say("failed"); return; }
      say("enabled");
      window.location.reload();
    } catch (error) {
      say("failed");
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", enable);
})();
