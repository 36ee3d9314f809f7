// Client-side search over the Pagefind index (Spanish stemming, accent folding).
const form = document.getElementById("buscador");
// Shown only when this script runs: without JavaScript the page offers the portal's search.
form.hidden = false;
const base = form.dataset.base || "/";
// The index comes in bundles (about 1,000 datasets each), merged here in the browser.
// The first search answers from the first bundle alone, then merges the others and
// searches again: what a visitor downloads before the first result does not grow with
// the catalogue (each bundle's page list and index chunks would).
const bundles = (form.dataset.bundles || "").split(" ").filter(Boolean);
const status = document.getElementById("estado");
// The portal's one search (/buscar) finds services, spaces and commitments too: its link
// carries the words typed here.
const portalSearch = document.getElementById("buscar-en-el-portal");
const portalSearchBase = portalSearch ? portalSearch.getAttribute("href") : "";
if (portalSearch) document.getElementById("en-el-portal").hidden = false;
const list = document.getElementById("resultados");
let pagefind = null;
let merging = null;
let latestRun = 0;

async function engine() {
  if (!pagefind) {
    if (bundles.length === 0) throw new Error("sin índice");
    const loaded = await import(base + bundles[0] + "/pagefind.js");
    await loaded.options({ baseUrl: base });
    await loaded.init();
    pagefind = loaded;
  }
  return pagefind;
}

function mergeOthers(pf) {
  if (!merging) {
    merging = Promise.all(
      bundles.slice(1).map((bundle) => pf.mergeIndex(base + bundle + "/", { baseUrl: base })));
  }
  return merging;
}

// Services, participation spaces and commitments: a small list (buscar/otros.json)
// searched here, every word found in the title or text, case and accents aside.
const kindSelect = form.querySelector("select[data-kind]");
const others = document.getElementById("otros-tipos");
const KINDS = [["servicio", "Servicios"], ["espacio", "Espacios de participación"],
               ["compromiso", "Compromisos"]];
let records = null;

function fold(text) {
  return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

async function otherRecords() {
  if (records === null) {
    try {
      const response = await fetch(others.dataset.records);
      records = response.ok ? await response.json() : [];
    } catch (error) {
      records = [];
    }
  }
  return records;
}

async function showOthers(query, kind, ticket) {
  const words = fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (words.length === 0 || kind === "conjunto") {
    others.replaceChildren();
    return;
  }
  const all = await otherRecords();
  if (ticket !== latestRun) return;
  const sections = [];
  for (const [key, label] of KINDS) {
    if (kind && kind !== key) continue;
    const found = all.filter((r) => r.kind === key &&
      words.every((w) => fold(r.title + " " + r.text).includes(w)));
    const section = document.createElement("section");
    const heading = document.createElement("h2");
    heading.textContent = `${label} (${found.length})`;
    const list = document.createElement("ul");
    for (const record of found.slice(0, 20)) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = record.url;
      link.textContent = record.title;
      item.append(link);
      list.append(item);
    }
    section.className = "kind-group";
    section.dataset.kind = key;
    section.append(heading, list);
    sections.push(section);
  }
  others.replaceChildren(...sections);
}

function chosenFilters() {
  const filters = {};
  for (const select of form.querySelectorAll("select[data-filter]")) {
    if (select.value) filters[select.dataset.filter] = select.value;
  }
  return filters;
}

// Pagefind excerpts mark matches with <mark>; keep only text and <mark>.
function excerptNodes(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const nodes = [];
  for (const node of doc.body.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      nodes.push(mark);
    } else {
      nodes.push(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

function resultItem(data) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  heading.className = "ds-title";
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = (data.meta && data.meta.title) || data.url;
  heading.append(link);
  const excerpt = document.createElement("p");
  excerpt.append(...excerptNodes(data.excerpt || ""));
  item.append(heading, excerpt);
  return item;
}

async function run() {
  const query = form.q.value.trim();
  const filters = chosenFilters();
  const kind = kindSelect ? kindSelect.value : "";
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  if (kind) params.set("tipo", kind);
  for (const [key, value] of Object.entries(filters)) params.set(key, value);
  history.replaceState(null, "", params.toString() ? "?" + params : location.pathname);
  if (portalSearch) {
    portalSearch.href = query ? portalSearchBase + "?q=" + encodeURIComponent(query) : portalSearchBase;
  }
  if (!query && Object.keys(filters).length === 0) {
    latestRun++;
    status.textContent = "";
    list.replaceChildren();
    others.replaceChildren();
    return;
  }
  status.textContent = "Buscando…";
  const ticket = ++latestRun;
  await showOthers(query, kind, ticket);
  if (kind && kind !== "conjunto") {
    list.replaceChildren();
    if (ticket === latestRun) status.textContent = "";
    return;
  }
  let pf;
  try {
    pf = await engine();
    if (merging) await merging;  // a search runs over one bundle or all of them, never half
  } catch (error) {
    status.textContent = "La búsqueda no está disponible en este momento.";
    return;
  }
  const partial = !merging && bundles.length > 1;
  await show(pf, query, filters, ticket, partial);
  if (partial) {
    try {
      await mergeOthers(pf);
    } catch (error) {
      status.textContent = "La búsqueda no está disponible en este momento.";
      return;
    }
    if (ticket === latestRun) await show(pf, query, filters, ticket, false);
  }
}

async function show(pf, query, filters, ticket, partial) {
  const search = await pf.search(query || null, { filters });
  const shown = await Promise.all(search.results.slice(0, 50).map((r) => r.data()));
  if (ticket !== latestRun) return;  // a newer search has started
  list.replaceChildren(...shown.map(resultItem));
  const n = search.results.length;
  if (partial) {
    status.textContent = n === 0
      ? "Buscando en todo el catálogo…"
      : "Primeros resultados; buscando en el resto del catálogo…";
    return;
  }
  status.textContent = n === 0
    ? "No se encontraron conjuntos de datos."
    : `${n} conjunto${n === 1 ? "" : "s"} de datos encontrado${n === 1 ? "" : "s"}` +
      (n > shown.length ? ` (se muestran los ${shown.length} primeros).` : ".");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
for (const select of form.querySelectorAll("select[data-filter]")) {
  select.addEventListener("change", () => run());
}
if (kindSelect) kindSelect.addEventListener("change", () => run());
const initial = new URLSearchParams(location.search);
form.q.value = initial.get("q") || "";
if (kindSelect) kindSelect.value = initial.get("tipo") || "";
for (const select of form.querySelectorAll("select[data-filter]")) {
  select.value = initial.get(select.dataset.filter) || "";
}
run();
