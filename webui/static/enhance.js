// Progressive enhancement of the search page: ticking a filter or changing the sort order updates
// the results in place, keeps focus where it was and announces the new count to screen readers.
// Without JavaScript the same form works as a plain GET form.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.DOMParser) return;

  function formUrl() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      var isDefault = name === "sort" && value === "relevance";
      if (String(value).trim() !== "" && !isDefault) params.append(name, value);
    });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  function announce(text) {
    var status = document.getElementById("result-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function swap(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    ["results-area", "facet-panel"].forEach(function (id) {
      var fresh = page.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) current.replaceWith(fresh);
    });
    document.title = page.title;
    var answer = document.getElementById("answer");
    announce(answer ? answer.textContent.trim() : "Results updated");
  }

  function load(url, push) {
    var focused = document.activeElement && document.activeElement.id;
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        swap(html);
        if (push) window.history.pushState({ search: true }, "", url);
        var again = focused && document.getElementById(focused);
        if (again) again.focus();
      })
      .catch(function () { window.location.href = url; });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || target.form !== form) return;
    if (target.type === "checkbox" || target.tagName === "SELECT") load(formUrl(), true);
  });

  window.addEventListener("popstate", function () { load(window.location.href, false); });
})();
