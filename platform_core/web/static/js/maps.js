/* Addresses and maps.
 * [data-region-picker]: the 省/市/区 text fields become three linked selects from the bundled
 *   data (data-regions); the district's code goes to [data-area-code].
 * [data-place-tips]: suggestions from the map provider while the street is typed; picking one
 *   fills the street, its hidden lat/lng and, when it names one, the district.
 * [data-place-map]: a Leaflet map with the franchise's tiles (data-tiles) where a marker is put
 *   or dragged to set hidden lat/lng inputs ([data-map-lat], [data-map-lng]).
 * Messages come translated in data-msg-* attributes with %(name)s placeholders. */
(function () {
  "use strict";

  var LEVELS = ["province", "city", "district"];
  var PLACEHOLDER_CITIES = { "市辖区": 1, "县": 1, "省直辖县级行政区划": 1, "自治区直辖县级行政区划": 1 };

  function fill(text, params) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return params[key] == null ? "" : params[key]; });
  }

  // A municipality's districts sit under placeholder cities (市辖区, 县): people see one city,
  // named like the province, as the server stores it.
  function normalise(tree) {
    return tree.map(function (p) {
      var cities = [], merged = null;
      (p.children || []).forEach(function (c) {
        if (PLACEHOLDER_CITIES[c.name]) {
          if (!merged) { merged = { code: c.code, name: p.name, children: [] }; cities.push(merged); }
          merged.children = merged.children.concat(c.children || []);
        } else {
          cities.push(c);
        }
      });
      return { code: p.code, name: p.name, children: cities };
    });
  }

  function startPicker(box) {
    var url = box.dataset.regions;
    if (!url) return;
    var inputs = {}, selects = {}, code = box.querySelector("[data-area-code]");
    LEVELS.forEach(function (level) { inputs[level] = box.querySelector('[data-level="' + level + '"]'); });
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : Promise.reject(r); }).then(function (raw) {
      var tree = normalise(raw);
      LEVELS.forEach(function (level) {
        var input = inputs[level], select = document.createElement("select");
        select.className = "select";
        select.id = input.id;
        select.required = true;
        if (input.getAttribute("aria-describedby")) select.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
        if (input.getAttribute("aria-invalid")) select.setAttribute("aria-invalid", input.getAttribute("aria-invalid"));
        input.removeAttribute("id");
        input.type = "hidden";
        input.parentNode.insertBefore(select, input);
        selects[level] = select;
      });

      function options(level, nodes, chosen) {
        var select = selects[level];
        select.innerHTML = "";
        var first = document.createElement("option");
        first.value = "";
        first.textContent = box.dataset["msg" + level.charAt(0).toUpperCase() + level.slice(1)];
        select.appendChild(first);
        nodes.forEach(function (node, i) {
          var option = document.createElement("option");
          option.value = String(i);
          option.textContent = node.name;
          if (chosen && (node.name === chosen || node.code === chosen)) option.selected = true;
          select.appendChild(option);
        });
        // One choice (a municipality's one city) is made for the customer.
        if (nodes.length === 1) select.options[1].selected = true;
        select.disabled = nodes.length === 0;
        select._nodes = nodes;
      }
      function picked(level) {
        var select = selects[level];
        return select.value === "" ? null : select._nodes[+select.value];
      }
      function sync() {
        var p = picked("province"), c = picked("city"), d = picked("district");
        inputs.province.value = p ? p.name : "";
        inputs.city.value = c ? c.name : "";
        inputs.district.value = d ? d.name : "";
        if (code) code.value = d ? d.code : "";
      }
      function cascade(level, chosen) {
        if (level === "city") options("city", (picked("province") || { children: [] }).children, chosen && chosen.city);
        if (level === "city" || level === "district") options("district", (picked("city") || { children: [] }).children, chosen && chosen.district);
        sync();
      }

      var start = { province: inputs.province.value, city: inputs.city.value, district: inputs.district.value };
      options("province", tree, start.province);
      cascade("city", start);
      function changed() {
        var form = box.closest("form");
        if (form) form.dispatchEvent(new CustomEvent("hearth:area", { detail: code ? code.value : "" }));
      }
      selects.province.addEventListener("change", function () { cascade("city"); changed(); });
      selects.city.addEventListener("change", function () { cascade("district"); changed(); });
      selects.district.addEventListener("change", function () { sync(); changed(); });

      // A picked suggestion names its district ("上海市浦东新区"): choose it in the selects.
      box.ownerDocument.addEventListener("hearth:place", function (event) {
        var text = event.detail || "";
        var p = tree.filter(function (n) { return text.indexOf(n.name) === 0; })[0];
        if (!p) return;
        var c = p.children.filter(function (n) { return n.name === p.name || text.indexOf(n.name) >= 0; })[0];
        var d = c && c.children.filter(function (n) { return text.indexOf(n.name) >= 0; })[0];
        if (!d) return;
        options("province", tree, p.name);
        cascade("city", { city: c.name, district: d.name });
      });
    }).catch(function () { /* no bundled data: the text fields stay */ });
  }

  function startTips(box) {
    var input = box.querySelector("[data-tips-input]"), list = box.querySelector("[data-tips-list]");
    var lat = box.querySelector("[data-tips-lat]"), lng = box.querySelector("[data-tips-lng]");
    var placed = box.querySelector("[data-tips-placed]");
    var timer = null, asked = 0, tips = [], active = -1;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      tips = [];
      active = -1;
    }
    function city() {
      var field = input.form && input.form.querySelector(box.dataset.tipsCity || '[name="city"]');
      return field ? field.value : "";
    }
    // Another district picked by hand: the place found before no longer holds.
    if (input.form) input.form.addEventListener("hearth:area", function () {
      lat.value = "";
      lng.value = "";
      placed.textContent = "";
    });
    function choose(tip) {
      input.value = tip.address && tip.address !== tip.name ? tip.address + " " + tip.name : tip.name;
      if (tip.lat != null && tip.lng != null) {
        lat.value = tip.lat;
        lng.value = tip.lng;
        placed.textContent = fill(box.dataset.msgLocated, { name: tip.district + tip.name });
      }
      close();
      input.ownerDocument.dispatchEvent(new CustomEvent("hearth:place", { detail: tip.district }));
      if (input.form) input.form.dispatchEvent(new CustomEvent("hearth:tip", { detail: tip }));
    }
    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (items[index]) input.setAttribute("aria-activedescendant", items[index].id);
    }
    function show(found) {
      close();
      tips = found;
      if (!tips.length) return;
      tips.forEach(function (tip, i) {
        var item = document.createElement("li");
        item.id = "street-tip-" + i;
        item.setAttribute("role", "option");
        item.className = "tips__item";
        var name = document.createElement("strong");
        name.textContent = tip.name;
        var where = document.createElement("span");
        where.className = "tips__where";
        where.textContent = tip.district + (tip.address ? " " + tip.address : "");
        item.appendChild(name);
        item.appendChild(where);
        // mousedown, not click: the input's blur would close the list first.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(tip); });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function ask() {
      var text = input.value.trim(), mine = ++asked;
      if (text.length < 2) { close(); return; }
      var url = box.dataset.placeTips + "?q=" + encodeURIComponent(text) + "&city=" + encodeURIComponent(city());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) { if (mine === asked) show(found); })
        .catch(close);
    }
    input.addEventListener("input", function () {
      // Typed by hand: the server places the address again.
      lat.value = "";
      lng.value = "";
      placed.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, tips.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(tips[active]); }
      else if (event.key === "Escape") close();
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // --- a map to put a place on ----------------------------------------------------------------
  function startPlaceMap(box) {
    if (!window.L || !box.dataset.tiles) return;
    var form = box.closest("form") || document;
    var lat = form.querySelector("[data-map-lat]"), lng = form.querySelector("[data-map-lng]");
    var view = box.querySelector("[data-map-view]");
    var start = lat.value && lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : null;
    var centre = start || [parseFloat(box.dataset.lat || "31.2304"), parseFloat(box.dataset.lng || "121.4737")];
    var map = window.L.map(view, { attributionControl: true }).setView(centre, start ? 15 : 11);
    window.L.tileLayer(box.dataset.tiles, {
      subdomains: box.dataset.tilesSubdomains || "abc",
      attribution: box.dataset.tilesAttribution || "",
      maxZoom: parseInt(box.dataset.tilesMaxZoom || "18", 10)
    }).addTo(map);
    var marker = null;
    function put(latlng, pan) {
      if (!marker) {
        marker = window.L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () { put(marker.getLatLng(), false); });
      }
      marker.setLatLng(latlng);
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 15));
      box.dispatchEvent(new CustomEvent("hearth:placed", { bubbles: true }));
    }
    if (start) put(window.L.latLng(start[0], start[1]), false);
    map.on("click", function (event) { put(event.latlng, false); });
    form.addEventListener("hearth:area", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
    });
    // A suggestion picked in the same form moves the marker there.
    form.addEventListener("hearth:tip", function (event) {
      if (event.detail && event.detail.lat != null) put(window.L.latLng(event.detail.lat, event.detail.lng), true);
    });
    box.hidden = false;
    map.invalidateSize();
  }

  function init() {
    document.querySelectorAll("[data-region-picker]").forEach(startPicker);
    document.querySelectorAll("[data-place-tips]").forEach(startTips);
    document.querySelectorAll("[data-place-map]").forEach(startPlaceMap);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
