/*
 * Import job page: while the job runs, move the progress bar, and reload the page when the
 * state changes (the server then shows the report, the confirmation or the result). Without
 * this script the page reloads itself (<noscript> refresh); with or without it, a reload
 * always shows the current state. Needs status-poller.js.
 */
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root || !window.fetch || !window.genPollStatus) { return; }
  var state = root.getAttribute("data-state");
  var bar = document.getElementById("import-job-progress");
  var percent = document.getElementById("import-job-percent");
  var detail = document.getElementById("import-job-detail");

  function reload() { window.location.reload(); }

  window.genPollStatus(root.getAttribute("data-status-url"), function (data) {
    if (data.state !== state) {
      reload();
      return false;
    }
    if (typeof data.percent === "number") {
      bar.value = data.percent;
      bar.textContent = data.percent + " %";
      percent.textContent = data.percent;
    }
    if (data.progress_text) { detail.textContent = data.progress_text; }
    return true;
  }, reload);
}());
