// A "Print this page" button (data-print): shown only when scripts run, as printing needs them.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
