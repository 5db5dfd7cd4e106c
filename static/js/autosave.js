/*
 * Dossier autosave: a few seconds after the applicant stops typing, the step's fields are
 * posted to the autosave endpoint and "Enregistré à HH:MM" is announced. If the session has
 * expired (401), the typing is kept in this browser (localStorage) and written back into the
 * form, then saved, when the applicant comes back after logging in again.
 */
(function () {
  "use strict";
  var DELAY_MS = 3000;

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "submit" && el.type !== "file";
    });
  }

  function snapshot(form) {
    var data = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox") {
        data[el.name] = el.checked;
      } else if (el.type === "radio") {
        if (el.checked) { data[el.name] = el.value; }
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function restore(form, data) {
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "checkbox") {
        el.checked = !!data[el.name];
      } else if (el.type === "radio") {
        el.checked = data[el.name] === el.value;
      } else {
        el.value = data[el.name];
      }
    });
  }

  function setup(form) {
    var url = form.getAttribute("data-autosave-url");
    var key = form.getAttribute("data-autosave-key");
    var status = document.getElementById("autosave-status");
    var timer = null;

    function say(text) { if (status) { status.textContent = text; } }

    function save() {
      var body = new FormData(form);
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
        redirect: "manual"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (payload) {
          if (response.ok) {
            window.localStorage.removeItem(key);
            say(payload.message || "");
          } else {
            window.localStorage.setItem(key, JSON.stringify(snapshot(form)));
            say(payload.message || form.getAttribute("data-autosave-error") || "");
          }
        });
      }).catch(function () {
        window.localStorage.setItem(key, JSON.stringify(snapshot(form)));
      });
    }

    var kept = window.localStorage.getItem(key);
    if (kept) {
      try { restore(form, JSON.parse(kept)); save(); } catch (e) { window.localStorage.removeItem(key); }
    }

    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, DELAY_MS);
    });
    form.addEventListener("submit", function () { window.localStorage.removeItem(key); });
  }

  // A submit button is disabled once clicked, so a double click sends one request.
  function submitOnce(form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  }

  document.querySelectorAll("form[data-autosave-url]").forEach(setup);
  document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
})();
