// Progressive enhancement of the search page: ticking a filter or changing the sort order updates
// the results in place, keeps focus where it was and announces the new count to screen readers.
// Without JavaScript the same form works as a plain GET form.
//
// Only the newest request may change the page: starting one aborts the one before, and a response
// that arrives after a newer request started is dropped. A response that is not a results page
// (an error status, another content type, a redirect, HTML without the results) changes nothing
// in place; the browser loads the same address instead, so the user sees the server's own page.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.DOMParser || !window.AbortController) return;

  var PARTS = ["results-area", "facet-panel"]; // replaced together, or not at all
  var latest = 0; // the number of the newest request
  var inFlight = null; // its AbortController
  var shown = addressOf(window.location.href); // the address whose results the page shows

  function addressOf(url) {
    var parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

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

  function setBusy(busy) {
    var results = document.getElementById("results-area");
    if (!results) return;
    if (busy) results.setAttribute("aria-busy", "true");
    else results.removeAttribute("aria-busy");
  }

  function isResultsPage(response) {
    var type = response.headers.get("Content-Type") || "";
    return response.ok && !response.redirected && type.indexOf("text/html") === 0;
  }

  // The parts of a fetched page to put in place of the current ones, or null if any is missing.
  function freshParts(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var parts = {};
    for (var i = 0; i < PARTS.length; i++) {
      var fresh = page.getElementById(PARTS[i]);
      if (!fresh || !document.getElementById(PARTS[i])) return null;
      parts[PARTS[i]] = fresh;
    }
    return { title: page.title, parts: parts };
  }

  function swap(fresh) {
    var focused = document.activeElement && document.activeElement.id;
    var opened = Array.prototype.map.call(document.querySelectorAll("#facet-panel details[open]"), function (details) {
      return details.closest("fieldset").id; // keep open the "more" lists the user opened
    });
    PARTS.forEach(function (id) { document.getElementById(id).replaceWith(fresh.parts[id]); });
    opened.forEach(function (id) {
      var details = document.getElementById(id) && document.getElementById(id).querySelector("details");
      if (details) details.open = true;
    });
    document.title = fresh.title;
    var again = focused && document.getElementById(focused);
    if (again) again.focus();
    var answer = document.getElementById("answer");
    announce(answer ? answer.textContent.trim() : "Results updated");
  }

  // Load the address as an ordinary page: the server's own result or error page, nothing half-swapped.
  function loadWholePage(url, push) {
    if (push) window.location.assign(url);
    else window.location.replace(url);
  }

  function load(url, push) {
    var number = ++latest;
    if (inFlight) inFlight.abort();
    var controller = new AbortController();
    inFlight = controller;
    setBusy(true);
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin", signal: controller.signal })
      .then(function (response) {
        if (!isResultsPage(response)) throw new Error("not a results page: " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (number !== latest) return; // a newer request has started; its response decides
        var fresh = freshParts(html);
        if (!fresh) throw new Error("the page holds no results");
        inFlight = null;
        swap(fresh);
        if (push) window.history.pushState({ search: true }, "", url);
        shown = addressOf(url);
      })
      .catch(function (error) {
        if (number !== latest) return;
        inFlight = null;
        if (error && error.name === "AbortError") { setBusy(false); return; } // stopped by the browser
        loadWholePage(url, push);
      });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || target.form !== form) return;
    if (target.type === "checkbox" || target.tagName === "SELECT") load(formUrl(), true);
  });

  window.addEventListener("popstate", function () {
    // Following or going back over a link within the page (#facet-panel) changes no results.
    if (addressOf(window.location.href) === shown && !inFlight) return;
    load(window.location.href, false);
  });
})();
