/*
 * Indicator dashboard: while a run is queued or running, move the progress bar. When the run
 * is over (published, failed, or no longer progressing), show 100 % or the outcome for a
 * moment, then load the dashboard again: the server then shows the new figures, or the error
 * with the previous publication. Without this script the page reloads itself (<noscript>
 * refresh); with or without it, a reload always shows the current state, so the progress
 * survives leaving and coming back. Needs status-poller.js.
 */
(function () {
  "use strict";
  var root = document.getElementById("indicator-run");
  if (!root || !window.fetch || !window.genPollStatus) { return; }
  var doneUrl = root.getAttribute("data-done-url");
  var bar = document.getElementById("indicator-run-progress");
  var percent = document.getElementById("indicator-run-percent");
  var state = document.getElementById("indicator-run-state");
  var message = document.getElementById("indicator-run-message");
  var SHOW_RESULT_MS = 1500;

  function leave() { window.location.assign(doneUrl); }

  function finish(text) {
    message.textContent = text;
    window.setTimeout(leave, SHOW_RESULT_MS);
    return false;
  }

  window.genPollStatus(root.getAttribute("data-status-url"), function (data) {
    var value = data.status === "done" ? 100 : data.progress;
    if (typeof value === "number") {
      bar.value = value;
      bar.textContent = value + " %";
      percent.textContent = value;
    }
    if (data.status_display) { state.textContent = data.status_display; }
    if (data.status === "done") { return finish(root.getAttribute("data-text-done")); }
    if (data.status === "failed") { return finish(root.getAttribute("data-text-failed")); }
    if (data.stale) { return finish(root.getAttribute("data-text-stale")); }
    return true;
  }, leave);
}());
