// Guichet: the way back to the shop after an API payment (pages/pay_result.rs).
// The form posts the encrypted status to the shop; this sends it by itself after
// the few seconds its `data-autosubmit` gives. Without this script the customer
// presses the button.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("form[data-autosubmit]");
    if (!form) { return; }
    var seconds = parseInt(form.getAttribute("data-autosubmit"), 10) || 3;
    setTimeout(function () { form.submit(); }, seconds * 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
