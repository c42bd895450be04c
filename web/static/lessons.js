/* The lessons plugin's behaviour in the browser (extra_js_urls): "Copy as Markdown" on a
   lesson's page, and the briefing kept in this browser's localStorage (never on the
   server), exported by /-/briefing.md as the same Markdown as the TUI's briefing. */
(function () {
  "use strict";
  // Datasette 0.65's base template names no language; readers' screen readers and axe
  // need one. This runs in <head>, before the body is read.
  if (!document.documentElement.lang) document.documentElement.lang = "en-GB";
  var KEY = "lessons-briefing";

  function load() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(kept) ? kept.filter(function (l) { return l && l.id; }) : [];
    } catch (e) {
      return [];
    }
  }

  function save(lessons) {
    window.localStorage.setItem(KEY, JSON.stringify(lessons));
    showCount(lessons);
  }

  function showCount(lessons) {
    document.querySelectorAll(".kb-briefing-count").forEach(function (el) {
      el.textContent = String(lessons.length);
    });
  }

  function say(root, text) {
    var status = root.querySelector(".kb-status");
    if (status) status.textContent = text;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Served over plain http from another host: the clipboard API is not offered.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function lessonPage(article) {
    var id = article.dataset.id, title = article.dataset.title;
    var add = article.querySelector(".kb-add-briefing");
    function refresh() {
      var kept = load().some(function (l) { return l.id === id; });
      add.textContent = kept ? "Remove from briefing" : "Add to briefing";
      add.setAttribute("aria-pressed", kept ? "true" : "false");
    }
    add.addEventListener("click", function () {
      var lessons = load();
      var kept = lessons.some(function (l) { return l.id === id; });
      save(kept ? lessons.filter(function (l) { return l.id !== id; })
                : lessons.concat([{ id: id, title: title, url: window.location.pathname }]));
      refresh();
      say(article, kept ? "Removed from the briefing." : "Added to the briefing.");
    });
    refresh();
    var button = article.querySelector(".kb-copy");
    button.addEventListener("click", function () {
      var text = document.querySelector(button.dataset.markdownFrom).value;
      copy(text).then(function () { say(article, "Copied as Markdown."); },
                      function () { say(article, "Your browser refused to copy: select the text instead."); });
    });
  }

  function briefingPage(list) {
    var root = list.parentNode;
    var output = document.getElementById("kb-briefing-markdown");
    function draw() {
      var lessons = load();
      list.textContent = "";
      lessons.forEach(function (lesson) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = lesson.url || ("../lessons/lessons/" + encodeURIComponent(lesson.id));
        link.textContent = lesson.title || lesson.id;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + (lesson.title || lesson.id));
        remove.addEventListener("click", function () {
          save(load().filter(function (l) { return l.id !== lesson.id; }));
          draw();
        });
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(remove);
        list.appendChild(item);
      });
      root.querySelector(".kb-briefing-empty").hidden = lessons.length > 0;
      document.getElementById("kb-export").disabled = lessons.length === 0;
    }
    document.getElementById("kb-export").addEventListener("click", function (event) {
      var ids = load().map(function (l) { return "id=" + encodeURIComponent(l.id); });
      fetch(event.target.dataset.url + "?" + ids.join("&")).then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) throw new Error(text);
          return text;
        });
      }).then(function (markdown) {
        output.value = markdown;
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([markdown], { type: "text/markdown" }));
        link.download = "lessons-briefing-" + new Date().toISOString().slice(0, 10) + ".md";
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
        say(root, "Exported " + ids.length + " lessons as Markdown.");
      }).catch(function (error) { say(root, error.message); });
    });
    document.getElementById("kb-clear").addEventListener("click", function () {
      save([]);
      output.value = "";
      draw();
      say(root, "The briefing is empty.");
    });
    draw();
  }

  // Datasette 0.65's table filters are unlabelled: name them for screen readers.
  function labelFilters() {
    var names = { "_filter_column": "Filter column", "_filter_op": "Filter operator",
                  "_filter_value": "Filter value", "_sort": "Sort by" };
    document.querySelectorAll(".filters select, .filters input[type=text], #sort_by")
      .forEach(function (control) {
        var name = (control.name || "").replace(/_\d+$/, "");
        if (!control.getAttribute("aria-label") && names[name]) {
          control.setAttribute("aria-label", names[name]);
        }
      });
  }

  function printButtons() {
    document.querySelectorAll(".kb-print").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showCount(load());
    var article = document.getElementById("kb-lesson");
    if (article) lessonPage(article);
    var list = document.getElementById("kb-briefing-list");
    if (list) briefingPage(list);
    printButtons();
    labelFilters();
  });
})();
