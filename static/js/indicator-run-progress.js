/*
 * Indicator dashboard: while a run is queued or running, ask its status endpoint where it
 * stands and move the progress bar. When the run is over (published, failed, or no longer
 * progressing), show 100 % or the outcome for a moment, then load the dashboard again: the
 * server then shows the new figures, or the error with the previous publication. Without
 * this script the page reloads itself (<noscript> refresh); with or without it, a reload
 * always shows the current state, so the progress survives leaving and coming back.
 */
(function () {
  "use strict";
  var root = document.getElementById("indicator-run");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var doneUrl = root.getAttribute("data-done-url");
  var bar = document.getElementById("indicator-run-progress");
  var percent = document.getElementById("indicator-run-percent");
  var state = document.getElementById("indicator-run-state");
  var message = document.getElementById("indicator-run-message");
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 30000;
  var SHOW_RESULT_MS = 1500;
  var delay = INTERVAL_MS;

  function show(data) {
    var value = data.status === "done" ? 100 : data.progress;
    if (typeof value === "number") {
      bar.value = value;
      bar.textContent = value + " %";
      percent.textContent = value;
    }
    if (data.status_display) { state.textContent = data.status_display; }
  }

  function finish(text) {
    message.textContent = text;
    window.setTimeout(function () { window.location.assign(doneUrl); }, SHOW_RESULT_MS);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // A run that no longer exists, or a session that expired (not staff any more: 404),
        // or anything that is not our JSON: a reload shows the visitor where they stand.
        if (response.status === 404 || (response.ok && type.indexOf("application/json") !== 0)) {
          window.location.assign(doneUrl);
          return null;
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data === null) { return; }
        show(data);
        if (data.status === "done") {
          finish(root.getAttribute("data-text-done"));
        } else if (data.status === "failed") {
          finish(root.getAttribute("data-text-failed"));
        } else if (data.stale) {
          finish(root.getAttribute("data-text-stale"));
        } else {
          delay = INTERVAL_MS;
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        // Server busy or network down: try again, less and less often.
        delay = Math.min(delay * 2, MAX_INTERVAL_MS);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
}());
