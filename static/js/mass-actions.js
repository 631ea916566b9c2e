// Mass actions on the main view: "Select all N customers in this view" (SPEC A2).
// Without JavaScript the choice is always shown; with it, only once every row of the page
// is checked, as on the original product. The server re-evaluates the view's filters.
(function () {
  "use strict";
  var form = document.getElementById("customer-table-form");
  var banner = form && form.querySelector("[data-select-all]");
  if (!banner) return;
  var scope = banner.querySelector('input[name="scope"]');
  var total = parseInt(banner.getAttribute("data-total"), 10) || 0;

  var update = function (checked, onPage) {
    var wholePage = onPage > 0 && checked === onPage;
    banner.hidden = !(wholePage && total > onPage);
    if (!wholePage) scope.checked = false;
    banner.classList.toggle("is-selected", scope.checked);
  };
  var rows = form.querySelectorAll('input[type="checkbox"][name="ids"]');
  update(0, rows.length);
  form.addEventListener("selectionchange", function (event) {
    update(event.detail.checked, event.detail.total);
  });
  scope.addEventListener("change", function () {
    banner.classList.toggle("is-selected", scope.checked);
  });
})();
