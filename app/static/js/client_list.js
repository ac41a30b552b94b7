/* Client list: selection count, select-all, and continuous scrolling. No framework. */
(function () {
  "use strict";
  var table = document.getElementById("client-rows");
  var bulkCount = document.getElementById("bulk-count");
  var selectAll = document.getElementById("select-all");

  function checkboxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[name=rowid]"));
  }
  function refreshSelection() {
    var checked = checkboxes().filter(function (box) { return box.checked; }).length;
    if (bulkCount) {
      bulkCount.textContent = checked === 0 ? "Aucune ligne sélectionnée"
        : checked === 1 ? "1 ligne sélectionnée" : checked + " lignes sélectionnées";
    }
    document.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = checked === 0;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target === selectAll) {
      checkboxes().forEach(function (box) { box.checked = selectAll.checked; });
    }
    if (event.target === selectAll || event.target.name === "rowid") { refreshSelection(); }
  });
  refreshSelection();

  // Continuous scrolling: a sentinel row carries the URL of the next rows.
  if (!table || !("IntersectionObserver" in window)) { return; }
  var loading = false;
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { loadMore(entry.target); }
    });
  }, { rootMargin: "400px" });

  function watch() {
    var sentinel = table.querySelector("tr.load-more");
    if (sentinel) { observer.observe(sentinel); }
  }
  function loadMore(sentinel) {
    if (loading) { return; }
    loading = true;
    observer.unobserve(sentinel);
    fetch(sentinel.getAttribute("data-next"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        sentinel.insertAdjacentHTML("afterend", html);
        sentinel.parentNode.removeChild(sentinel);
        loading = false;
        refreshSelection();
        watch();
      })
      .catch(function () {
        sentinel.querySelector("td").textContent = "Impossible de charger la suite : rechargez la page.";
        loading = false;
      });
  }
  watch();
})();
