// The letter's print button (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
