// duizhao search page (search.html): queries the Pagefind index in pagefind/ beside
// assets/, entirely in the browser.  Loaded only by the search page.
//
// * The index holds every row's Chinese in Simplified characters (and its English), so
//   a query is folded to Simplified first with the table the build wrote beside the
//   index (pagefind/duizhao-fold.json): 蒸餾 and 蒸馏 find the same rows.
// * Pagefind finds articles; each article's matching rows are its "sub-results" (a
//   section a row: search.py record_html).  The rows of the best articles are listed,
//   the best rows first.  Each links to its row (articles/<slug>/index.html#p12), where
//   the row is highlighted as the target.  Its excerpt is shown in the script the row was
//   published in, or in Simplified when the reader chose 简 (the masthead's script
//   buttons set <html data-script>, which the results follow).
// * The query is kept in the address (?q=…), so Back from a result returns to it and
//   a search can be linked.  ↓ from the box moves into the results; ↑/↓ move between
//   them; Escape goes back to the box.
// * No request leaves the site: the index, Pagefind's script and its WebAssembly
//   module are all under pagefind/, found relative to this script.
(function () {
  "use strict";

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) return;

  var DEBOUNCE_MS = 200;
  var LIMIT = 50; // rows listed, from at most this many articles; the status gives the counts
  // Articles read at a time, best-ranked first, until LIMIT rows are found: an
  // article's index file holds all its text (5-22 KB, against under 1 KB a row when
  // rows were records), so a common word reads ten of them, not fifty.
  var BATCH = 10;
  var EXCERPT_WORDS = 40;
  var ROW_HEADING = /^\u00b6\s*/; // the ¶ before each row in the index (search.py ROW_HEADING)
  var bundle = new URL("../pagefind/", document.currentScript.src);
  var loading = null;
  var latest = 0;
  var timer = null;

  document.documentElement.classList.add("js");

  function load() {
    if (!loading) {
      var folding = fetch(new URL("duizhao-fold.json", bundle).href).then(function (response) {
        if (!response.ok) throw new Error("fold table: HTTP " + response.status);
        return response.json();
      });
      // A large archive is indexed in shards (search.py SHARD_BYTES): merged here
      // into the first, before the first search.
      var engine = Promise.all([import(new URL("pagefind.js", bundle).href), folding]).then(function (both) {
        var pagefind = both[0], shards = both[1].shards || [];
        // One after another: with the merges run at once, a CI run once found no results.
        return pagefind.options({ excerptLength: EXCERPT_WORDS }).then(function () {
          return shards.reduce(function (done, shard) {
            return done.then(function () { return pagefind.mergeIndex(new URL(shard, bundle).href); });
          }, Promise.resolve());
        }).then(function () {
          return pagefind.init();
        }).then(function () { return pagefind; });
      });
      var table = folding.then(function (data) {
        var map = new Map();
        var from = Array.from(data.from || ""), to = Array.from(data.to || "");
        from.forEach(function (c, i) { map.set(c, to[i]); });
        return map;
      });
      loading = Promise.all([engine, table]);
      loading.catch(function () { loading = null; }); // allow a retry after a failure
    }
    return loading;
  }

  function fold(text, map) {
    return Array.from(text, function (c) { return map.get(c) || c; }).join("");
  }

  // ---- Excerpts ------------------------------------------------------------
  // Pagefind's excerpt is HTML: the text with <mark> around matched words (and < >
  // escaped).  It is parsed, never inserted: only its text and its marks are kept.
  function pieces(html) {
    var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    var out = [];
    doc.body.firstChild.childNodes.forEach(function (node) {
      var marked = node.nodeName === "MARK";
      var text = node.textContent;
      if (text) out.push({ text: text, mark: marked });
    });
    return out;
  }

  // The same excerpt in the row's published script: the indexed Chinese is the row's
  // Chinese converted character by character, so the excerpt's place in it is its
  // place in the original.  Returns null where that does not hold (a phrase that
  // converts differently), and the Simplified excerpt is shown instead.
  function inOriginal(parts, row, map) {
    var zh = row.zh || "";
    var plain = parts.map(function (p) { return p.text; }).join("");
    var start = row.text.indexOf(plain);
    if (!zh || start < 0 || start >= zh.length) return null;
    var end = Math.min(start + plain.length, zh.length);
    if (fold(zh.slice(start, end), map) !== row.text.slice(start, end)) return null;
    var at = start;
    return parts.map(function (p) {
      var text = at >= zh.length ? p.text
        : zh.slice(at, Math.min(at + p.text.length, zh.length)) + p.text.slice(Math.max(0, zh.length - at));
      at += p.text.length;
      return { text: text, mark: p.mark };
    });
  }

  // Pagefind's words of an article, as its excerpts count them: its content is split
  // at zero-width spaces when it has them (a segmented language), else at spaces.
  function words(data) {
    var raw = data.raw_content || "";
    return raw.indexOf("\u200b") >= 0 ? { list: raw.split("\u200b"), joiner: "" }
      : { list: raw.split(/[\r\n\s]+/g), joiner: " " };
  }

  function text(html) {
    return pieces(html).map(function (p) { return p.text; }).join("");
  }

  // The rows of one article that match: its sub-results that start at a row's
  // heading, each with the row's indexed text (from the heading to the next one),
  // its Chinese as published and its score (the sum of its matched words' scores).
  function rows(data, rank) {
    var w = words(data);
    var starts = (data.anchors || []).filter(function (a) { return /^h\d$/i.test(a.element) && a.id; })
      .map(function (a) { return a.location; }).sort(function (a, b) { return a - b; });
    return (data.sub_results || []).filter(function (sub) { return sub.anchor && sub.anchor.id; })
      .map(function (sub) {
        var from = sub.anchor.location;
        var to = starts.filter(function (s) { return s > from; })[0];
        var score = (sub.weighted_locations || []).reduce(function (sum, l) { return sum + (l.balanced_score || 0); }, 0);
        return {
          data: data, rank: rank, at: from, score: score, anchor: sub.anchor.id, excerpt: sub.excerpt || "",
          text: text(w.list.slice(from, to).join(w.joiner)).replace(ROW_HEADING, ""),
          zh: (data.meta || {})["zh_" + sub.anchor.id] || ""
        };
      });
  }

  // Best rows first; between equal scores, the article Pagefind ranks higher, then
  // the row that comes first in it.
  function best(a, b) {
    return b.score - a.score || a.rank - b.rank || a.at - b.at;
  }

  function fill(element, parts) {
    element.textContent = "";
    parts.forEach(function (p) {
      if (p.mark) {
        var mark = document.createElement("mark");
        mark.textContent = p.text;
        element.appendChild(mark);
      } else {
        element.appendChild(document.createTextNode(p.text));
      }
    });
  }

  // What a result shows, in two forms: as published, and in Simplified (the form the
  // index has) for a reader who chose 简.  A text published in Simplified has one.
  function entry(row, map) {
    var parts = pieces(row.excerpt);
    if (parts.length && !parts[0].mark) {
      parts[0] = { text: parts[0].text.replace(ROW_HEADING, ""), mark: false };
      if (!parts[0].text) parts.shift();
    }
    var plain = parts.map(function (p) { return p.text; }).join("");
    var inChinese = /[\u3400-\u9fff\uf900-\ufaff]/.test(plain);
    var original = inChinese ? inOriginal(parts, row, map) : null;
    var meta = row.data.meta || {};
    var lang = meta.lang || "zh-Hant";
    var title = meta.title || "";
    return {
      row: row,
      title: { orig: title, hans: fold(title, map), lang: lang },
      excerpt: {
        orig: original || parts, hans: parts,
        lang: original ? lang : inChinese ? "zh-Hans" : "en", hansLang: inChinese ? "zh-Hans" : "en"
      },
      titleElement: null,
      excerptElement: null
    };
  }

  // The masthead's 原 / 繁 / 简 buttons set <html data-script>; results follow it.
  // Traditional is shown as published: the index cannot give a Simplified text in
  // Traditional characters.
  function paint(entries) {
    var hans = document.documentElement.getAttribute("data-script") === "hans";
    entries.forEach(function (e) {
      e.titleElement.textContent = hans ? e.title.hans : e.title.orig;
      e.titleElement.lang = hans && e.title.hans !== e.title.orig ? "zh-Hans" : e.title.lang;
      fill(e.excerptElement, hans ? e.excerpt.hans : e.excerpt.orig);
      e.excerptElement.lang = hans ? e.excerpt.hansLang : e.excerpt.lang;
    });
  }

  // ---- Results ---------------------------------------------------------------
  function item(e) {
    var data = e.row.data;
    var li = document.createElement("li");
    li.className = "search-result";
    var link = document.createElement("a");
    // Record URLs are from the site's top ("/articles/…"); this page is at the top.
    link.href = (data.raw_url || data.url).replace(/^\//, "") + "#" + e.row.anchor;
    e.titleElement = document.createElement("span");
    e.titleElement.className = "result-title";
    var anchor = document.createElement("span");
    anchor.className = "result-anchor";
    anchor.lang = "en";
    anchor.textContent = "¶ " + e.row.anchor;
    link.appendChild(e.titleElement);
    link.appendChild(document.createTextNode(" "));
    link.appendChild(anchor);
    var where = document.createElement("p");
    where.className = "result-meta";
    where.lang = "en";
    where.textContent = [data.meta.outlet, data.meta.date].filter(Boolean).join(" · ");
    var excerpt = document.createElement("p");
    excerpt.className = "result-excerpt";
    e.excerptElement = document.createElement("span");
    excerpt.appendChild(document.createTextNode("… "));
    excerpt.appendChild(e.excerptElement);
    excerpt.appendChild(document.createTextNode(" …"));
    li.appendChild(link);
    li.appendChild(where);
    li.appendChild(excerpt);
    return li;
  }

  var shown = [];
  new MutationObserver(function () { paint(shown); })
    .observe(document.documentElement, { attributes: true, attributeFilter: ["data-script"] });

  // ``found``: the matching rows of the first ``loaded`` of ``articles`` articles.
  function show(query, found, loaded, articles, map) {
    list.textContent = "";
    shown = found.slice(0, LIMIT).map(function (row) { return entry(row, map); });
    shown.forEach(function (e) { list.appendChild(item(e)); });
    paint(shown);
    list.hidden = shown.length === 0;
    var quoted = "“" + query + "”";
    var total = found.length;
    if (!total) status.textContent = "No paragraph matches " + quoted + ".";
    else if (loaded < articles) status.textContent = "Paragraphs of " + articles + " texts match " + quoted +
      "; the best " + shown.length + " paragraphs of the " + loaded + " best-ranked texts are listed.";
    else if (total > shown.length) status.textContent = total + " paragraphs match " + quoted + "; the best " + shown.length + " are listed.";
    else status.textContent = total + (total === 1 ? " paragraph matches " : " paragraphs match ") + quoted + ".";
  }

  function remember(query) {
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url.pathname + url.search);
  }

  function run(raw) {
    var query = raw.trim();
    var id = ++latest;
    window.clearTimeout(timer);
    remember(query);
    if (!query) {
      list.textContent = "";
      list.hidden = true;
      status.textContent = "";
      return;
    }
    if (!loading) status.textContent = "Loading the index…";
    load().then(function (loaded) {
      var pagefind = loaded[0], map = loaded[1];
      return pagefind.search(fold(query, map)).then(function (search) {
        if (id !== latest) return null;
        var results = search.results, found = [], loaded = 0;
        function more() {
          var batch = results.slice(loaded, Math.min(loaded + BATCH, LIMIT));
          return Promise.all(batch.map(function (r) { return r.data(); })).then(function (datas) {
            if (id !== latest) return null;
            datas.forEach(function (data, i) { found = found.concat(rows(data, loaded + i)); });
            loaded += batch.length;
            if (found.length < LIMIT && loaded < Math.min(results.length, LIMIT)) return more();
            show(query, found.sort(best), loaded, results.length, map);
            return null;
          });
        }
        return more();
      });
    }).catch(function (error) {
      if (id !== latest) return;
      list.textContent = "";
      list.hidden = true;
      status.textContent = "Search is unavailable here (" + (error && error.message || error) + "). " +
        "It needs the site served over http(s), not opened as files.";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run(input.value);
  });
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { run(input.value); }, DEBOUNCE_MS);
  });
  input.addEventListener("focus", function () { load().catch(function () {}); }, { once: true });

  // ---- Keyboard: ↓ into the results, ↑/↓ between them, Escape back to the box ----
  function links() {
    return Array.prototype.slice.call(list.querySelectorAll(".search-result > a"));
  }
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });
  list.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" && at + 1 < all.length) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (at > 0) all[at - 1].focus(); else input.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      input.focus();
    }
  });

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
