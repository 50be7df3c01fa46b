// Small behaviours that the Content Security Policy allows only from a file.
document.addEventListener("DOMContentLoaded", function () {
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // An error summary takes the focus, so screen readers announce it and keyboard users
  // start from it; its links move the focus to the field itself (a group's first input).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var input = target.matches("input, select, textarea, button") ? target : target.querySelector("input, select, textarea");
      if (!input) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + input.id + "']") || input;
      (input.closest("fieldset") || label).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // Buttons that destroy something ask first; the question is in data-confirm.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
});
