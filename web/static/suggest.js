// Completions under the search box as the user types (GET /api/suggest), and "/" to focus it.
// Progressive: without this script the box is a plain search form.
(function () {
  "use strict";

  var DELAY_MS = 120;

  function docUrl(base, id) {
    return base + id.split("/").map(encodeURIComponent).join("/");
  }

  function setUp(input) {
    var form = input.form;
    var api = input.getAttribute("data-suggest");
    var docBase = input.getAttribute("data-doc");
    var articleLabel = input.getAttribute("data-article-label") || "文章"; // in the page's language
    var countSuffix = input.getAttribute("data-count-suffix") || " 篇";
    var list = document.createElement("ul");
    var listId = input.id + "-completions";
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var pending = null; // the AbortController of the request in flight
    var cache = new Map();

    list.id = listId;
    list.className = "completions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("data-list-label") || "搜索建议");
    list.hidden = true;
    form.classList.add("has-completions");
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(completion) {
      if (completion.kind === "title" && completion.id) {
        window.location.href = docUrl(docBase, completion.id);
        return;
      }
      input.value = completion.text;
      close();
      form.submit();
    }

    // One entry per text: the server dedupes, this keeps the list honest whatever it is sent.
    function distinct(completions) {
      var seen = new Set();
      return completions.filter(function (completion) {
        var fresh = !seen.has(completion.text);
        seen.add(completion.text);
        return fresh;
      });
    }

    function show(completions) {
      completions = distinct(completions);
      items = completions;
      list.textContent = "";
      completions.forEach(function (completion, i) {
        var option = document.createElement("li");
        var text = document.createElement("span");
        var note = document.createElement("span");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "completion " + completion.kind;
        text.className = "text";
        text.textContent = completion.text;
        note.className = "note";
        note.textContent = completion.kind === "title" ? articleLabel : completion.documents + countSuffix;
        option.appendChild(text);
        option.appendChild(note);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
          choose(completion);
        });
        list.appendChild(option);
      });
      active = -1;
      list.hidden = completions.length === 0;
      input.setAttribute("aria-expanded", completions.length ? "true" : "false");
    }

    // Forget the request in flight: its answer is for text no longer in the box.
    function drop() {
      asked++;
      if (pending) {
        pending.abort();
        pending = null;
      }
    }

    function ask() {
      clearTimeout(timer);
      drop();
      var typed = input.value;
      if (!typed.trim()) {
        show([]);
        return;
      }
      if (cache.has(typed)) {
        show(cache.get(typed));
        return;
      }
      var ticket = asked;
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller;
      var options = { headers: { Accept: "application/json" } };
      if (controller) {
        options.signal = controller.signal;
      }
      fetch(api + "?q=" + encodeURIComponent(typed), options)
        .then(function (response) { return response.ok ? response.json() : { completions: [] }; })
        .then(function (body) {
          if (ticket !== asked) {
            return; // a newer keystroke asked since: this list is stale
          }
          pending = null;
          cache.set(typed, body.completions);
          if (input.value === typed && document.activeElement === input) {
            show(body.completions);
          }
        })
        .catch(function () {
          if (ticket === asked) {
            pending = null;
            show([]);
          }
        });
    }

    // A keystroke changed the box: the list on screen is for the old text, so it goes at once
    // (and the arrows and Enter no longer apply to it) until the new text's list arrives.
    function later() {
      clearTimeout(timer);
      drop();
      if (cache.has(input.value)) {
        show(cache.get(input.value));
        return;
      }
      show([]);
      timer = setTimeout(ask, DELAY_MS);
    }

    // While an input method composes (pinyin, zhuyin…), the box holds letters, not the query.
    input.addEventListener("input", function (event) {
      if (event.isComposing) {
        clearTimeout(timer);
        drop();
        show([]);
      } else {
        later();
      }
    });
    input.addEventListener("compositionend", later);
    input.addEventListener("keydown", function (event) {
      if (event.isComposing) {
        return; // Enter and the arrows belong to the input method
      }
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) {
          ask();
          return;
        }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        highlight(next < -1 ? items.length - 1 : next >= items.length ? -1 : next);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(items[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  function focusOnSlash(input) {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable;
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  function start() {
    var input = document.querySelector("input[data-suggest]");
    if (!input || !input.form || !window.fetch) {
      return;
    }
    setUp(input);
    focusOnSlash(input);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
