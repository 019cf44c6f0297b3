/* Tiski's service worker for browser notifications: show a pushed notice,
 * and open (or focus) its ticket when the agent clicks it. */
"use strict";

self.addEventListener("push", (event) => {
  let notice = {};
  try { notice = event.data ? event.data.json() : {}; } catch (error) { notice = {}; }
  const title = notice.title || "Tiski";
  event.waitUntil(self.registration.showNotification(title, {
    body: notice.body || "",
    tag: notice.tag || undefined,
    data: { url: notice.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (client.url === url && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(url);
  })());
});
