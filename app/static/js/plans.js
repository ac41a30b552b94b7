/* Quick editing of one account per row (client-only sections of a plan):
   the row's small form is sent in the background and the row shows the result
   (the new « compte utilisé », or the French message saying what is wrong).
   Without JavaScript the same form posts and the page comes back. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("quick-account") || !window.fetch) {
      return;
    }
    event.preventDefault();
    var message = form.querySelector(".quick-message");
    var row = form.closest("tr");
    form.classList.remove("has-error", "is-saved");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: {"X-Requested-With": "fetch"},
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    }).then(function (result) {
      message.textContent = result.data.message || "";
      if (result.data.ok) {
        form.classList.add("is-saved");
        form.querySelector("input[name=account]").value = result.data.value;
        var used = row && row.querySelector(".used-cell");
        if (used && result.data.used) { used.innerHTML = result.data.used; }
      } else {
        form.classList.add("has-error");
      }
    }).catch(function () {
      form.classList.add("has-error");
      message.textContent = form.getAttribute("data-error") || "Erreur réseau : rien n'a été enregistré.";
    });
  });
})();
