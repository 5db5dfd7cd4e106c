/*
 * Import job page: while the job runs, ask its status endpoint where it stands, move the
 * progress bar, and reload the page when the state changes (the server then shows the
 * report, the confirmation or the result). Without this script the page reloads itself
 * (<noscript> refresh); with or without it, a reload always shows the current state.
 */
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var state = root.getAttribute("data-state");
  var bar = document.getElementById("import-job-progress");
  var percent = document.getElementById("import-job-percent");
  var detail = document.getElementById("import-job-detail");
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 30000;
  var delay = INTERVAL_MS;

  function show(data) {
    if (typeof data.percent === "number") {
      bar.value = data.percent;
      bar.textContent = data.percent + " %";
      percent.textContent = data.percent;
    }
    if (data.progress_text) { detail.textContent = data.progress_text; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // An expired session answers with the login page, a job no longer visible with a
        // 404: a reload shows the visitor either.
        if (response.status === 404 || (response.ok && type.indexOf("application/json") !== 0)) {
          window.location.reload();
          return null;
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data === null) { return; }
        if (data.state !== state) {
          window.location.reload();
          return;
        }
        show(data);
        delay = INTERVAL_MS;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // Server busy or network down: try again, less and less often.
        delay = Math.min(delay * 2, MAX_INTERVAL_MS);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
}());
