// The dashboard page: no framework, no build step, nothing from a CDN.
// The token lives in sessionStorage (gone when the tab closes); every request sends it as a bearer token,
// the live stream too: it is read with fetch() and a ReadableStream, since EventSource cannot send headers.
"use strict";

const LABELS = {
  department: {
    engineering: "工程部 Engineering", property: "物业公司 Property", sales: "销售部 Sales",
    title_certificates: "权证 Certificates", finance: "财务 Finance", customer_service: "客服中心 Customer service",
    "(unassigned)": "未分派 Unassigned",
  },
  kind: { complaint: "投诉 Complaint", repair: "报修 Repair", inquiry: "咨询 Inquiry", suggestion: "建议 Suggestion", praise: "表扬 Praise" },
  status: {
    opened: "新建 Opened", assigned: "已分派 Assigned", in_progress: "处理中 In progress",
    waiting_on_owner: "待业主 Waiting on owner", resolved: "已解决 Resolved", closed: "已关闭 Closed", reopened: "重开 Reopened",
  },
  level: { 0: "—", 1: "一般 L1", 2: "较大 L2", 3: "重大 L3" },
  missed: { respond: "响应 response", resolve: "解决 resolution" },
  reason: {
    sla_breach: "超时 missed deadline", group_complaint: "群诉 group complaint", repeat_complaint: "重复投诉 repeat",
    dissatisfied_return_visit: "回访不满意 dissatisfied", urgent_keyword: "紧急 urgent", vip: "VIP", manual: "人工 manual",
  },
};

const state = { token: sessionStorage.getItem("kefu-token") || "", me: null, stream: null, seen: new Set(), refreshTimer: null };
const $ = (id) => document.getElementById(id);
const label = (kind, value) => (LABELS[kind] && LABELS[kind][value]) || value || "—";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

function filters() {
  const q = new URLSearchParams();
  if ($("f-project").value) q.set("project", $("f-project").value);
  if ($("f-department").value) q.set("department", $("f-department").value);
  return q;
}

async function api(path) {
  const reply = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
  if (reply.status === 401) { logout("令牌无效 Invalid token"); throw new Error("unauthorized"); }
  if (!reply.ok) throw new Error(`${path}: HTTP ${reply.status}`);
  return reply.json();
}

// --- sign in / out -----------------------------------------------------------------------------
async function login(token) {
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch (err) {
    return;
  }
  sessionStorage.setItem("kefu-token", token);
  $("login-panel").hidden = true;
  $("board").hidden = false;
  $("who").hidden = false;
  const me = state.me;
  $("who-name").textContent = me.sees_all ? `${me.name} · ${me.role}` : `${me.name} · ${label("department", me.department)}`;
  $("f-department-label").hidden = !me.sees_all;
  $("report-panel").hidden = !me.sees_all;  // the report is for the customer service center's roles
  if (!$("report-month").value) {
    const last = new Date(); last.setDate(0);  // last month, as the report is read at the start of a month
    $("report-month").value = `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, "0")}`;
    $("report-from").value = `${$("report-month").value}-01`;  // the quality report: last month by default
    $("report-to").value = `${$("report-month").value}-${String(last.getDate()).padStart(2, "0")}`;
    const weekAgo = new Date(); weekAgo.setDate(weekAgo.getDate() - 7);  // the weekly report: last ISO week
    $("report-week").value = isoWeek(weekAgo);
  }
  await refresh();
  connect();
}

function logout(message) {
  sessionStorage.removeItem("kefu-token");
  state.token = ""; state.me = null;
  if (state.stream) state.stream.abort();
  state.stream = null;
  state.seen.clear();
  $("f-project").value = ""; $("f-department").value = "";  // the next person's view starts unfiltered
  $("feed").replaceChildren(el("li", { class: "empty" }, "暂无 Nothing yet"));
  $("board").hidden = true; $("who").hidden = true; $("login-panel").hidden = false;
  $("login-error").textContent = message || "";
}

// --- the boards --------------------------------------------------------------------------------
function fillSelect(select, values, kind) {
  const current = select.value;
  const options = [el("option", { value: "" }, "全部 All"), ...values.map((v) => el("option", { value: v }, kind ? label(kind, v) : v))];
  select.replaceChildren(...options);
  if (current && !values.includes(current)) select.append(el("option", { value: current }, kind ? label(kind, current) : current));
  select.value = current;
}

function caseCell(c) {
  return el("td", {}, el("code", {}, c._id || c.case_id), el("div", { class: "muted" }, c.summary || ""));
}

function levelBadge(level) {
  return el("span", { class: `level l${level || 0}` }, label("level", level || 0));
}

async function refresh() {
  const q = filters();
  const [summary, cases, lag] = await Promise.all([
    api(`/api/summary?${q}`),
    api(`/api/cases?status=open&limit=50&${q}`),
    api("/api/lag"),
  ]);
  showLag(lag);
  fillSelect($("f-project"), summary.projects);
  if (state.me.sees_all) fillSelect($("f-department"), summary.departments, "department");
  $("c-open").textContent = summary.counts.open;
  $("c-overdue").textContent = summary.counts.overdue;
  $("c-escalated").textContent = summary.counts.escalated_open;
  $("c-groups").textContent = summary.counts.groups;
  $("c-cases").textContent = summary.counts.cases;
  $("updated").textContent = `更新 Updated ${when(summary.at)}`;

  $("open-table").tBodies[0].replaceChildren(...summary.open_by_department.map((row) =>
    el("tr", { "data-department": row.department }, el("td", {}, label("department", row.department)),
      ...["0", "1", "2", "3"].map((lv) => el("td", { class: row.levels[lv] && lv === "3" ? "hot num" : "num" }, row.levels[lv] || "")),
      el("td", { class: "num total" }, row.total))));
  if (!summary.open_by_department.length) $("open-table").tBodies[0].append(el("tr", {}, el("td", { colSpan: 6, class: "empty" }, "暂无 None")));

  $("overdue-table").tBodies[0].replaceChildren(...summary.overdue.slice(0, 50).map((c) =>
    el("tr", { "data-case-id": c._id }, caseCell(c), el("td", {}, label("department", c.department)), el("td", {}, levelBadge(c.level)),
      el("td", {}, c.overdue.map((m) => label("missed", m)).join(", ")),
      el("td", {}, when(c.overdue.includes("respond") ? c.respond_by : c.resolve_by)))));
  if (!summary.overdue.length) $("overdue-table").tBodies[0].append(el("tr", {}, el("td", { colSpan: 5, class: "empty" }, "暂无 None")));

  $("groups").replaceChildren(...summary.groups.map((g) =>
    el("li", { "data-group-id": g.group_id },
      el("div", {}, levelBadge(g.level), " ", el("b", {}, `${g.project || ""} ${g.building || ""}`), ` · ${g.members.length} 户 owners · ${g.open} 在办 open`),
      el("div", { class: "muted" }, `${g.summary || ""} · 升级 escalated ${when(g.escalated_at)}`))));
  if (!summary.groups.length) $("groups").append(el("li", { class: "empty" }, "暂无 None"));

  $("cases-table").tBodies[0].replaceChildren(...cases.map((c) =>
    el("tr", { "data-case-id": c._id }, el("td", {}, when(c.opened_at)), caseCell(c), el("td", {}, label("kind", c.kind)),
      el("td", {}, `${c.project || "—"} ${c.building || ""}`), el("td", {}, label("department", c.department)),
      el("td", {}, levelBadge(c.level)), el("td", {}, label("status", c.status)))));
  if (!cases.length) $("cases-table").tBodies[0].append(el("tr", {}, el("td", { colSpan: 7, class: "empty" }, "暂无 None")));
}

function showLag(lag) {
  const service = (group) => group.replace(/^.*kefu-/, "");
  $("lag-table").tBodies[0].replaceChildren(...lag.groups.map((g) =>
    el("tr", { "data-group": g.group }, el("td", {}, service(g.group)),
      el("td", {}, el("span", { class: `status s-${g.status.toLowerCase()}` }, g.status)),
      el("td", { class: "num" }, g.total_lag), el("td", { class: "num" }, g.max_lag_seconds))));
  if (!lag.groups.length) $("lag-table").tBodies[0].append(el("tr", {}, el("td", { colSpan: 4, class: "empty" },
    lag.at ? "无消费组 No consumer groups yet" : "尚无采样 Not sampled yet")));
  $("lag-at").textContent = lag.at ? `采样 Sampled ${when(lag.at)}` : "";
}

// The ISO week (YYYY-Www) of a date: the week of its Thursday.
function isoWeek(day) {
  const d = new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate()));
  d.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
  const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((d - jan4) / 86400000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

// Which report: its period parameters (the service says 422 for a missing or bad one) and its file name.
function reportPeriod(kind, q) {
  if (kind === "week") { q.set("week", $("report-week").value); return `kefu-weekly-${$("report-week").value}`; }
  if (kind === "quality") {
    q.set("from", $("report-from").value); q.set("to", $("report-to").value);
    return `kefu-quality-${$("report-from").value}-${$("report-to").value}`;
  }
  q.set("month", $("report-month").value);
  return `kefu-report-${$("report-month").value}`;
}

function showReportInputs() {
  for (const label of document.querySelectorAll("#report [data-kind]")) {
    label.hidden = label.dataset.kind !== $("report-kind").value;
  }
}

// The report needs the bearer token too: fetch it, then show or save what came back.
async function openReport(format) {
  $("report-error").textContent = "";
  const q = filters();
  q.delete("department");
  const kind = $("report-kind").value;
  const name = reportPeriod(kind, q);
  q.set("format", format);
  const win = format === "html" ? window.open("about:blank", "_blank") : null;  // while the click still counts
  const path = kind === "quality" ? "/api/report/quality" : "/api/report";
  const reply = await fetch(`${path}?${q}`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!reply.ok) {
    if (win) win.close();
    const body = await reply.json().catch(() => ({}));
    $("report-error").textContent = `${reply.status}: ${JSON.stringify(body.detail || reply.statusText)}`;
    return;
  }
  const url = URL.createObjectURL(await reply.blob());
  if (win) win.location.href = url;
  else el("a", { href: url, download: `${name}.csv` }).click();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function refreshSoon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refresh().catch(console.error), 400);
}

// --- the live feed -----------------------------------------------------------------------------
function addToFeed(entry) {
  if (state.seen.has(entry.id)) return;
  state.seen.add(entry.id);
  const c = entry.case;
  const escalated = entry.type === "escalated";
  const tag = escalated
    ? el("span", { class: "tag escalated" }, `升级 Escalated → L${entry.escalation.level}`)
    : el("span", { class: "tag new" }, "新案件 New");
  const reason = escalated ? el("span", { class: "muted" }, ` ${label("reason", entry.escalation.reason)}`) : "";
  const item = el("li", { class: escalated ? "escalated" : "", "data-case-id": entry.case_id, "data-type": entry.type },
    el("div", {}, tag, reason, el("time", {}, when(entry.at))),
    el("div", {}, el("code", {}, entry.case_id), " ", label("department", c.department), " · ", `${c.project || ""} ${c.building || ""}`),
    el("div", { class: "muted" }, c.summary || ""));
  item.dataset.at = entry.at;
  const feed = $("feed");
  feed.querySelector(".empty")?.remove();
  const older = [...feed.children].find((li) => li.dataset.at < entry.at);  // newest first, by event time
  feed.insertBefore(item, older || null);
  while (feed.children.length > 100) feed.lastChild.remove();
}

function setLive(on) {
  $("live").className = on ? "live on" : "live off";
  $("live-text").textContent = on ? "实时 live" : "重连中 reconnecting";
}

async function connect() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  let delay = 1000;
  while (!controller.signal.aborted && state.token) {
    try {
      const reply = await fetch(`/api/stream?${filters()}`, {
        headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" }, signal: controller.signal,
      });
      if (reply.status === 401) { logout("令牌无效 Invalid token"); return; }
      if (!reply.ok) throw new Error(`stream: HTTP ${reply.status}`);
      setLive(true);
      delay = 1000;
      await readEvents(reply.body, (event) => {
        if (event.event === "case") { addToFeed(JSON.parse(event.data)); refreshSoon(); }
      });
    } catch (err) {
      if (controller.signal.aborted) return;
      console.warn("live stream interrupted", err);
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

// Server-sent events, parsed from a byte stream: blocks end with a blank line, "field: value" lines.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "data") event.data += (event.data ? "\n" : "") + val;
        else event[field] = val;
      }
      if (event.data) onEvent(event);
    }
  }
}

// --- wiring ------------------------------------------------------------------------------------
$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  login($("token").value.trim());
});
$("logout").addEventListener("click", () => logout());
$("report").addEventListener("submit", (e) => { e.preventDefault(); openReport("html").catch(console.error); });
$("report-csv").addEventListener("click", () => openReport("csv").catch(console.error));
$("report-kind").addEventListener("change", showReportInputs);
for (const id of ["f-project", "f-department"]) {
  $(id).addEventListener("change", () => {
    state.seen.clear();
    $("feed").replaceChildren(el("li", { class: "empty" }, "暂无 Nothing yet"));
    refresh().catch(console.error);
    connect();
  });
}
setInterval(() => { if (state.me) refresh().catch(console.error); }, 30000);  // deadlines pass without events
if (state.token) login(state.token);
