/* Live tracking.
 * [data-track-share] (staff visit page): sends the browser's position while on the way.
 * [data-track-map] (customer order page): draws the worker on a small map from the socket: a
 *   Leaflet map with the franchise's tiles when the page names them (data-tiles), else a grid.
 * Messages come translated in data-msg-* attributes with %(name)s placeholders. */
(function () {
  "use strict";

  function fill(text, params) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return params[key] == null ? "" : params[key]; });
  }
  function hhmm(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // --- the worker: share the position every few seconds ---------------------------------------
  var SEND_EVERY_MS = 5000;

  function startSharing(box) {
    var status = box.querySelector("[data-track-status]");
    var say = function (text) { if (status) status.textContent = text; };
    if (!("geolocation" in navigator)) { say(box.dataset.msgUnsupported); return; }
    var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var lastSent = 0, pending = null, watch = null, busy = false;

    function send(pos) {
      busy = true;
      lastSent = Date.now();
      fetch(box.dataset.endpoint, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy })
      }).then(function (r) {
        if (r.status === 409 || r.status === 404) { stop(); return null; }
        return r.ok ? r.json() : null;
      }).then(function (update) {
        if (update) {
          var minutes = update.eta_s == null ? "?" : Math.max(1, Math.round(update.eta_s / 60));
          say(fill(box.dataset.msgSent, { time: hhmm(new Date()), minutes: minutes }));
        }
      }).catch(function () { /* offline for a moment: the next reading tries again */ })
        .finally(function () { busy = false; });
    }

    function stop() {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
      say(box.dataset.msgStopped);
    }

    say(box.dataset.msgSharing);
    watch = navigator.geolocation.watchPosition(function (pos) {
      pending = pos;
      if (!busy && Date.now() - lastSent >= SEND_EVERY_MS) send(pos);
    }, function (err) {
      if (err.code === err.PERMISSION_DENIED) say(box.dataset.msgDenied);
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 });
    // A phone standing still reports rarely: repeat the last reading so the customer sees it is live.
    setInterval(function () {
      if (watch !== null && pending && !busy && Date.now() - lastSent >= SEND_EVERY_MS * 3) send(pending);
    }, SEND_EVERY_MS);
  }

  // --- the customer: the map ------------------------------------------------------------------
  var SVG = "http://www.w3.org/2000/svg";
  var W = 400, H = 300;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function niceMetres(m) {
    var steps = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
    for (var i = 0; i < steps.length; i++) if (steps[i] >= m) return steps[i];
    return steps[steps.length - 1];
  }
  function label(m) { return m >= 1000 ? (m / 1000) + " km" : m + " m"; }

  function MapView(box) {
    this.svg = box.querySelector("[data-track-svg]");
    this.home = box.dataset.lat ? [parseFloat(box.dataset.lat), parseFloat(box.dataset.lng)] : null;
    this.trail = [];
  }
  // Metres east/north of the centre: an equirectangular projection is exact enough for a city.
  MapView.prototype.xy = function (centre, p) {
    var k = Math.cos(centre[0] * Math.PI / 180);
    return [(p[1] - centre[1]) * 111320 * k, (p[0] - centre[0]) * 110540];
  };
  MapView.prototype.draw = function () {
    var svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var last = this.trail[this.trail.length - 1];
    var centre = this.home || last;
    if (!centre) return;
    var self = this;
    var pts = this.trail.map(function (p) { return self.xy(centre, p); });
    var reach = 300;
    pts.forEach(function (p) { reach = Math.max(reach, Math.abs(p[0]) * 1.25, Math.abs(p[1]) * 1.25 * W / H); });
    var perPx = reach / (W / 2 - 24);
    var px = function (p) { return [W / 2 + p[0] / perPx, H / 2 - p[1] / perPx]; };
    for (var g = 1; g < 4; g++) {
      el("line", { x1: g * W / 4, y1: 0, x2: g * W / 4, y2: H, class: "track__grid" }, svg);
      el("line", { x1: 0, y1: g * H / 4, x2: W, y2: g * H / 4, class: "track__grid" }, svg);
    }
    if (this.home) {
      el("path", { d: "M" + (W / 2) + " " + (H / 2 - 16) + " l12 11 h-4 v11 h-16 v-11 h-4 Z", class: "track__home" }, svg);
    }
    if (pts.length > 1) {
      el("polyline", { points: pts.map(function (p) { var q = px(p); return q[0].toFixed(1) + "," + q[1].toFixed(1); }).join(" "), class: "track__trail" }, svg);
    }
    if (pts.length) {
      var q = px(pts[pts.length - 1]);
      el("circle", { cx: q[0], cy: q[1], r: 18, class: "track__pulse" }, svg);
      el("circle", { cx: q[0], cy: q[1], r: 8, class: "track__worker" }, svg);
    }
    var metres = niceMetres(perPx * 80);
    var len = metres / perPx;
    el("line", { x1: 16, y1: H - 16, x2: 16 + len, y2: H - 16, class: "track__scale" }, svg);
    el("line", { x1: 16, y1: H - 21, x2: 16, y2: H - 11, class: "track__scale" }, svg);
    el("line", { x1: 16 + len, y1: H - 21, x2: 16 + len, y2: H - 11, class: "track__scale" }, svg);
    el("text", { x: 16, y: H - 26, class: "track__label" }, svg).textContent = label(metres);
  };

  // The same view on real map tiles (Leaflet, loaded by the page only when tiles are configured).
  // `offline` is called when no tile arrives (the tile server is out of reach): the grid takes over.
  function TileView(box, offline) {
    var L = window.L, self = this;
    var holder = box.querySelector("[data-track-tiles]"), svg = box.querySelector("[data-track-svg]");
    this.home = box.dataset.lat ? [parseFloat(box.dataset.lat), parseFloat(box.dataset.lng)] : null;
    this.trail = [];
    holder.hidden = false;
    svg.style.display = "none";
    this.map = L.map(holder, { zoomControl: true }).setView(this.home || [31.2304, 121.4737], this.home ? 15 : 11);
    var layer = L.tileLayer(box.dataset.tiles, {
      subdomains: box.dataset.tilesSubdomains || "abc",
      attribution: box.dataset.tilesAttribution || "",
      maxZoom: parseInt(box.dataset.tilesMaxZoom || "18", 10)
    }).addTo(this.map);
    var loaded = 0, failed = 0;
    layer.on("tileload", function () { loaded++; });
    layer.on("tileerror", function () {
      if (++failed < 4 || loaded || self.gone) return;
      self.gone = true;
      self.map.remove();
      holder.hidden = true;
      svg.style.display = "";
      offline();
    });
    if (this.home) L.marker(this.home, { icon: L.divIcon({ className: "track__house", iconSize: [18, 18] }), keyboard: false }).addTo(this.map);
    this.line = L.polyline([], { className: "track__trail" }).addTo(this.map);
    this.worker = null;
  }
  TileView.prototype.draw = function () {
    var L = window.L, last = this.trail[this.trail.length - 1];
    if (!last || this.gone) return;
    this.line.setLatLngs(this.trail);
    if (!this.worker) this.worker = L.marker(last, { icon: L.divIcon({ className: "track__dot", iconSize: [18, 18] }), keyboard: false }).addTo(this.map);
    this.worker.setLatLng(last);
    var points = this.home ? [this.home, last] : [last];
    this.map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 16 });
  };

  function startMap(box) {
    var view = box.dataset.tiles && window.L ? new TileView(box, function () {
      var grid = new MapView(box);
      grid.trail = view.trail;
      view = grid;
      view.draw();
    }) : new MapView(box);
    var status = box.querySelector("[data-track-status]");
    var eta = box.querySelector("[data-track-eta]");
    var say = function (text) { if (status) status.textContent = text; };
    var ended = false, delay = 1000;
    view.draw();

    function show(update) {
      if (update.type === "ended") {
        ended = true;
        say(box.dataset.msgEnded);
        if (eta) eta.textContent = "";
        return;
      }
      if (update.type === "waiting") { say(box.dataset.msgWaiting); return; }
      view.trail.push([update.lat, update.lng]);
      if (view.trail.length > 120) view.trail.shift();
      view.draw();
      if (update.distance_m != null) {
        var minutes = Math.max(1, Math.round(update.eta_s / 60));
        var distance = update.distance_m >= 1000 ? (update.distance_m / 1000).toFixed(1) + " km" : update.distance_m + " m";
        say(fill(box.dataset.msgPosition, { distance: distance, minutes: minutes }));
        if (eta) eta.textContent = fill(box.dataset.msgEta, { minutes: minutes });
      } else {
        say(fill(box.dataset.msgPositionPlain, { time: hhmm(new Date(update.at)) }));
      }
    }

    function connect() {
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + box.dataset.socket;
      var socket = new WebSocket(url);
      socket.onopen = function () { delay = 1000; };
      socket.onmessage = function (event) { show(JSON.parse(event.data)); };
      socket.onclose = function (event) {
        if (ended || event.code === 4403) return;
        say(box.dataset.msgOffline);
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  }

  function init() {
    document.querySelectorAll("[data-track-share]").forEach(startSharing);
    document.querySelectorAll("[data-track-map]").forEach(startMap);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
