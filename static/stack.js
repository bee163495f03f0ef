// The stacked list for shared tables whose cells carry no data-label: inside a
// `.stack-cols` wrapper, each cell gets its column's header text as data-label and
// the table the `stack` class (app.css turns it into cards on phones). Without
// JavaScript the table stays a table that scrolls inside its own box.
(function () {
  function label(root) {
    root.querySelectorAll('.stack-cols table.grid').forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll('tbody tr').forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (i === 0) { td.classList.add('lead'); return; }
          if (heads[i] && !td.hasAttribute('data-label')) { td.setAttribute('data-label', heads[i]); }
        });
      });
      table.classList.add('stack');
      var wrap = table.closest('.table-wrap');
      if (wrap) { wrap.classList.add('stack-wrap'); }
    });
  }
  document.addEventListener('DOMContentLoaded', function () { label(document); });
  document.addEventListener('htmx:afterSwap', function (e) { label(e.target); });
})();
