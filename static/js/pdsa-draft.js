// PDSA forms keep a draft as the person types (htmx posts the form to the draft
// endpoint; see the hx-* attributes on <form data-draft>). This script adds what
// htmx alone cannot: a copy on this device while the connection is lost, saved
// to the server when it returns, and no late draft save after the real submit.
(function () {
  "use strict";

  function storageKey(form) {
    return "pdsa-draft:" + window.location.pathname + ":" + form.getAttribute("data-draft");
  }

  function status(form, text) {
    var element = document.getElementById("draft-status");
    if (element) {
      element.textContent = text;
    }
  }

  function keepLocally(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") {
        return;
      }
      (fields[name] = fields[name] || []).push(value);
    });
    try {
      window.localStorage.setItem(storageKey(form), JSON.stringify({ at: Date.now(), fields: fields }));
    } catch (e) {
      // Storage full or disabled: the server draft is all we have.
    }
  }

  function forget(form, savedUpTo) {
    try {
      if (savedUpTo) {
        var kept = JSON.parse(window.localStorage.getItem(storageKey(form)) || "null");
        if (kept && kept.at > savedUpTo) {
          return; // typed again after this save was sent: keep the newer copy
        }
      }
      window.localStorage.removeItem(storageKey(form));
    } catch (e) {
      // Nothing kept.
    }
  }

  function restore(form) {
    var kept;
    try {
      kept = JSON.parse(window.localStorage.getItem(storageKey(form)) || "null");
    } catch (e) {
      kept = null;
    }
    // A copy is only kept until the server has saved it, so any copy left is newer than the server's.
    if (!kept) {
      return;
    }
    Object.keys(kept.fields).forEach(function (name) {
      var values = kept.fields[name];
      form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']").forEach(function (input) {
        if (input.type === "hidden") {
          return;
        }
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = values.indexOf(input.value) !== -1;
        } else {
          input.value = values[values.length - 1];
        }
      });
    });
    status(form, "Restored what you typed on this device; saving it now.");
    if (window.htmx) {
      window.htmx.trigger(form, "change");
    }
  }

  function setUp(form) {
    restore(form);
    form.addEventListener("input", function () {
      keepLocally(form);
    });
    form.addEventListener("change", function () {
      keepLocally(form);
    });
    form.addEventListener("submit", function () {
      form.setAttribute("data-submitting", "true");
      forget(form);
    });
    // A draft save still waiting when the real form is submitted must not bring the draft back.
    form.addEventListener("htmx:confirm", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
      }
    });
    var sentAt = 0;
    form.addEventListener("htmx:beforeRequest", function () {
      sentAt = Date.now();
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.successful) {
        forget(form, sentAt);
      }
    });
    form.addEventListener("htmx:sendError", function () {
      status(form, "Not saved: no connection. What you typed is kept on this device and will be saved when you are back online.");
    });
    window.addEventListener("online", function () {
      if (window.htmx) {
        window.htmx.trigger(form, "change");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-draft]").forEach(setUp);
  });
})();
