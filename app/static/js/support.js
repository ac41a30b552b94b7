/* « Contacter le support »: the button opens the panel in a modal instead of
   following its link to /support/ (kept for browsers without JavaScript, and for
   a click that asks for a new tab). Loaded with `defer`, after jQuery and Bootstrap. */
(function () {
  "use strict";
  var button = document.getElementById("support-button");
  var modal = document.getElementById("support-modal");
  if (!button) {
    return;
  }
  compactWhileScrolling(button);
  if (!modal || !window.jQuery || !window.jQuery.fn.modal) {
    return;
  }
  var $modal = window.jQuery(modal);
  var subject = modal.querySelector("input[name=subject]");
  var page = modal.querySelector("input[name=page]");

  // An error page is rendered without its URL (it must read the same for any URL):
  // the browser knows where the user is.
  if (page && !page.value) {
    page.value = (window.location.pathname + window.location.search).slice(0, 500);
  }

  button.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    $modal.modal("show");
  });

  $modal.on("shown.bs.modal", function () {
    if (subject) {
      subject.focus();
    }
  });
  $modal.on("hidden.bs.modal", function () {
    button.focus();
  });

  // The button floats over the page: once the page is scrolled, lines pass under it, so
  // it keeps only its icon (support.css, `is-compact`) until the end of the page, where
  // the body's bottom padding leaves it room for its label (as at the top, where it must
  // be seen).
  function compactWhileScrolling(element) {
    var END_MARGIN = 2;  // px: a zoomed page may stop a fraction of a pixel short of its end
    var pending = false;
    function update() {
      pending = false;
      var root = document.documentElement;
      var top = window.pageYOffset || root.scrollTop;
      var atEnd = top + window.innerHeight >= root.scrollHeight - END_MARGIN;
      element.classList.toggle("is-compact", top > 0 && !atEnd);
    }
    function schedule() {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(update);
      }
    }
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    update();
  }
})();
