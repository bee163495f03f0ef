// Accessibility helpers (progressive enhancement; everything works without them).
// After a refused form, move the focus to the first invalid field, or else to the
// error message, so keyboard and screen-reader users land on what to correct.
(function () {
  "use strict";
  var ERROR_MESSAGE = "div.flash.err, .error-summary";

  function focusFirstError(root) {
    var target = root.querySelector('[aria-invalid="true"]') || root.querySelector(ERROR_MESSAGE);
    if (!target) { return; }
    if (target.matches(ERROR_MESSAGE) && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Only when the page answers a refused form (the error is in the page as served).
    if (document.querySelector('[aria-invalid="true"]') || document.querySelector(ERROR_MESSAGE)) {
      focusFirstError(document);
    }
  });

  // A form swapped in place by htmx: look only inside what was swapped, so a filter
  // refused while the user types elsewhere does not steal the focus.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.querySelector && elt.querySelector('[aria-invalid="true"]')) {
      focusFirstError(elt);
    }
  });
})();
