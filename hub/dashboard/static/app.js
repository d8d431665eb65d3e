/* fiscalhub dashboard: forms sent to the account API, its field errors shown next to the
   fields, rows added and removed in editors, and the live feed (server-sent events).
   No framework and nothing from another site: the back office may be offline. */
"use strict";

(function () {
  const texts = JSON.parse((document.getElementById("i18n") || {}).textContent || "{}");
  const t = (s) => texts[s] || s;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  /* ---- money: exact decimals, half-up to kopecks, as the hub computes it (never floats) ---- */
  // "1 234,50" → {units: 123450n, scale: 2}; null when it is not a number
  function parseDecimal(text) {
    const m = String(text).replace(/\s/g, "").replace(",", ".").match(/^(-?)(\d*)(?:\.(\d*))?$/);
    if (!m || (m[2] === "" && !m[3])) return null;
    const frac = m[3] || "";
    const units = BigInt((m[2] || "0") + frac) * (m[1] ? -1n : 1n);
    return { units, scale: frac.length };
  }

  function roundHalfUp(units, scale, places) {
    if (scale <= places) return units * 10n ** BigInt(places - scale);
    const div = 10n ** BigInt(scale - places);
    const sign = units < 0n ? -1n : 1n;
    const abs = units * sign;
    return sign * ((abs + div / 2n) / div);
  }

  function kopecks(units) {
    const sign = units < 0n ? "-" : "";
    const abs = (units < 0n ? -units : units).toString().padStart(3, "0");
    return `${sign}${abs.slice(0, -2)}.${abs.slice(-2)}`;
  }

  const money = {
    // price × quantity, half-up to kopecks, as a string ("" when either is not a number)
    times(a, b) {
      const x = parseDecimal(a), y = parseDecimal(b);
      if (!x || !y) return "";
      return kopecks(roundHalfUp(x.units * y.units, x.scale + y.scale, 2));
    },
    // the sum of money strings (blank ones count as nothing)
    sum(values) {
      let total = 0n;
      values.forEach((v) => { const d = parseDecimal(v); if (d) total += roundHalfUp(d.units, d.scale, 2); });
      return kopecks(total);
    },
  };
  window.fiscalhub = { money };

  /* ---- the JSON body of a form: names are paths ("items.0.price") ---- */
  function setPath(obj, path, value) {
    const parts = path.split(".");
    let node = obj;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]);
      if (last) { node[part] = value; return; }
      if (node[part] === undefined) node[part] = nextIsIndex ? [] : {};
      node = node[part];
    });
  }

  function compact(value) {
    if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
    if (value && typeof value === "object") {
      Object.keys(value).forEach((k) => { value[k] = compact(value[k]); });
    }
    return value;
  }

  function fieldValue(el) {
    const kind = el.dataset.kind || "";
    if (el.type === "checkbox" && kind === "bool") return el.checked;
    if (el.type === "checkbox") return el.checked ? el.value : undefined;
    if (el.type === "radio") return el.checked ? el.value : undefined;
    if (el.multiple) return Array.from(el.selectedOptions).map((o) => o.value);
    const raw = el.value;
    if (raw.trim() === "") return kind === "null" ? null : undefined;
    if (kind === "int") return /^-?\d+$/.test(raw.trim()) ? parseInt(raw, 10) : raw;
    if (kind === "list") return raw.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    if (kind === "json") { try { return JSON.parse(raw); } catch (e) { return raw; } }
    return raw;
  }

  function formBody(form) {
    const body = {};
    const many = {};        // checkboxes of kind "many": the ticked values, as one list
    Array.from(form.elements).forEach((el) => {
      if (!el.name || el.disabled || el.closest("template") || el.dataset.skip !== undefined) return;
      if (el.tagName === "BUTTON" || el.type === "submit") return;
      if (el.dataset.kind === "many") {
        many[el.name] = many[el.name] || [];
        if (el.checked) many[el.name].push(el.value);
        return;
      }
      const value = fieldValue(el);
      if (value !== undefined) setPath(body, el.name, value);
    });
    Object.entries(many).forEach(([name, values]) => setPath(body, name, values));
    return compact(body);
  }

  /* ---- the API's field errors, next to the fields ---- */
  function flatten(errors, prefix, out) {
    if (Array.isArray(errors)) {
      if (errors.every((e) => typeof e === "string")) { out.push([prefix, errors.join(" ")]); return out; }
      errors.forEach((e, i) => flatten(e, prefix ? prefix + "." + i : String(i), out));
      return out;
    }
    if (errors && typeof errors === "object") {
      Object.keys(errors).forEach((k) => {
        const key = k === "_schema" ? "" : k;
        flatten(errors[k], prefix && key ? prefix + "." + key : (prefix || key), out);
      });
      return out;
    }
    out.push([prefix, String(errors)]);
    return out;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach((p) => { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const box = form.querySelector(".form-error");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  function showErrors(form, answer) {
    const prefix = form.dataset.errorPrefix || "";
    const unplaced = [];
    let first = null;
    flatten(answer.errors || {}, "", []).forEach(([path, message]) => {
      let p = prefix && path.startsWith(prefix + ".") ? path.slice(prefix.length + 1) : path;
      let slot = null;
      while (p !== null) {
        slot = form.querySelector(`[data-error-for="${CSS.escape(p)}"]`);
        if (slot || !p) break;
        p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "";
      }
      if (!slot || !p) { unplaced.push(path ? `${path}: ${message}` : message); return; }
      slot.textContent = (slot.textContent ? slot.textContent + " " : "") + message;
      slot.hidden = false;
      const input = form.querySelector(`[name="${CSS.escape(p)}"]`);
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    const box = form.querySelector(".form-error");
    if (box) {
      box.textContent = [answer.message || t("The request was refused")].concat(unplaced).join(" — ");
      box.hidden = false;
    }
    const target = first || box;
    if (target) target.focus();
  }

  function toLogin(reason) {
    const login = document.body.dataset.login || "/login";
    const next = location.pathname + location.search;
    location.href = `${login}?ended=${encodeURIComponent(reason || "unknown")}&next=${encodeURIComponent(next)}`;
  }

  async function send(form) {
    const method = (form.dataset.method || "POST").toUpperCase();
    const headers = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "DELETE") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(formBody(form));
    }
    const resp = await fetch(form.dataset.api, init);
    let answer = {};
    try { answer = await resp.json(); } catch (e) { answer = {}; }
    return { status: resp.status, answer };
  }

  function done(form, answer) {
    const then = form.dataset.then || "reload";
    if (then === "reload") { location.reload(); return; }
    if (then === "back") { history.back(); return; }
    if (then.startsWith("redirect:")) {
      location.href = then.slice(9).replace(/\{(\w+)\}/g, (m, k) => encodeURIComponent(answer[k] || ""));
      return;
    }
    if (then === "secret") {
      const box = document.getElementById(form.dataset.secretBox || "secret-box");
      if (box) {
        box.querySelector("[data-secret]").value = answer[form.dataset.secretField || "key"] || "";
        box.hidden = false;
        box.querySelector("[data-secret]").focus();
      }
      form.reset();
      return;
    }
    if (then === "message") {
      const box = form.querySelector(".form-ok");
      if (box) { box.textContent = t("Done"); box.hidden = false; }
    }
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("form.api-form");
    if (!form) return;
    ev.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    clearErrors(form);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const { status, answer } = await send(form);
      if (status === 401) { toLogin(answer.reason); return; }
      if (status >= 200 && status < 300) { done(form, answer); return; }
      showErrors(form, answer);
    } catch (e) {
      showErrors(form, { message: t("The hub did not answer; try again") });
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });

  /* ---- editable rows (items of a receipt): add, remove, keep the names numbered ---- */
  function renumber(container) {
    const prefix = container.dataset.rows;
    const re = new RegExp("^" + prefix.replace(/\./g, "\\.") + "\\.\\d+\\.");
    container.querySelectorAll(":scope > [data-row]").forEach((row, i) => {
      row.querySelectorAll("[name],[data-error-for],[id],[for],[aria-describedby]").forEach((el) => {
        ["name", "data-error-for"].forEach((a) => {
          if (el.hasAttribute(a)) el.setAttribute(a, el.getAttribute(a).replace(re, `${prefix}.${i}.`));
        });
        ["id", "for"].forEach((a) => {
          if (el.hasAttribute(a)) el.setAttribute(a, el.getAttribute(a).replace(/-row\d+-/, `-row${i}-`));
        });
        if (el.hasAttribute("aria-describedby")) {
          el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").replace(/-row\d+-/g, `-row${i}-`));
        }
      });
      const n = row.querySelector("[data-row-number]");
      if (n) n.textContent = String(i + 1);
    });
  }

  document.addEventListener("click", (ev) => {
    const add = ev.target.closest("[data-add-row]");
    if (add) {
      const container = document.getElementById(add.dataset.addRow);
      const tpl = container.querySelector("template");
      container.insertBefore(tpl.content.cloneNode(true), tpl);
      renumber(container);
      const rows = container.querySelectorAll(":scope > [data-row]");
      const firstInput = rows[rows.length - 1].querySelector("input,select");
      if (firstInput) firstInput.focus();
      return;
    }
    const remove = ev.target.closest("[data-remove-row]");
    if (remove) {
      const container = remove.closest("[data-rows]");
      remove.closest("[data-row]").remove();
      renumber(container);
      return;
    }
    const copy = ev.target.closest("[data-copy-from]");
    if (copy) {
      const field = document.getElementById(copy.dataset.copyFrom);
      field.select();
      const ok = () => { copy.textContent = t("Copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(ok, () => { document.execCommand("copy"); ok(); });
      } else { document.execCommand("copy"); ok(); }
    }
  });

  /* ---- times in the visitor's own zone ---- */
  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach((el) => {
      const d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) {
        el.textContent = d.toLocaleString(document.documentElement.lang || undefined,
          { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: el.dataset.seconds ? "2-digit" : undefined });
        el.title = el.getAttribute("datetime");
      }
    });
  }

  /* ---- the live feed ---- */
  // A part of the page being edited (focus inside, or text typed) is left as it is.
  function beingEdited(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return Array.from(el.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea"))
      .some((i) => i.value.trim() !== "" && i.value !== i.defaultValue);
  }

  // Parts marked data-refresh-on-job="<id>" (a document's result, history, buttons) are read
  // again from the server when that job changes state.
  async function refreshParts(jobIds) {
    const parts = Array.from(document.querySelectorAll("[data-refresh-on-job]"))
      .filter((el) => jobIds.includes(el.dataset.refreshOnJob) && el.id && !beingEdited(el));
    if (!parts.length) return;
    const resp = await fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!resp.ok || resp.redirected) return;
    const fresh = new DOMParser().parseFromString(await resp.text(), "text/html");
    parts.forEach((el) => {
      const next = fresh.getElementById(el.id);
      if (next) {
        const node = document.importNode(next, true);
        el.replaceWith(node);
        localTimes(node);
      }
    });
  }

  function applyUpdate(update) {
    Object.entries(update.fragments || {}).forEach(([id, html]) => {
      const el = document.getElementById(id);
      if (el) { el.innerHTML = html; localTimes(el); }
    });
    (update.jobs || []).forEach((job) => {
      document.querySelectorAll(`[data-job-state="${CSS.escape(job.id)}"]`).forEach((el) => {
        el.outerHTML = job.badge;
      });
      document.querySelectorAll(`[data-job-fd="${CSS.escape(job.id)}"]`).forEach((el) => {
        el.textContent = job.fd_number == null ? "—" : String(job.fd_number);
      });
      document.querySelectorAll(`[data-job-row="${CSS.escape(job.id)}"]`).forEach((el) => {
        el.dataset.state = job.state;
      });
    });
    const ids = (update.jobs || []).map((job) => job.id);
    if (ids.length) refreshParts(ids).catch(() => {});
  }

  function startLive() {
    const url = document.body.dataset.live;
    if (!url || !window.EventSource) return;
    const status = document.getElementById("live-status");
    const source = new EventSource(url + (url.includes("?") ? "&" : "?") + "page=" + encodeURIComponent(location.pathname));
    source.addEventListener("update", (e) => applyUpdate(JSON.parse(e.data)));
    source.addEventListener("session_ended", (e) => { source.close(); toLogin(JSON.parse(e.data).reason); });
    source.addEventListener("open", () => { status.hidden = true; document.body.dataset.liveReady = "1"; });
    source.addEventListener("error", () => { status.textContent = t("Live updates paused; reconnecting…"); status.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", () => { localTimes(); startLive(); });
})();
