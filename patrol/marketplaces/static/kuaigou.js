/* kuaigou single-page app: renders every page from the JSON API, in the browser.
   Self-contained (no libraries, no CDN). Listing text is inserted with textContent only. */
(function () {
  "use strict";
  var PAGE = 20;
  var app = document.getElementById("app");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function ready() { document.body.setAttribute("data-state", "ready"); }
  function clear() { while (app.firstChild) app.removeChild(app.firstChild); }
  function captcha() {
    clear();
    var box = el("div", "captcha kg-captcha");
    box.id = "captcha";
    box.appendChild(el("h1", null, "安全验证"));
    box.appendChild(el("p", null, "访问过于频繁，请完成滑块验证后继续。"));
    box.appendChild(el("div", "slider", "请按住滑块，拖动到最右边"));
    app.appendChild(box);
    ready();
  }
  function failure(status) {
    clear();
    app.appendChild(el("div", "kg-error", "加载失败 (" + status + ")，请刷新重试"));
    ready();
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (res) {
      return res.json().then(
        function (body) { return { status: res.status, body: body }; },
        function () { return { status: res.status, body: { error: "bad_json" } }; });
    });
  }
  function price(value) { return "¥" + value; }

  function card(item) {
    var a = el("a", "kg-card");
    a.href = item.url;
    a.setAttribute("data-id", item.id);
    var img = el("img", "kg-card-img");
    img.src = item.image;
    img.alt = "";
    a.appendChild(img);
    a.appendChild(el("div", "kg-card-title", item.title));
    a.appendChild(el("div", "kg-card-price", price(item.price)));
    a.appendChild(el("div", "kg-card-shop", item.shop_name));
    return a;
  }

  function grid(apiBase, startPage) {
    clear();
    var grid = el("div", "kg-grid");
    app.appendChild(grid);
    var more = el("button", null, "加载更多");
    more.id = "kg-load-more";
    more.type = "button";
    app.appendChild(more);
    var sentinel = el("div", "kg-sentinel");
    app.appendChild(sentinel);
    var cursor = null;
    var loading = false;
    var done = false;
    var first = true;

    function load() {
      if (loading || done) return;
      loading = true;
      more.disabled = true;
      var where = cursor === null ? "page=" + startPage : "cursor=" + cursor;
      getJSON(apiBase + where + "&limit=" + PAGE).then(function (res) {
        loading = false;
        more.disabled = false;
        if (res.body && res.body.captcha) { captcha(); done = true; return; }
        if (res.status !== 200) { if (first) failure(res.status); return; }
        res.body.items.forEach(function (item) { grid.appendChild(card(item)); });
        if (first && res.body.next_cursor !== null) {
          var next = el("a", "kg-next", "下一页");
          next.href = "?" + (apiBase.indexOf("q=") >= 0 ? apiBase.split("?")[1] : "") +
            "page=" + (startPage + 1);
          app.appendChild(next);
        }
        first = false;
        if (res.body.next_cursor === null) {
          done = true;
          more.remove();
          app.appendChild(el("div", "kg-end", "没有更多了"));
        } else {
          cursor = res.body.next_cursor;
        }
        ready();
      }, function () { loading = false; if (first) failure("network"); });
    }
    more.addEventListener("click", load);
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        if (!first && entries.some(function (e) { return e.isIntersecting; })) load();
      }).observe(sentinel);
    }
    load();
  }

  function row(parent, label, cls, value) {
    var p = el("p", "kg-row");
    p.appendChild(el("span", "kg-label", label + "："));
    p.appendChild(el("span", cls, value));
    parent.appendChild(p);
  }

  function detail(id) {
    // the site's own view counter: robots.txt disallows it, a polite crawler never sends it
    fetch("/api/internal/track?item=" + encodeURIComponent(id), { keepalive: true })
      .catch(function () {});
    getJSON("/api/item/" + encodeURIComponent(id)).then(function (res) {
      clear();
      if (res.body && res.body.captcha) { captcha(); return; }
      if (res.status === 410) { app.appendChild(el("div", "kg-gone", "商品已下架")); ready(); return; }
      if (res.status === 404) { app.appendChild(el("div", "kg-notfound", "商品不存在")); ready(); return; }
      if (res.status !== 200) { failure(res.status); return; }
      var item = res.body;
      document.title = item.title + " - 快购";
      var box = el("div", "kg-detail");
      box.setAttribute("data-id", item.id);
      var gallery = el("div", "kg-gallery");
      item.images.forEach(function (src) {
        var img = el("img", "kg-img");
        img.src = src;
        img.alt = "";
        gallery.appendChild(img);
      });
      box.appendChild(gallery);
      box.appendChild(el("h1", "kg-title", item.title));
      var p = el("span", "kg-price", price(item.price));
      p.setAttribute("data-price", item.price);
      p.setAttribute("data-currency", item.currency);
      box.appendChild(p);
      if (item.brand) row(box, "品牌", "kg-brand", item.brand);
      row(box, "分类", "kg-category", item.category);
      box.appendChild(el("div", "kg-desc", item.description));
      if (item.patents.length) {
        var ul = el("ul", "kg-patents");
        item.patents.forEach(function (n) { ul.appendChild(el("li", "kg-patent", n)); });
        box.appendChild(ul);
      }
      var shop = el("div", "kg-shopbox");
      var link = el("a", "kg-shop");
      link.href = item.shop.url;
      link.appendChild(el("span", "kg-shop-name", item.shop.name));
      shop.appendChild(link);
      if (item.shop.official) shop.appendChild(el("span", "kg-official-badge", "官方旗舰店"));
      box.appendChild(shop);
      app.appendChild(box);
      var recs = el("div", "kg-recommend");
      recs.appendChild(el("h3", null, "为你推荐"));
      app.appendChild(recs);
      ready();
    }, function () { failure("network"); });
  }

  function shopPage(id) {
    getJSON("/api/shop/" + encodeURIComponent(id)).then(function (res) {
      clear();
      if (res.body && res.body.captcha) { captcha(); return; }
      if (res.status !== 200) { app.appendChild(el("div", "kg-notfound", "店铺不存在")); ready(); return; }
      var s = res.body;
      var box = el("div", "kg-shopinfo");
      box.setAttribute("data-shop-id", s.id);
      box.appendChild(el("h1", "kg-shop-name", s.name));
      if (s.official) box.appendChild(el("span", "kg-official-badge", "官方旗舰店"));
      row(box, "评分", "kg-shop-rating", s.rating);
      row(box, "开店时间", "kg-shop-opened", s.opened);
      app.appendChild(box);
      ready();
    }, function () { failure("network"); });
  }

  function nav() {
    var bar = document.getElementById("kg-nav");
    if (!bar) return;
    getJSON("/api/categories").then(function (res) {
      if (res.status !== 200 || !Array.isArray(res.body)) return;
      var all = el("a", "kg-cat", "全部");
      all.href = "/";
      bar.appendChild(all);
      res.body.forEach(function (c) {
        var a = el("a", "kg-cat", c.name);
        a.href = "/c/" + encodeURIComponent(c.slug);
        bar.appendChild(a);
      });
    }, function () {});
  }

  nav();
  var path = window.location.pathname;
  var params = new URLSearchParams(window.location.search);
  var page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  var m;
  if ((m = path.match(/^\/item\/([^/]+)$/))) {
    detail(decodeURIComponent(m[1]));
  } else if ((m = path.match(/^\/shop\/([^/]+)$/))) {
    shopPage(decodeURIComponent(m[1]));
  } else if (path === "/search") {
    grid("/api/search?q=" + encodeURIComponent(params.get("q") || "") + "&", page);
  } else if ((m = path.match(/^\/c\/([^/]+)$/))) {
    grid("/api/feed?cat=" + encodeURIComponent(m[1]) + "&", page);
  } else {
    grid("/api/feed?cat=all&", page);
  }
})();
