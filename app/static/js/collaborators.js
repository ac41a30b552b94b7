/* « Collaborateurs » : the clients to follow can be filtered by name or dossier
   number, and the number of ticked clients follows the ticks. Without JavaScript
   the whole list is shown and works the same. */
(function () {
  "use strict";
  function setUp(picker) {
    var filter = picker.querySelector(".client-picker-filter");
    var count = picker.querySelector("[data-picker-count]");
    var items = picker.querySelectorAll(".client-picker-list li");
    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var wanted = filter.value.trim().toLowerCase();
        items.forEach(function (item) {
          item.hidden = wanted !== "" && item.getAttribute("data-search").indexOf(wanted) === -1;
        });
      });
      // Enter in the filter box must not submit the form.
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    }
    if (count) {
      picker.addEventListener("change", function () {
        count.textContent = picker.querySelectorAll("input[name=clients]:checked").length;
      });
    }
  }
  document.querySelectorAll("[data-client-picker]").forEach(setUp);
})();
