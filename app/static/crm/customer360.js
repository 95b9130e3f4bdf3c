/* Customer 360° page: the open tab comes with the page; every other tab fetches its rows
   (an HTML fragment from CustomerView.show_tab) the first time it is opened. */
(function () {
  "use strict";
  function load(pane) {
    var url = pane.getAttribute("data-crm-tab-url");
    if (!url || !pane.querySelector(".crm-tab-pending")) {
      return;
    }
    pane.removeAttribute("data-crm-tab-url");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        pane.innerHTML = html;
      })
      .catch(function () {
        pane.setAttribute("data-crm-tab-url", url); /* the link in the pane still works */
      });
  }
  document.querySelectorAll("#customer-tabs a[data-toggle='tab']").forEach(function (link) {
    link.addEventListener("click", function () {
      load(document.querySelector(link.getAttribute("href")));
    });
  });
})();
