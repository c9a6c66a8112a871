// The driver-diagram editor works without JavaScript (every control is a real
// form). With htmx, forms swap the editor in place; this script lets the
// editor's "nothing saved" answers (409 the diagram changed, 422 bad input)
// swap in too, so the person sees why, and moves focus to the message.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && event.detail.target && event.detail.target.id === "diagram-editor") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var root = document.getElementById("diagram-editor");
    if (!root) {
      return;
    }
    var message = root.querySelector("[data-focus]");
    if (message) {
      message.focus();
      return;
    }
    var field = root.querySelector(".app-dd-editor__edit input[type=text]");
    if (field) {
      field.focus();
    }
  });
})();
