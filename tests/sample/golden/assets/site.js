// duizhao: small conveniences only; every page works without this script.
//
// Clicking a ¶ link still jumps to its paragraph (the browser does that); this also
// copies the paragraph's full address, so it can be pasted into a citation.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.pilcrow") : null;
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    var url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      link.classList.add("copied");
      window.setTimeout(function () { link.classList.remove("copied"); }, 1500);
    }, function () {
      // Clipboard refused (permissions): the jump to the paragraph already happened.
    });
  });
})();
