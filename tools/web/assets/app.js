/*
 * app.js -- the pages of baocao-web: fetch the page's JSON from the desk
 * (/api/dashboard, /api/completeness), draw it.
 *
 * Every figure comes from the hub; this file only formats it, the
 * Vietnamese way (1.234 and 8,50 %), and builds the DOM with textContent
 * only, so that no unit or indicator name is ever parsed as HTML. The
 * page's state lives in the URL (?unit=&period=&indicator=), so a drill
 * down is a link, the Back button works and a page can be bookmarked.
 */
'use strict';

/* --- formatting ------------------------------------------------------------ */

function groupThousands(intText) {
  return intText.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

/* 7492 -> "7.492"; 8.502 with 2 decimals -> "8,50"; null -> "–". */
function fmtNum(v, decimals) {
  if (v === null || v === undefined) return '–';
  const neg = v < 0;
  const text = Math.abs(v).toFixed(decimals || 0);
  const [i, d] = text.split('.');
  return (neg ? '-' : '') + groupThousands(i) + (d ? ',' + d : '');
}

function fmtPct(v, decimals) {
  return v === null || v === undefined ? '–' : fmtNum(v, decimals) + ' %';
}

function fmtValue(fig, v) {
  if (fig.kind !== 'ratio') return fmtNum(v, 0);
  if (v === null || v === undefined) return '–';
  return fig.scale === 100 ? fmtPct(v, 2)
                           : fmtNum(v, 2) + ' /' + fmtNum(fig.scale, 0);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

/* A change with its arrow: up, down or level. */
function changeCell(delta, pct) {
  const td = el('td', 'num change');
  if (delta === null || delta === undefined) {
    td.textContent = '–';
    return td;
  }
  const dir = delta > 0 ? 'up' : delta < 0 ? 'down' : 'level';
  td.classList.add(dir);
  const arrow = dir === 'up' ? '▲ ' : dir === 'down' ? '▼ ' : '● ';
  let text = arrow + (delta > 0 ? '+' : '') + fmtNum(delta, 0);
  if (pct !== null && pct !== undefined)
    text += ' (' + (pct > 0 ? '+' : '') + fmtPct(pct, 1) + ')';
  td.textContent = text;
  return td;
}

/* --- page state ------------------------------------------------------------ */

function params() {
  const q = new URLSearchParams(location.search);
  return {unit: q.get('unit') || 'HP', period: q.get('period') || '',
          indicator: q.get('indicator') || ''};
}

function query(p) {
  const q = new URLSearchParams();
  for (const k of ['unit', 'period', 'indicator'])
    if (p[k]) q.set(k, p[k]);
  return q.toString();
}

function setStatus(text, isError) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.classList.toggle('error', !!isError);
}

async function getJSON(url) {
  const r = await fetch(url, {credentials: 'same-origin'});
  const body = await r.json().catch(() => ({error: 'HTTP ' + r.status}));
  if (!r.ok) throw new Error(body.error || 'HTTP ' + r.status);
  return body;
}

function drawPath(doc, page) {
  const nav = document.getElementById('path');
  nav.replaceChildren();
  doc.path.forEach((u, i) => {
    if (i) nav.appendChild(document.createTextNode(' › '));
    const a = el('a', null, u.name);
    const p = params();
    a.href = page + '?' + query({unit: u.code, period: doc.period,
                                 indicator: p.indicator});
    nav.appendChild(a);
  });
}

function fillForm(p) {
  document.getElementById('unit').value = p.unit;
  document.getElementById('period').value = p.period;
  document.getElementById('pick').addEventListener('submit', ev => {
    ev.preventDefault();
    const np = {unit: document.getElementById('unit').value.trim(),
                period: document.getElementById('period').value.trim()};
    const ind = document.getElementById('indicator');
    if (ind) np.indicator = ind.value;
    location.search = query(np);
  });
}

/* The navigation links keep the unit and period from page to page. */
function linkPages(p) {
  const q = query({unit: p.unit, period: p.period});
  document.getElementById('nav-dashboard').href = '/?' + q;
  document.getElementById('nav-completeness').href = '/completeness?' + q;
}

/* --- dashboard ------------------------------------------------------------- */

const FIGURE_COLUMNS = ['Chỉ tiêu', 'Tháng', 'Cộng dồn năm', 'So tháng trước',
                        'Cùng kỳ năm trước', 'So cùng kỳ', '% kế hoạch'];

function figureTable(group) {
  const table = el('table', 'grid figures');
  const head = table.createTHead().insertRow();
  for (const c of FIGURE_COLUMNS) head.appendChild(el('th', null, c));
  const body = table.createTBody();
  for (const f of group.figures) {
    const tr = body.insertRow();
    tr.dataset.indicator = f.indicator;
    if (f.value === null) tr.classList.add('empty');
    tr.appendChild(el('td', 'name', f.name));
    tr.appendChild(el('td', 'num value', fmtValue(f, f.value)));
    tr.appendChild(el('td', 'num cumulative', fmtValue(f, f.cumulative)));
    tr.appendChild(changeCell(f.change_previous, null));
    tr.appendChild(el('td', 'num last-year',
                      fmtValue(f, f.same_period_last_year)));
    tr.appendChild(changeCell(f.change_last_year, f.change_last_year_pct));
    tr.appendChild(el('td', 'num target-pct', fmtPct(f.target_pct, 1)));
  }
  return table;
}

function drawChildren(doc, p) {
  const tbody = document.querySelector('#children tbody');
  tbody.replaceChildren();
  const fig = {kind: doc.indicator_kind, scale: doc.indicator_scale};
  document.getElementById('children-title').textContent =
    'Xếp hạng đơn vị trực thuộc: ' + doc.indicator_name;
  for (const c of doc.children) {
    const tr = tbody.insertRow();
    tr.dataset.unit = c.unit;
    tr.className = 'drill';
    tr.title = 'Xem ' + c.name;
    tr.appendChild(el('td', 'num', String(c.rank)));
    const name = el('td', 'name');
    const a = el('a', null, c.name);
    a.href = '/?' + query({unit: c.unit, period: p.period,
                           indicator: doc.indicator});
    name.appendChild(a);
    tr.appendChild(name);
    tr.appendChild(el('td', 'num value', fmtValue(fig, c.value)));
    tr.appendChild(el('td', 'num', fmtValue(fig, c.cumulative)));
    tr.appendChild(el('td', 'num', fmtPct(c.target_pct, 1)));
    tr.appendChild(el('td', 'num', fmtPct(c.share, 1)));
    tr.addEventListener('click', ev => {
      if (ev.target.tagName !== 'A') location.href = a.href;
    });
  }
  if (!doc.children.length) {
    const tr = tbody.insertRow();
    const td = el('td', null, 'Đơn vị này không có đơn vị trực thuộc.');
    td.colSpan = 6;
    tr.appendChild(td);
  }
}

let chart = null;

function drawChart(doc) {
  const year = doc.chart.year;
  document.getElementById('chart-title').textContent =
    'Diễn biến theo tháng: ' + doc.indicator_name + ', ' + year + ' so với ' +
    (year - 1);
  if (typeof Chart === 'undefined') return;   /* the page still works */
  const labels = [];
  for (let m = 1; m <= 12; m++) labels.push('T' + m);
  const data = {labels, datasets: [
    {label: String(year), data: doc.chart.this_year, borderColor: '#c0392b',
     backgroundColor: '#c0392b', spanGaps: false},
    {label: String(year - 1), data: doc.chart.last_year,
     borderColor: '#7f8c8d', backgroundColor: '#7f8c8d', borderDash: [6, 4]}]};
  const decimals = doc.indicator_kind === 'ratio' ? 2 : 0;
  const options = {animation: false, responsive: false,
    scales: {y: {beginAtZero: true,
                 ticks: {callback: v => fmtNum(v, decimals)}}},
    plugins: {tooltip: {callbacks: {
      label: c => c.dataset.label + ': ' + fmtNum(c.parsed.y, decimals)}}}};
  if (chart) chart.destroy();
  chart = new Chart(document.getElementById('chart'),
                    {type: 'line', data, options});
}

async function dashboard() {
  const p = params();
  fillForm(p);
  linkPages(p);
  if (!p.period) {
    setStatus('Chọn đơn vị và kỳ báo cáo (YYYY-MM).');
    return;
  }
  setStatus('Đang tải…');
  let doc;
  try {
    doc = await getJSON('/api/dashboard?' + query(p));
  } catch (e) {
    setStatus('Không lấy được số liệu: ' + e.message, true);
    return;
  }
  drawPath(doc, '/');
  document.getElementById('title').textContent =
    doc.unit_name + ' — tháng ' + doc.period.slice(5) + '/' +
    doc.period.slice(0, 4) +
    (doc.approval ? ' — đã phê duyệt (' + doc.approval.unit + ' ' +
     doc.approval.period + ', ' + (doc.approval.approved_by || 'plain') +
     ', ' + doc.approval.approved_at + ')' : '');
  const sel = document.getElementById('indicator');
  sel.replaceChildren();
  const box = document.getElementById('programmes');
  box.replaceChildren();
  for (const g of doc.programmes) {
    const og = el('optgroup');
    og.label = g.name || 'Khác';
    for (const f of g.figures) {
      const o = el('option', null, f.name);
      o.value = f.indicator;
      if (f.indicator === doc.indicator) {
        o.selected = true;
        doc.indicator_kind = f.kind;
        doc.indicator_scale = f.scale;
      }
      og.appendChild(o);
    }
    sel.appendChild(og);
    /* Programmes with no figure at all for the month fold away. */
    const any = g.figures.some(f => f.value !== null);
    const sec = el('details', 'programme');
    sec.open = any;
    sec.appendChild(el('summary', null, (g.name || 'Khác') +
                       (any ? '' : ' (chưa có số liệu)')));
    sec.appendChild(figureTable(g));
    box.appendChild(sec);
  }
  sel.addEventListener('change', () => {
    location.search = query({unit: p.unit, period: p.period,
                             indicator: sel.value});
  });
  const q = query({unit: doc.unit, period: doc.period,
                   indicator: doc.indicator});
  document.getElementById('csv-figures').href = '/export/dashboard.csv?' + q;
  document.getElementById('csv-children').href = '/export/children.csv?' + q;
  document.getElementById('xlsx-dashboard').href =
    '/export/dashboard.xlsx?' + q;
  drawChildren(doc, p);
  drawChart(doc);
  document.getElementById('content').hidden = false;
  setStatus('');
}

/* --- completeness ---------------------------------------------------------- */

const STATE_TEXT = {on_time: 'đúng hạn', late: 'muộn', missing: 'chưa gửi'};

async function completeness() {
  const p = params();
  fillForm(p);
  linkPages(p);
  if (!p.period) {
    setStatus('Chọn đơn vị và kỳ báo cáo (YYYY-MM).');
    return;
  }
  setStatus('Đang tải…');
  let doc;
  try {
    doc = await getJSON('/api/completeness?' + query(p));
  } catch (e) {
    setStatus('Không lấy được số liệu: ' + e.message, true);
    return;
  }
  drawPath(doc, '/completeness');
  document.getElementById('title').textContent =
    'Tình hình gửi báo cáo: ' + doc.unit_name + ', năm ' +
    doc.period.slice(0, 4);
  const grid = document.getElementById('grid');
  const head = grid.tHead;
  head.replaceChildren();
  const hr = head.insertRow();
  hr.appendChild(el('th', null, 'Đơn vị'));
  for (const m of doc.months)
    hr.appendChild(el('th', null, 'T' + Number(m.period.slice(5))));
  hr.appendChild(el('th', null, 'Tỷ lệ gửi'));
  const body = grid.tBodies[0];
  body.replaceChildren();
  for (const u of doc.units) {
    const tr = body.insertRow();
    tr.dataset.unit = u.unit;
    tr.appendChild(el('td', 'name', u.name));
    doc.months.forEach((m, i) => {
      const st = u.states[i];
      const td = el('td', 'state ' + (st || 'none'),
                    st ? STATE_TEXT[st] : '');
      td.dataset.period = m.period;
      td.dataset.state = st || '';
      td.title = u.name + ', ' + m.period + ': ' + (st ? STATE_TEXT[st] : '');
      tr.appendChild(td);
    });
    tr.appendChild(el('td', 'num', fmtPct(u.rate_pct, 1)));
  }
  const foot = grid.tFoot;
  foot.replaceChildren();
  const fr = foot.insertRow();
  fr.appendChild(el('th', null, 'Tỷ lệ gửi'));
  for (const m of doc.months)
    fr.appendChild(el('td', 'num', fmtPct(m.rate_pct, 1)));
  fr.appendChild(el('td'));
  document.getElementById('missing-period').textContent =
    doc.period.slice(5) + '/' + doc.period.slice(0, 4);
  const mb = document.querySelector('#missing tbody');
  mb.replaceChildren();
  for (const m of doc.missing) {
    const tr = mb.insertRow();
    tr.dataset.unit = m.unit;
    tr.appendChild(el('td', null, m.unit));
    tr.appendChild(el('td', null, m.name));
    const td = el('td');
    if (m.phone) {
      const a = el('a', null, m.phone);
      a.href = 'tel:' + m.phone.replace(/[^0-9+]/g, '');
      td.appendChild(a);
    } else {
      td.textContent = '–';
    }
    tr.appendChild(td);
  }
  document.getElementById('missing').hidden = !doc.missing.length;
  document.getElementById('none-missing').hidden = !!doc.missing.length;
  const cq = query({unit: doc.unit, period: doc.period});
  document.getElementById('csv-grid').href = '/export/completeness.csv?' + cq;
  document.getElementById('xlsx-grid').href =
    '/export/completeness.xlsx?' + cq;
  document.getElementById('content').hidden = false;
  setStatus('');
}

/* --- login and session ---------------------------------------------------- */

function login() {
  const q = new URLSearchParams(location.search);
  const next = q.get('next') || '/';
  document.getElementById('next').value = next;
  if (q.get('failed'))
    setStatus('Sai tên đăng nhập hoặc mật khẩu.', true);
}

/* Who is logged in, and the CSRF token the logout form must carry. */
async function session() {
  const form = document.getElementById('logout');
  if (!form) return;
  try {
    const s = await getJSON('/api/session');
    if (!s.login) return;                 /* a desk without login */
    document.getElementById('who').textContent = s.name;
    document.getElementById('csrf').value = s.csrf;
    form.hidden = false;
    const enrol = document.getElementById('nav-enrol');
    if (enrol) enrol.hidden = false;
    return s;
  } catch (e) { /* the page itself will say what is wrong */ }
}

/* --- enrolment ------------------------------------------------------------- */

async function loadPending() {
  const doc = await getJSON('/api/enrolments');
  const tbody = document.querySelector('#pending tbody');
  tbody.replaceChildren();
  if (!doc.enabled) {
    setStatus('Bàn làm việc này không duyệt khoá (chạy với --operators và ' +
              '--pending).', true);
    return;
  }
  for (const p of doc.pending) {
    const tr = tbody.insertRow();
    tr.dataset.fingerprint = p.fingerprint;
    tr.dataset.approved = p.approved ? '1' : '0';
    tr.appendChild(el('td', 'fingerprint', p.fingerprint));
    tr.appendChild(el('td', null,
      new Date(p.first_seen * 1000).toLocaleString('vi-VN')));
    tr.appendChild(el('td', null, p.address));
    tr.appendChild(el('td', p.approved ? 'state on_time' : 'state late',
                      p.approved ? 'đã duyệt' : 'chờ duyệt'));
  }
}

async function enrolPage() {
  const s = await session();
  loadPending().catch(e => setStatus(e.message, true));
  document.getElementById('approve').addEventListener('submit', async ev => {
    ev.preventDefault();
    const body = new URLSearchParams({
      unit: document.getElementById('enrol-unit').value.trim(),
      fingerprint: document.getElementById('enrol-fp').value.trim(),
      csrf: s ? s.csrf : ''});
    const r = await fetch('/api/enroll', {method: 'POST', body,
                                          credentials: 'same-origin'});
    const doc = await r.json().catch(() => ({error: 'HTTP ' + r.status}));
    if (r.ok)
      setStatus('Đã duyệt khoá ' + doc.fingerprint + ' cho ' + doc.unit +
                (doc.hub_reloaded ? '; máy chủ tỉnh đã nạp lại khoá.'
                                  : '; hãy báo máy chủ tỉnh nạp lại khoá.'));
    else
      setStatus('Chưa duyệt: ' + doc.error, true);
    loadPending();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  if (page === 'login') return login();
  if (page === 'enrol') return enrolPage();
  session();
  (page === 'completeness' ? completeness : dashboard)();
});
