/*
 * Shared by the pages that follow a background task (import jobs, indicator runs): ask a
 * status endpoint for JSON every second, and less and less often while the server is busy
 * or the network down. `onData(data)` returns true to keep polling. `onGone()` is called
 * when the answer is a 404 or not our JSON (an expired session answers with the login
 * page): the page then reloads or moves on, and the server shows where the visitor stands.
 */
window.genPollStatus = function (url, onData, onGone) {
  "use strict";
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 30000;
  var delay = INTERVAL_MS;

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 404 || (response.ok && type.indexOf("application/json") !== 0)) {
          onGone();
          return null;
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data === null) { return; }
        if (onData(data)) {
          delay = INTERVAL_MS;
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_INTERVAL_MS);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
};
