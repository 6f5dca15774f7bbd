// duizhao: small conveniences only; every page works without this script.
//
// * Clicking a ¶ link still jumps to its paragraph (the browser does that); this also
//   copies the paragraph's full address, so it can be pasted into a citation.
// * Article pages: the ❝ button beside each language side opens a menu that copies a
//   link, a plain-text citation, BibTeX or CSL-JSON for that side.  What does not
//   change from paragraph to paragraph comes from the page's #cite-data JSON; the
//   quotation is read from the page when it is copied, so it is the text as shown.
// * Following #p12, #p12-zh or #p12-en-2 highlights the target and the other language
//   of its row.  A published anchor that no longer has a row (listed in
//   #anchor-aliases) leads to the row that took its place, with a notice saying so.
//   location.hash is only ever read, never written, so a text fragment (#:~:text=)
//   is left to the browser.
// * Editor's notes are open in the page as written.  On screens too narrow for the
//   margin column they are folded under their row; following a note's marker (or
//   any link to #n3) opens it.
/* Traditional / Simplified.  Chinese words are in the page once, as published; the
   page's #script-maps (a character table per script, made with OpenCC at build time)
   and each .sc element's data-hant / data-hans fixes (where a character converts
   otherwise in context) give exactly OpenCC's conversion: the same steps as
   convert_segments in render.py, and the tests hold both to OpenCC.  The reader's
   choice (set on <html data-script> by the inline script in <head>, before paint)
   is applied here; until then style.css keeps the .sc words hidden, so the other
   script never flashes. */
var duizhaoScripts = (function () {
  "use strict";
  var LANGS = { hant: "zh-Hant", hans: "zh-Hans" };
  var element = document.getElementById("script-maps");
  var maps = element ? JSON.parse(element.textContent) : { hant: {}, hans: {} };

  function textNodes(el) {
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  function original(el) {
    if (!el.duizhaoOriginal) el.duizhaoOriginal = textNodes(el).map(function (n) { return n.data; });
    return el.duizhaoOriginal;
  }

  // Offsets count code points (Array.from), as Python's str does.
  function convert(el, script) {
    var texts = original(el);
    if (!script) return texts.slice();
    var table = maps[script];
    var points = texts.map(function (text) {
      return Array.from(text).map(function (ch) { return Object.prototype.hasOwnProperty.call(table, ch) ? table[ch] : ch; });
    });
    JSON.parse(el.getAttribute("data-" + script) || "[]").forEach(function (fix) {
      var node = points[fix[0]];
      points[fix[0]] = node.slice(0, fix[1]).concat(Array.from(fix[3]), node.slice(fix[1] + fix[2]));
    });
    return points.map(function (p) { return p.join(""); });
  }

  function show(script) {
    document.querySelectorAll(".sc").forEach(function (el) {
      var texts = convert(el, script);
      textNodes(el).forEach(function (node, i) { if (node.data !== texts[i]) node.data = texts[i]; });
      if (script) el.setAttribute("lang", LANGS[script]); else el.removeAttribute("lang");
    });
    var root = document.documentElement;
    if (script) root.setAttribute("data-script", script); else root.removeAttribute("data-script");
    root.classList.add("sc-ready");
  }

  show(document.documentElement.getAttribute("data-script") || "");
  return { show: show, text: function (el, script) { return convert(el, script).join(""); } };
})();

(function () {
  "use strict";

  var ANCHOR = /^(p\d+)(?:-(zh|en)(?:-(\d+))?)?$/;
  // Parts of a paragraph that are interface or label, not the quoted words.
  var NOT_QUOTED = ".speaker, .missing, .pilcrow, .cite-button, .visually-hidden, [data-cite-skip]";
  var STATUS_MS = 3000;

  document.documentElement.classList.add("js");

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function readJSON(id) {
    var element = document.getElementById(id);
    if (!element) return null;
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null; // a damaged block only costs the feature, never the page
    }
  }

  var cite = readJSON("cite-data");
  var aliases = readJSON("anchor-aliases") || {};
  var menu = document.getElementById("cite-menu");
  var status = document.getElementById("cite-status");

  // ---- Clipboard -----------------------------------------------------------
  function fallbackCopy(text) {
    // For browsers without the async clipboard (plain http, older engines): select
    // the text in an off-screen textarea and ask for the legacy copy command.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "copy-buffer";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      document.body.removeChild(area);
      if (copied) resolve(); else reject(new Error("copy refused"));
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

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

  // ---- Citations -------------------------------------------------------------
  // A citation quotes what the reader sees: the page's text is in the chosen script.
  function quotedText(side) {
    var parts = [];
    side.querySelectorAll(".para").forEach(function (para) {
      var copy = para.cloneNode(true);
      copy.querySelectorAll(NOT_QUOTED).forEach(function (element) { element.remove(); });
      var text = copy.textContent.replace(/\s+/g, " ").trim();
      if (text) parts.push(text);
    });
    return parts.join(" ");
  }

  function both(zh, en, open, close) {
    return zh && en ? zh + " " + open + en + close : zh || en;
  }

  // Everything one citation says, gathered once so the four formats agree.
  function citationOf(sideId) {
    var side = document.getElementById(sideId);
    var row = side.closest(".row");
    var speakerId = row ? row.getAttribute("data-speaker") || "" : "";
    var people = own(cite.speakers, speakerId)
      ? [cite.speakers[speakerId]]
      : cite.authors.map(function (name) { return { name: name, name_zh: "" }; });
    var lang = side.getAttribute("lang") || "";
    return {
      anchor: sideId,
      url: cite.url + "#" + sideId,
      quote: quotedText(side),
      lang: lang,
      names: people.map(function (p) { return p.name; }),
      displayNames: people.map(function (p) {
        return p.name_zh && p.name_zh !== p.name ? p.name + " (" + p.name_zh + ")" : p.name;
      }),
      title: both(cite.title_zh, cite.title_en, "[", "]"),
      outlet: both(cite.outlet_zh, cite.outlet_en, "(", ")"),
      date: cite.date,
      archive: cite.archive,
      edition: cite.edition
    };
  }

  // Quotation marks of the quoted side's language.
  function quoted(c) {
    return c.lang === "en" ? "“" + c.quote + "”" : "「" + c.quote + "」";
  }

  function plainCitation(c) {
    var quote = quoted(c);
    var who = c.displayNames.length ? c.displayNames.join(", ") + ": " : "";
    var archive = c.archive + (c.edition ? ", edition " + c.edition : "");
    return who + quote + " In: " + c.title + ". " + c.outlet + ", " + c.date + ", ¶ " + c.anchor + ". "
      + archive + ". " + c.url;
  }

  function tex(text) {
    var map = { "\\": "\\textbackslash{}", "{": "\\{", "}": "\\}", "&": "\\&", "%": "\\%", "$": "\\$",
                "#": "\\#", "_": "\\_", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}" };
    return text.replace(/[\\{}&%$#_~^]/g, function (ch) { return map[ch]; });
  }

  function bibtex(c) {
    var parts = cite.date_parts;
    var fields = [];
    // Double braces keep a name whole: BibTeX would otherwise reorder "Kai-Fu Lee".
    if (c.names.length) {
      fields.push(["author", c.names.map(function (n) { return "{" + tex(n) + "}"; }).join(" and ")]);
    }
    fields.push(["title", tex(c.title) + ", ¶ " + c.anchor]);
    fields.push(["howpublished", tex(c.outlet)]);
    if (parts.length) fields.push(["year", String(parts[0])]);
    if (parts.length > 1) fields.push(["month", String(parts[1])]);
    fields.push(["date", c.date]);
    fields.push(["language", c.lang]);
    fields.push(["note", "Quoted: " + tex(quoted(c)) + ". " + tex(c.archive)
      + (c.edition ? ", edition " + tex(c.edition) : "")]);
    fields.push(["url", c.url]); // verbatim: the url field is not TeX-escaped
    var key = "duizhao:" + cite.slug + ":" + c.anchor;
    return "@misc{" + key + ",\n" + fields.map(function (f) {
      return "  " + f[0] + " = {" + f[1] + "}";
    }).join(",\n") + "\n}\n";
  }

  function cslJSON(c) {
    var item = {
      id: "duizhao:" + cite.slug + ":" + c.anchor,
      type: cite.kind === "interview" ? "interview" : "article-newspaper",
      title: c.title,
      author: c.names.map(function (n) { return { literal: n }; }),
      "container-title": c.outlet,
      issued: { "date-parts": [cite.date_parts] },
      language: c.lang,
      URL: c.url,
      archive: c.archive,
      archive_location: "¶ " + c.anchor,
      note: "Quoted: " + quoted(c)
    };
    if (c.edition) item.version = c.edition;
    return JSON.stringify([item], null, 2);
  }

  var FORMATS = {
    link: { label: "link", make: function (c) { return c.url; } },
    citation: { label: "citation", make: plainCitation },
    bibtex: { label: "BibTeX", make: bibtex },
    csl: { label: "CSL-JSON", make: cslJSON }
  };

  // ---- The cite menu ---------------------------------------------------------
  var opener = null; // the cite button whose menu is open
  var statusTimer = 0;

  function menuItems() {
    return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]"));
  }

  function openMenu(button, focusLast) {
    closeMenu(false);
    opener = button;
    button.setAttribute("aria-expanded", "true");
    menu.hidden = false;
    var box = button.getBoundingClientRect();
    var maxLeft = document.documentElement.clientWidth - menu.offsetWidth - 8;
    menu.style.top = (box.bottom + window.scrollY + 4) + "px";
    menu.style.left = (Math.max(8, Math.min(box.left, maxLeft)) + window.scrollX) + "px";
    var items = menuItems();
    items[focusLast ? items.length - 1 : 0].focus();
  }

  function closeMenu(refocus) {
    if (!opener) return;
    var button = opener;
    opener = null;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  function announce(message) {
    window.clearTimeout(statusTimer);
    status.textContent = message;
    status.classList.add("shown");
    statusTimer = window.setTimeout(function () {
      status.classList.remove("shown");
      status.textContent = "";
    }, STATUS_MS);
  }

  function copyFormat(kind, button) {
    var format = FORMATS[kind];
    var sideId = button.getAttribute("data-cite");
    var text = format.make(citationOf(sideId));
    closeMenu(true);
    copyText(text).then(function () {
      announce("Copied " + format.label + " for ¶ " + sideId);
    }, function () {
      announce("Could not copy: the browser refused access to the clipboard");
    }).then(function () { button.focus(); }); // the fallback's textarea took the focus
  }

  function moveFocus(step) {
    var items = menuItems();
    var at = items.indexOf(document.activeElement);
    items[(at + step + items.length) % items.length].focus();
  }

  // One button per quotable side, right after its ¶ link (tab order: link, then cite).
  function addCiteButtons() {
    var links = document.querySelectorAll(".side > .pilcrow--side");
    for (var i = 0; i < links.length; i++) {
      var id = links[i].parentNode.id;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cite-button";
      button.setAttribute("data-cite", id);
      button.setAttribute("aria-haspopup", "menu");
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", "cite-menu");
      button.setAttribute("aria-label", "Cite paragraph " + id);
      button.setAttribute("lang", "en");
      button.textContent = "❝";
      links[i].insertAdjacentElement("afterend", button);
    }
  }

  if (cite && menu && status) {
    addCiteButtons();
    document.addEventListener("click", function (event) {
      var button = event.target.closest(".cite-button");
      if (button) {
        if (opener === button) closeMenu(true); else openMenu(button, false);
        return;
      }
      var item = event.target.closest("#cite-menu [role=menuitem]");
      if (item && opener) {
        copyFormat(item.getAttribute("data-copy"), opener);
        return;
      }
      if (!event.target.closest("#cite-menu")) closeMenu(false);
    });

    document.addEventListener("keydown", function (event) {
      var button = event.target.closest ? event.target.closest(".cite-button") : null;
      if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
        event.preventDefault();
        openMenu(button, event.key === "ArrowUp");
        return;
      }
      if (!opener) return;
      if (event.key === "Escape") {
        event.preventDefault();
        closeMenu(true);
      } else if (menu.contains(event.target)) {
        if (event.key === "ArrowDown") { event.preventDefault(); moveFocus(1); }
        else if (event.key === "ArrowUp") { event.preventDefault(); moveFocus(-1); }
        else if (event.key === "Home") { event.preventDefault(); menuItems()[0].focus(); }
        else if (event.key === "End") { event.preventDefault(); menuItems()[menuItems().length - 1].focus(); }
        else if (event.key === "Tab") { event.preventDefault(); closeMenu(true); }
      }
    });
  }

  // ---- Editor's notes ----------------------------------------------------------
  // The width at which style.css gives notes a margin column.
  var WIDE = window.matchMedia ? window.matchMedia("(min-width: 75rem)") : null;

  function fitNotes() {
    var wide = !WIDE || WIDE.matches;
    document.querySelectorAll("details.note").forEach(function (note) {
      note.open = wide;
      // In the margin a note is always open: its summary is a label, not a control.
      var summary = note.querySelector("summary");
      if (summary) summary.tabIndex = wide ? -1 : 0;
    });
  }

  function openNote(id) {
    var note = document.getElementById(id);
    if (note && note.matches("details.note")) note.open = true;
    return note;
  }

  fitNotes();
  if (WIDE) {
    if (WIDE.addEventListener) WIDE.addEventListener("change", fitNotes);
    else if (WIDE.addListener) WIDE.addListener(fitNotes);
  }
  // Paper has no way to unfold a note: print them all, then fold them back.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.note").forEach(function (note) { note.open = true; });
  });
  window.addEventListener("afterprint", fitNotes);

  document.addEventListener("click", function (event) {
    var summary = event.target.closest ? event.target.closest("details.note > summary") : null;
    if (summary && WIDE && WIDE.matches) { event.preventDefault(); return; }
    var marker = event.target.closest ? event.target.closest(".note-ref a") : null;
    // Open before the jump, and also when the address already ends in this #n3
    // (then no hashchange follows).
    if (marker) openNote(marker.getAttribute("href").slice(1));
  });

  // ---- Targets and aliases ---------------------------------------------------
  function clearHighlight() {
    document.querySelectorAll(".is-target, .is-partner").forEach(function (element) {
      element.classList.remove("is-target", "is-partner");
    });
  }

  // The target, and every other language side of its row as its partner.
  function highlight(target) {
    clearHighlight();
    target.classList.add("is-target");
    var row = target.closest(".row");
    if (!row || row === target) return;
    row.querySelectorAll(".side").forEach(function (side) {
      if (!side.contains(target)) side.classList.add("is-partner");
    });
  }

  function removeNotice() {
    var old = document.getElementById("alias-notice");
    if (old) old.remove();
  }

  function showNotice(anchor, alias, row) {
    removeNotice();
    var notice = document.createElement("div");
    notice.id = "alias-notice";
    notice.className = "alias-notice";
    notice.setAttribute("role", "status");
    notice.lang = "en";
    var text = document.createElement("p");
    text.textContent = alias.kind === "merged"
      ? "¶ " + anchor + " was merged into ¶ " + alias.target + " in a later edition."
      : "¶ " + anchor + " was removed; it stood here.";
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "alias-dismiss";
    dismiss.setAttribute("aria-label", "Dismiss this notice");
    dismiss.textContent = "×";
    dismiss.addEventListener("click", removeNotice);
    notice.appendChild(text);
    notice.appendChild(dismiss);
    // A merged anchor's text is in the row; a removed one stood just after its target.
    row.parentNode.insertBefore(notice, alias.kind === "merged" ? row : row.nextSibling);
    return notice;
  }

  // The element for an alias's target, keeping the side (and paragraph) asked for
  // when the target row has it, else the nearest thing it has.
  function aliasTarget(target, side, number) {
    var ids = [];
    if (side && number) ids.push(target + "-" + side + "-" + number);
    if (side) ids.push(target + "-" + side);
    ids.push(target);
    for (var i = 0; i < ids.length; i++) {
      var element = document.getElementById(ids[i]);
      if (element) return element;
    }
    return null;
  }

  function fragmentId() {
    try {
      return decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return ""; // a malformed %-escape names nothing we know
    }
  }

  // A text fragment (#:~:text=…) is the browser's to resolve; Chromium hides the
  // directive from location.hash, but not from the navigation entry's URL.
  function arrivedWithTextFragment() {
    var entries = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation") : [];
    var url = entries.length ? entries[0].name : window.location.href;
    return url.indexOf(":~:") !== -1 || window.location.href.indexOf(":~:") !== -1;
  }

  function follow() {
    var id = fragmentId();
    removeNotice();
    if (!id) { clearHighlight(); return; }
    var element = document.getElementById(id);
    if (element && element.matches("details.note")) {
      // A note has no partner: light it alone, open, and in view once opened.
      clearHighlight();
      openNote(id);
      element.classList.add("is-target");
      element.scrollIntoView({ block: "nearest" });
      return;
    }
    if (element) {
      // The browser has scrolled there already; :target styles it, this adds the partner.
      if (element.closest(".rows")) highlight(element); else clearHighlight();
      return;
    }
    var match = ANCHOR.exec(id);
    if (!match || !own(aliases, match[1])) { clearHighlight(); return; }
    var alias = aliases[match[1]];
    var target = aliasTarget(alias.target, match[2], match[3]);
    if (!target) return;
    highlight(target);
    var row = target.closest(".row") || target;
    var notice = showNotice(match[1], alias, row);
    (alias.kind === "merged" ? notice : row).scrollIntoView({ block: "start" });
  }

  // A text fragment quoted in one script (say Simplified) must still find its
  // paragraph when this reader shows another.  The browser has already tried the
  // visible text; if the quoted words are only in a hidden script version, show that
  // script for this visit (not remembered) and bring the paragraph into view.
  function textDirective() {
    var entries = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation") : [];
    var url = entries.length ? entries[0].name : window.location.href;
    var match = /:~:text=([^&]*)/.exec(url);
    if (!match) return "";
    // prefix-,start,end,-suffix: the start is the first part that is not a prefix.
    var parts = match[1].split(",").filter(function (part) { return part.slice(-1) !== "-" && part[0] !== "-"; });
    try { return parts.length ? decodeURIComponent(parts[0]) : ""; } catch (e) { return ""; }
  }

  function resolveAcrossScripts() {
    var words = textDirective();
    if (!words || document.body.innerText.indexOf(words) !== -1) return;
    var texts = document.querySelectorAll(".sc");
    var scripts = ["", "hant", "hans"];
    for (var i = 0; i < texts.length; i++) {
      for (var s = 0; s < scripts.length; s++) {
        if (duizhaoScripts.text(texts[i], scripts[s]).indexOf(words) === -1) continue;
        duizhaoScripts.show(scripts[s]);  // for this visit: not remembered
        var side = texts[i].closest(".side") || texts[i];
        highlight(side);
        side.scrollIntoView({ block: "start" });
        return;
      }
    }
  }

  if (!arrivedWithTextFragment()) follow(); else resolveAcrossScripts();
  window.addEventListener("hashchange", follow);
})();

/* Three-way reading: checkboxes show or hide a translation's column.  Without the
   script every column stays visible (the fieldset is hidden until the script runs). */
(function () {
  var toggle = document.querySelector('.compare-toggle');
  if (!toggle) return;
  toggle.hidden = false;
  toggle.addEventListener('change', function (event) {
    var box = event.target;
    if (!box.matches('input[data-column]')) return;
    var cells = document.querySelectorAll('.compare [data-column="' + box.getAttribute('data-column') + '"]');
    for (var i = 0; i < cells.length; i++) {
      if (box.checked) cells[i].removeAttribute('data-hidden');
      else cells[i].setAttribute('data-hidden', '');
    }
  });
})();

/* The reader's choices of Chinese script and of languages shown: each a group of
   buttons, the choice shown by aria-pressed and remembered across pages
   (localStorage); the inline script in <head> applies both before paint.  On phones,
   where the pair is stacked, each row's English is folded under a button of its own
   (style.css shows those buttons only on narrow screens). */
(function () {
  var root = document.documentElement;

  // attribute: on <html> and on the group's buttons; returns the function that
  // updates aria-pressed, for choices made otherwise (following a link).
  function choiceGroup(group, attribute, key, apply) {
    group.hidden = false;
    function pressed() {
      var current = root.getAttribute(attribute) || "";
      group.querySelectorAll("button[" + attribute + "]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute(attribute) === current));
      });
    }
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button[" + attribute + "]");
      if (!button) return;
      var value = button.getAttribute(attribute);
      apply(value);
      try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); }
      catch (e) { /* private mode: the choice lasts for this page only */ }
      pressed();
    });
    pressed();
    return pressed;
  }

  var scripts = document.querySelector(".script-toggle");
  if (scripts) choiceGroup(scripts, "data-script", "duizhao-script", duizhaoScripts.show);

  var views = document.querySelector(".view-toggle");
  if (!views) return;
  var pressed = choiceGroup(views, "data-view", "duizhao-view", function (view) {
    if (view) root.setAttribute("data-view", view); else root.removeAttribute("data-view");
  });

  function setFolded(side, button, folded) {
    side.classList.toggle("is-folded", folded);
    button.setAttribute("aria-expanded", String(!folded));
  }
  document.querySelectorAll(".row").forEach(function (row) {
    var en = row.querySelector(":scope > .side--en");
    if (!en || !row.querySelector(":scope > .side--zh")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "en-fold";
    button.setAttribute("aria-controls", en.id);
    button.setAttribute("lang", "en");
    button.textContent = "English";
    en.insertAdjacentElement("beforebegin", button);
    setFolded(en, button, true);
    button.addEventListener("click", function () { setFolded(en, button, !en.classList.contains("is-folded")); });
  });

  // A link to an English side, or to a row, unfolds it and shows its language.
  function reveal() {
    var match = /^#(p\d+)(?:-(zh|en)(?:-\d+)?)?$/.exec(window.location.hash);
    if (!match) return;
    var row = document.getElementById(match[1]);
    if (!row) return;
    var en = row.querySelector(":scope > .side--en");
    var button = row.querySelector(":scope > .en-fold");
    if (en && button && match[2] !== "zh") setFolded(en, button, false);
    var view = root.getAttribute("data-view");
    if ((view === "zh" && match[2] === "en") || (view === "en" && match[2] === "zh")
        || (view === "en" && !en && row.querySelector(":scope > .side--zh"))) {
      root.removeAttribute("data-view");  // for this visit: not remembered
      pressed();
    }
  }
  reveal();
  window.addEventListener("hashchange", reveal);
})();

/* The archive index: filter the timeline by outlet, year, languages and kind.  The
   choice lives in the address (?outlet=…&kind=…), so Back and a shared link keep it. */
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  form.hidden = false;
  var status = document.getElementById("filter-status");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));

  function apply() {
    var shown = 0;
    document.querySelectorAll(".article-card").forEach(function (card) {
      var match = selects.every(function (s) { return !s.value || card.getAttribute("data-" + s.name) === s.value; });
      card.hidden = !match;
      if (match) shown += 1;
    });
    document.querySelectorAll(".timeline .year").forEach(function (year) {
      year.hidden = !year.querySelector(".article-card:not([hidden])");
    });
    status.textContent = shown === 1 ? "1 article" : shown + " articles";
  }

  function toAddress() {
    var query = new URLSearchParams();
    selects.forEach(function (s) { if (s.value) query.set(s.name, s.value); });
    var search = query.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  var params = new URLSearchParams(window.location.search);
  selects.forEach(function (s) {
    var wanted = params.get(s.name);
    if (wanted && s.querySelector('option[value="' + CSS.escape(wanted) + '"]')) s.value = wanted;
  });
  form.addEventListener("change", function () { apply(); toAddress(); });
  form.querySelector(".filter-reset").addEventListener("click", function () {
    selects.forEach(function (s) { s.value = ""; });
    apply();
    toAddress();
  });
  apply();
})();
