// The transaction list (progressive enhancement; the page as served already marks
// its invalid fields). htmx swaps only #results: after each answer, mark the filter
// fields it names as invalid (aria-invalid, red border, the message beside the
// field) and clear the marks of fields that are now valid.
(function () {
  "use strict";

  function field(name) {
    return document.getElementById("q-" + name) ||
      document.querySelector('[form="filters"][name="' + name + '"]');
  }

  function clear(form) {
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    form.querySelectorAll("small.error").forEach(function (el) { el.remove(); });
  }

  function mark(results) {
    var form = document.getElementById("filters");
    if (!form) { return; }
    clear(form);
    results.querySelectorAll("ul.field-errors li[data-field]").forEach(function (li) {
      var input = field(li.getAttribute("data-field"));
      if (!input) { return; }
      var id = (input.id || input.name) + "-err";
      var msg = document.createElement("small");
      msg.className = "error";
      msg.id = id;
      msg.textContent = li.textContent;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.insertAdjacentElement("afterend", msg);
    });
  }

  document.addEventListener("htmx:afterSettle", function () {
    var results = document.getElementById("results");
    if (results) { mark(results); }
  });
})();
