// The workspace page (坐席工作台): no framework, no build step, nothing from a CDN.
// Signed in with the same token as the dashboard (sessionStorage, gone with the tab), it calls intake, routing,
// membership and knowledge directly (each allows this origin by CORS); /api/workspace-config says where they are.
"use strict";

const L = {
  department: {
    engineering: "工程部 Engineering", property: "物业公司 Property", sales: "销售部 Sales",
    title_certificates: "权证 Certificates", finance: "财务 Finance", customer_service: "客服中心 Customer service",
  },
  kind: { complaint: "投诉 Complaint", repair: "报修 Repair", inquiry: "咨询 Inquiry", suggestion: "建议 Suggestion", praise: "表扬 Praise" },
  status: {
    opened: "新建 Opened", assigned: "已分派 Assigned", in_progress: "处理中 In progress",
    waiting_on_owner: "待业主 Waiting on owner", resolved: "已解决 Resolved", closed: "已关闭 Closed", reopened: "重开 Reopened",
  },
  level: { 0: "", 1: "一般 L1", 2: "较大 L2", 3: "重大 L3" },
  role: {
    hotline_agent: "热线专员 Hotline agent", complaint_specialist: "投诉专员 Complaint specialist",
    department_staff: "部门人员 Department staff", aftersales_supervisor: "售后主管 After-sales supervisor",
    customer_relations: "客户关系 Customer relations", data_analyst: "数据分析 Analyst",
    cs_manager: "客服经理 CS manager", cs_general_manager: "客服中心总经理 General manager",
  },
  timeline: {
    opened: "受理 Opened", assigned: "分派 Assigned", status: "状态 Status", note: "备注 Note",
    joined_group: "并入群诉 Joined group", deadline_missed: "超时 Deadline missed", return_visit: "回访 Return visit",
    follow_up: "跟进来电 Follow-up", escalated: "升级 Escalated", approval_requested: "申请审批 Approval asked",
    approval_decided: "审批 Approval decided", work_order_start: "工单开工 Work started",
    work_order_progress: "工单进度 Progress", work_order_complete: "工单完工 Work completed",
  },
  approval: { plan: "处理方案 Handling plan", cost: "费用 Cost" },
  wo: { open: "待开工 Open", started: "施工中 Started", completed: "已完工 Completed" },
};
const OPEN_STATUSES = ["assigned", "in_progress", "waiting_on_owner", "reopened"];  // routing's open ones
const CALL_TAKERS = ["hotline_agent", "complaint_specialist", "aftersales_supervisor", "customer_relations", "cs_manager", "cs_general_manager"];
const APPROVERS = ["complaint_specialist", "cs_manager", "cs_general_manager"];  // lowest authority first
const QUEUE_ROLES = ["department_staff", "hotline_agent", "complaint_specialist", "aftersales_supervisor", "customer_relations", "cs_manager", "cs_general_manager"];

const state = { token: sessionStorage.getItem("kefu-token") || "", me: null, cfg: null, tab: null,
                archive: null, classifyTimer: null, classifySeq: 0, caseId: null, queue: [] };
const $ = (id) => document.getElementById(id);
const label = (kind, v) => (L[kind] && L[kind][v]) || v || "—";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function when(iso, withYear = false) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", ...(withYear ? { year: "numeric" } : {}),
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}
const short = (id) => (id || "").replace(/^case-/, "").slice(0, 8);  // enough to tell cases apart on a list
const day = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai" }) : "—");

// --- calling the services ----------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.text(status, body));
    this.status = status; this.body = body;
  }
  static text(status, body) {
    const d = body && body.detail;
    const words = Array.isArray(d) ? d.map((e) => `${(e.loc || []).slice(-1)[0] || ""}: ${e.msg}`).join("; ") : d;
    return `${status}: ${words || "请求失败 request failed"}`;
  }
}

async function call(service, path, { method = "GET", body, retry = 2 } = {}) {
  const base = service === "dashboard" ? "" : state.cfg[service];
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let reply;
  try {
    reply = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { detail: `${service} 无法连接 unreachable` });
  }
  if (reply.status === 401) { logout("令牌无效 Invalid token"); throw new ApiError(401, { detail: "unauthorized" }); }
  if (reply.status === 503 && retry > 0) {  // a concurrent change or a store hiccup: the services say retry
    await new Promise((r) => setTimeout(r, 500));
    return call(service, path, { method, body, retry: retry - 1 });
  }
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poll(what, fn, { every = 600, tries = 100 } = {}) {
  for (let i = 0; i < tries; i++) {
    try { return await fn(); } catch (err) { if (err.status !== 404) throw err; }
    await sleep(every);
  }
  throw new ApiError(504, { detail: `${what}: 超时 timed out` });
}

function show(node, message, ok) {
  node.textContent = message || "";
  node.className = ok === undefined ? node.className : `msg ${ok ? "ok" : "error"}`;
}

// --- sign in / out -----------------------------------------------------------------------------
async function login(token) {
  state.token = token;
  try {
    state.me = await call("dashboard", "/api/workspace/me");
    state.cfg = await call("dashboard", "/api/workspace-config");
  } catch (err) {
    $("login-error").textContent = err.status === 401 ? "令牌无效 Invalid token"
      : err.status === 403 ? "此角色无工作台 This role has no workspace screen" : err.message;
    return;
  }
  sessionStorage.setItem("kefu-token", token);
  const me = state.me;
  $("login-panel").hidden = true;
  $("workspace").hidden = false; $("who").hidden = false; $("tabs").hidden = false;
  $("who-name").textContent = `${me.name} · ${label("role", me.role)}${me.department ? ` · ${label("department", me.department)}` : ""}`;
  const tabs = { call: CALL_TAKERS.includes(me.role), queue: QUEUE_ROLES.includes(me.role), approvals: APPROVERS.includes(me.role) };
  for (const [tab, allowed] of Object.entries(tabs)) $(`tab-${tab}`).hidden = !allowed;
  $("q-department-label").hidden = !me.sees_all;
  const first = me.role === "department_staff" ? "queue" : ["cs_manager", "cs_general_manager"].includes(me.role) ? "approvals" : "call";
  switchTo(tabs[first] ? first : Object.keys(tabs).find((t) => tabs[t]) || "queue");
}

function logout(message) {
  sessionStorage.removeItem("kefu-token");
  state.token = ""; state.me = null; state.archive = null; state.caseId = null;
  $("workspace").hidden = true; $("who").hidden = true; $("tabs").hidden = true; $("login-panel").hidden = false;
  $("login-error").textContent = message || "";
  resetCall();
}

function switchTo(tab) {
  state.tab = tab;
  for (const name of ["call", "queue", "approvals"]) {
    $(`screen-${name}`).hidden = name !== tab;
    $(`tab-${name}`).classList.toggle("active", name === tab);
  }
  if (tab === "queue") loadQueue().catch((e) => show($("queue-msg"), e.message, false));
  if (tab === "approvals") loadApprovals().catch((e) => show($("ap-msg"), e.message, false));
}

// --- take a call -------------------------------------------------------------------------------
async function lookup(phone) {
  $("lookup-msg").textContent = "查找中 Looking up…";
  $("archive").hidden = true;
  state.archive = null;
  let found;
  try {
    found = await call("intake", `/customers?phone=${encodeURIComponent(phone)}`);
  } catch (err) {
    $("lookup-msg").textContent = err.status === 404 ? "新客户：档案中没有此号码 New caller: no archive for this number" : err.message;
    fillProperties([]);
    return;
  }
  state.archive = found;
  const c = found.customer;
  $("lookup-msg").textContent = "";
  $("archive").hidden = false;
  $("arch-name").textContent = c.name || "（未留姓名 no name）";
  $("call-name").value = c.name || "";
  $("arch-phones").textContent = (c.phones || []).join(", ");
  $("arch-properties").replaceChildren(...(c.properties || []).map((p) => el("li", { "data-unit": p.unit || "" },
    el("b", {}, `${p.project} ${p.building || ""} ${p.unit || ""}`), " ",
    el("span", { class: "muted" }, `交付 Handed over ${day(p.handover_date)}`))));
  if (!(c.properties || []).length) $("arch-properties").append(el("li", { class: "muted" }, "无 None"));
  fillProperties(c.properties || []);
  $("arch-contacts").replaceChildren(...found.contacts.slice(0, 5).map((x) => el("li", {},
    el("span", { class: "muted" }, `${when(x.received_at)} `), `${label("kind", (x.classification || {}).kind)} · `,
    (x.body || "").slice(0, 40), x.follow_up ? el("span", { class: "tag followup" }, "跟进 follow-up") : "")));
  if (!found.contacts.length) $("arch-contacts").append(el("li", { class: "muted" }, "无 None"));
  $("arch-tier").textContent = "";
  call("membership", `/customers/${encodeURIComponent(c._id)}/member`).then((m) => {
    $("arch-tier").textContent = `${m.tier_name}${m.vip ? " VIP" : ""} · ${m.balance} 积分 points`;
    $("arch-tier").dataset.tier = m.tier;
  }).catch((err) => { $("arch-tier").textContent = err.status === 404 ? "非会员 Not a club member" : ""; });
  showOpenCases(found.contacts);
}

// The archive knows the cases a customer's contacts went to; routing knows which are still open.
async function showOpenCases(contacts) {
  const ids = [...new Set(contacts.map((x) => x.case_id))].slice(0, 10);
  const cases = (await Promise.all(ids.map((id) => call("routing", `/cases/${encodeURIComponent(id)}`).catch(() => null))))
    .filter((c) => c && OPEN_STATUSES.includes(c.status));
  $("arch-cases").replaceChildren(...cases.map((c) => el("li", { "data-case-id": c._id },
    el("code", {}, short(c._id)), ` ${label("kind", c.kind)} · ${label("status", c.status)} · ${label("department", c.department)}`)));
  if (!cases.length) $("arch-cases").append(el("li", { class: "muted" }, "无 None"));
}

function fillProperties(props) {
  $("call-property").replaceChildren(el("option", { value: "" }, "— 手工填写 type below —"),
    ...props.map((p, i) => el("option", { value: String(i) }, `${p.project} ${p.building || ""} ${p.unit || ""}`)));
  if (props.length) { $("call-property").value = "0"; pickProperty(); }
}

function pickProperty() {
  const i = $("call-property").value;
  const p = i === "" || !state.archive ? null : state.archive.customer.properties[Number(i)];
  $("call-project").value = p ? p.project : "";
  $("call-building").value = p ? p.building || "" : "";
  $("call-unit").value = p ? p.unit || "" : "";
}

function classifySoon() {
  clearTimeout(state.classifyTimer);
  state.classifyTimer = setTimeout(() => classifyNow().catch((e) => { $("cls-by").textContent = e.message; }), 300);
}

async function classifyNow() {
  const text = $("call-text").value.trim();
  if (!text) return;
  const seq = ++state.classifySeq;  // answers may come back out of order: only the latest counts
  const chosen = $("cls-kind").value;
  const [result] = await Promise.all([
    call("intake", "/classify", { method: "POST", body: { text, ...(chosen ? { kind: chosen } : {}) } }),
    suggest(text, seq),
  ]);
  if (seq !== state.classifySeq) return;
  $("classification").dataset.kind = result.kind;
  $("cls-category").textContent = result.category || "—";
  $("cls-flags").replaceChildren(...(result.urgent_flags.length
    ? result.urgent_flags.map((f) => el("span", { class: "tag urgent" }, f)) : ["—"]));
  $("cls-by").textContent = chosen ? `坐席选择 agent's choice` : `系统判断 classifier: ${label("kind", result.kind)}`;
}

async function suggest(text, seq) {
  const project = $("call-project").value.trim();
  let found;
  try {
    found = await call("knowledge", "/suggestions", { method: "POST", body: { text: text.slice(0, 4000), limit: 3, ...(project ? { project } : {}) } });
  } catch (err) {
    if (seq === state.classifySeq) $("sugg-msg").textContent = `知识库暂不可用 Knowledge unavailable (${err.message})`;
    return;
  }
  if (seq !== state.classifySeq) return;
  $("sugg-msg").textContent = "";
  const hit = (h) => el("li", { "data-id": h.id }, el("b", {}, h.title), el("div", { class: "muted" }, h.snippet));
  $("sugg-articles").replaceChildren(...(found.articles.length ? found.articles.map(hit) : [el("li", { class: "muted" }, "无 None")]));
  $("sugg-cases").replaceChildren(...(found.cases.length ? found.cases.map(hit) : [el("li", { class: "muted" }, "无 None")]));
}

async function submitCall() {
  $("call-error").textContent = "";
  const phone = $("call-phone").value.trim();
  const text = $("call-text").value.trim();
  if (!phone || !text) { $("call-error").textContent = "请填写号码和内容 Number and text are needed"; return; }
  const project = $("call-project").value.trim();
  const caller = { phone, ...($("call-name").value.trim() ? { name: $("call-name").value.trim() } : {}),
                   ...(state.archive ? { customer_id: state.archive.customer._id } : {}) };
  const property = project ? { project, ...($("call-building").value.trim() ? { building: $("call-building").value.trim() } : {}),
                               ...($("call-unit").value.trim() ? { unit: $("call-unit").value.trim() } : {}) } : null;
  const kind = $("cls-kind").value;
  const eventId = crypto.randomUUID();  // a retry of this submit is the same call, never a second one
  $("call-submit").disabled = true;
  try {
    const accepted = await call("intake", "/calls", { method: "POST", body: {
      event_id: eventId, channel: "hotline", caller, ...(property ? { property } : {}), ...(kind ? { kind } : {}),
      body: text, agent_id: state.me.name.slice(0, 64) } });
    $("call-result").hidden = false;
    $("call-submit").hidden = true;  // the form stays as it was sent, next to its case
    $("res-status").textContent = "已提交，等待分派 Submitted, routing…";
    const outcome = await poll("intake", () => call("intake", `/calls/${encodeURIComponent(accepted.event_id || eventId)}`));
    $("res-case").textContent = outcome.case_id;
    $("call-result").dataset.caseId = outcome.case_id;
    $("res-followup").hidden = !outcome.follow_up;
    const routed = await poll("routing", async () => {
      const c = await call("routing", `/cases/${encodeURIComponent(outcome.case_id)}`);
      if (!c.department) throw new ApiError(404, {});
      return c;
    });
    showRouted(routed);
  } catch (err) {
    $("call-error").textContent = err.message;
    $("call-submit").hidden = false;
  } finally {
    $("call-submit").disabled = false;
  }
}

function showRouted(c) {
  $("call-result").dataset.department = c.department;
  $("res-status").textContent = label("status", c.status);
  $("res-department").textContent = label("department", c.department);
  $("res-assignee").textContent = c.assignee || "—";
  $("res-respond").textContent = when((c.deadlines || {}).respond_by);
  $("res-resolve").textContent = when((c.deadlines || {}).resolve_by);
  const w = c.warranty;
  $("res-warranty").textContent = w ? (w.under_warranty ? `保修期内 Under warranty (至 until ${day(w.expires_on)})` : "已过保 Out of warranty") : "—";
}

function resetCall() {
  for (const id of ["call-phone", "call-name", "call-text", "call-project", "call-building", "call-unit"]) $(id).value = "";
  $("cls-kind").value = ""; $("cls-category").textContent = "—"; $("cls-flags").textContent = "—"; $("cls-by").textContent = "";
  $("archive").hidden = true; $("lookup-msg").textContent = ""; $("call-error").textContent = "";
  $("call-result").hidden = true; $("call-submit").hidden = false; $("res-followup").hidden = true;
  delete $("call-result").dataset.caseId; delete $("call-result").dataset.department;
  $("sugg-articles").replaceChildren(); $("sugg-cases").replaceChildren();
  $("sugg-msg").textContent = "输入内容后显示 Shown as you type";
  state.archive = null;
}

// --- the queue ---------------------------------------------------------------------------------
function fillOptions() {
  $("q-status").replaceChildren(el("option", { value: "" }, "在办 Open"),
    ...Object.keys(L.status).filter((s) => s !== "opened").map((s) => el("option", { value: s }, label("status", s))));
  $("q-kind").replaceChildren(el("option", { value: "" }, "全部 All"),
    ...Object.keys(L.kind).map((k) => el("option", { value: k }, label("kind", k))));
  $("q-department").replaceChildren(el("option", { value: "" }, "全部 All"),
    ...Object.keys(L.department).map((d) => el("option", { value: d }, label("department", d))));
}

const overdueOf = (c) => (c.overdue || []).length > 0;
const dueOf = (c) => (c.deadlines || {})[c.responded_at ? "resolve_by" : "respond_by"] || (c.deadlines || {}).resolve_by || "";

async function loadQueue() {
  const q = new URLSearchParams({ limit: "100" });
  if ($("q-department").value) q.set("department", $("q-department").value);
  if ($("q-kind").value) q.set("kind", $("q-kind").value);
  if ($("q-overdue").checked) q.set("overdue", "true");
  const statuses = $("q-status").value ? [$("q-status").value] : OPEN_STATUSES;
  const pages = await Promise.all(statuses.map((s) => call("routing", `/cases?${q}&status=${s}`)));
  const cases = pages.flat();
  cases.sort((a, b) => (overdueOf(b) - overdueOf(a)) || String(dueOf(a)).localeCompare(String(dueOf(b))));
  state.queue = cases;
  $("queue-table").tBodies[0].replaceChildren(...cases.map((c) => el("tr", {
    "data-case-id": c._id, class: `${overdueOf(c) ? "overdue" : ""} ${c._id === state.caseId ? "picked" : ""}`,
    onclick: () => openCase(c._id) },
    el("td", {}, el("code", {}, short(c._id)), el("div", { class: "muted" }, (c.subject || c.body || "").slice(0, 30))),
    el("td", {}, label("kind", c.kind), c.level ? el("span", { class: `level l${c.level}` }, ` ${label("level", c.level)}`) : ""),
    el("td", {}, label("status", c.status)),
    el("td", {}, overdueOf(c) ? el("b", { class: "hot" }, `超时 Overdue ${when(dueOf(c))}`) : when(dueOf(c))))));
  $("queue-msg").textContent = cases.length ? `${cases.length} 件 cases` : "暂无 No cases";
}

async function openCase(caseId) {
  state.caseId = caseId;
  for (const tr of $("queue-table").tBodies[0].rows) tr.classList.toggle("picked", tr.dataset.caseId === caseId);
  show($("cd-msg"), "");
  renderCase(await call("routing", `/cases/${encodeURIComponent(caseId)}`));
}

function renderCase(c) {
  $("case-empty").hidden = true; $("case-detail").hidden = false;
  $("case-detail").dataset.caseId = c._id; $("case-detail").dataset.status = c.status;
  $("cd-id").textContent = c._id;
  $("cd-status").textContent = label("status", c.status);
  $("cd-level").replaceChildren(c.level ? el("span", { class: `level l${c.level}` }, label("level", c.level)) : "");
  $("cd-summary").textContent = `${label("kind", c.kind)}${c.category ? ` · ${c.category}` : ""} — ${c.subject ? c.subject + "：" : ""}${c.body || ""}`;
  $("cd-department").textContent = label("department", c.department);
  $("cd-assignee").textContent = c.assignee || "—";
  $("cd-property").textContent = `${c.project || "—"} ${c.building || ""} ${c.unit || ""}` +
    (c.warranty ? (c.warranty.under_warranty ? " · 保修期内 under warranty" : " · 已过保 out of warranty") : "");
  const d = c.deadlines || {};
  $("cd-deadlines").replaceChildren(`响应 respond ${when(d.respond_by)} · 解决 resolve ${when(d.resolve_by)}`,
    overdueOf(c) ? el("b", { class: "hot" }, " 超时 overdue") : "");
  const wo = c.work_order;
  $("cd-work-order").textContent = wo ? `${label("wo", wo.status)}${wo.cost ? ` · ${wo.cost} CNY` : ""}` : "无 None";
  $("cd-work-order").dataset.status = wo ? wo.status : "";
  $("cd-wo-actions").hidden = !wo || wo.status === "completed";
  $("cd-approvals").replaceChildren(...(c.approvals || []).map((a) => el("li", { "data-approval-id": a.id, "data-status": a.status },
    `${label("approval", a.kind)} ${a.amount ? a.amount + " CNY" : (a.plan || "").slice(0, 40)} · ${a.status} · ${label("role", a.required_role)}`,
    a.reason ? el("span", { class: "muted" }, ` — ${a.reason}`) : "")));
  if (!(c.approvals || []).length) $("cd-approvals").append(el("li", { class: "muted" }, "无 None"));
  $("cd-timeline").replaceChildren(...[...(c.timeline || [])].reverse().map((t) => el("li", { "data-type": t.type },
    el("time", {}, when(t.at)), el("b", {}, label("timeline", t.type)),
    t.status ? ` → ${label("status", t.status)}` : "", t.type === "escalated" ? ` L${t.from || 0} → L${t.to}` : "",
    t.decision ? ` ${t.decision}` : "", t.cost ? ` ${t.cost} CNY` : "",
    t.actor ? el("span", { class: "muted" }, ` · ${t.actor}`) : "",
    t.text || t.note || t.reason ? el("div", {}, t.text || t.note || t.reason) : "")));
}

async function caseAction(action) {
  const id = state.caseId;
  const note = $("cd-note").value.trim();
  let path, body;
  if (action === "note") {
    if (!note) { show($("cd-msg"), "请先填写备注 Write the note first", false); return; }
    path = `/cases/${id}/notes`; body = { text: note };
  } else {
    path = `/cases/${id}/${action}`; body = note ? { note } : {};
  }
  await act(path, body);
}

async function workOrder(step) {
  const note = $("cd-note").value.trim();
  const cost = $("cd-cost").value.trim();
  await act(`/cases/${state.caseId}/work-order/${step}`, { ...(note ? { note } : {}), ...(step === "complete" && cost ? { cost } : {}) });
}

async function askCost() {
  const amount = $("cd-cost").value.trim();
  if (!amount) { show($("cd-msg"), "请填写费用 Enter the cost first", false); return; }
  await act(`/cases/${state.caseId}/approvals`, { kind: "cost", amount });
}

// Every action answers with the case as it is now: shown at once, the queue refreshed behind it.
async function act(path, body) {
  show($("cd-msg"), "…", true);
  try {
    const c = await call("routing", path, { method: "POST", body });
    renderCase(c);
    $("cd-note").value = "";
    show($("cd-msg"), `完成 Done: ${label("status", c.status)}`, true);
    loadQueue().catch(() => {});
  } catch (err) {
    show($("cd-msg"), err.message, false);
  }
}

// --- approvals ---------------------------------------------------------------------------------
async function loadApprovals() {
  const rank = APPROVERS.indexOf(state.me.role);
  $("ap-authority").textContent = `您的审批权限 Your authority: ${label("role", state.me.role)}（超出权限的申请将被拒绝并显示限额 over-limit requests are refused with the limit）`;
  const cases = await call("routing", "/cases?awaiting_approval=true&limit=200");
  const rows = [];
  for (const c of cases) {
    for (const a of c.approvals || []) {
      if (a.status !== "pending") continue;
      const mine = APPROVERS.indexOf(a.required_role) <= rank;
      const reason = el("input", { class: "reason", placeholder: "理由 Reason", maxLength: 2000 });
      const row = el("tr", { "data-case-id": c._id, "data-approval-id": a.id, class: mine ? "" : "beyond" },
        el("td", {}, el("code", {}, short(c._id)), el("div", { class: "muted" }, `${label("department", c.department)} · ${(c.body || "").slice(0, 24)}`)),
        el("td", {}, label("approval", a.kind)),
        el("td", {}, a.kind === "cost" ? el("b", {}, `${a.amount} CNY`) : (a.plan || "").slice(0, 80)),
        el("td", {}, label("role", a.required_role), mine ? "" : el("div", { class: "muted" }, "超出您的权限 beyond your authority")),
        el("td", {}, `${a.requested_by} ${when(a.requested_at)}`),
        el("td", {}, reason),
        el("td", {}, el("button", { type: "button", "data-decision": "approve", onclick: () => decide(row, c._id, a.id, "approve", reason.value) }, "批准 Approve"),
          " ", el("button", { type: "button", class: "secondary", "data-decision": "reject", onclick: () => decide(row, c._id, a.id, "reject", reason.value) }, "驳回 Reject")));
      rows.push(row);
    }
  }
  $("approvals-table").tBodies[0].replaceChildren(...rows);
  if (!rows.length) $("approvals-table").tBodies[0].append(el("tr", {}, el("td", { colSpan: 7, class: "empty" }, "暂无待审批 Nothing waiting")));
}

async function decide(row, caseId, approvalId, decision, reason) {
  try {
    const c = await call("routing", `/cases/${caseId}/approvals/${approvalId}/${decision}`, { method: "POST", body: reason ? { reason } : {} });
    const a = c.approvals.find((x) => x.id === approvalId);
    row.dataset.status = a.status;
    row.classList.add("decided");
    row.lastChild.replaceChildren(el("b", { class: a.status === "approved" ? "ok" : "hot" }, a.status === "approved" ? "已批准 Approved" : "已驳回 Rejected"));
    show($("ap-msg"), `${short(caseId)} ${approvalId}: ${a.status}`, true);
  } catch (err) {
    row.dataset.refused = String(err.status);
    show($("ap-msg"), `${short(caseId)} ${approvalId} — ${err.message}`, false);
  }
}

// --- wiring ------------------------------------------------------------------------------------
fillOptions();
$("login").addEventListener("submit", (e) => { e.preventDefault(); $("login-error").textContent = ""; login($("token").value.trim()); });
$("logout").addEventListener("click", () => logout());
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => switchTo(b.dataset.tab));
$("lookup").addEventListener("submit", (e) => { e.preventDefault(); lookup($("call-phone").value.trim()).catch((err) => { $("lookup-msg").textContent = err.message; }); });
$("call-property").addEventListener("change", pickProperty);
$("call-text").addEventListener("input", classifySoon);
$("cls-kind").addEventListener("change", classifySoon);
$("call-form").addEventListener("submit", (e) => { e.preventDefault(); submitCall(); });
$("call-new").addEventListener("click", resetCall);
for (const id of ["q-department", "q-status", "q-kind", "q-overdue"]) $(id).addEventListener("change", () => loadQueue().catch((e) => show($("queue-msg"), e.message, false)));
$("q-refresh").addEventListener("click", () => loadQueue().catch((e) => show($("queue-msg"), e.message, false)));
for (const b of document.querySelectorAll("#cd-actions button")) b.addEventListener("click", () => caseAction(b.dataset.action));
for (const b of document.querySelectorAll("#cd-wo-actions button[data-wo]")) b.addEventListener("click", () => workOrder(b.dataset.wo));
$("cd-ask-cost").addEventListener("click", askCost);
$("ap-refresh").addEventListener("click", () => loadApprovals().catch((e) => show($("ap-msg"), e.message, false)));
if (state.token) login(state.token);
