/*
 * form.js -- the station's form: builds the fields from the node's
 * catalogue (/api/form), files through /api/file, shows each error next to
 * its field, and lists what was filed with its delivery state.
 *
 * A disaggregated indicator (issue 17: one the hub breaks down by sex,
 * age, ...) gets a grid: rows the options of its first categories,
 * columns those of its last (one row for a single category), one input
 * per combination named as the node gives it (the combination's code),
 * sums by row and column, and the total: the indicator's own field, kept
 * for totals alone. Its value is the cells' sum, computed as they are
 * typed, unless staff typed a total themselves: then it is sent with the
 * cells and the node refuses it if they do not add up to it, as the hub
 * would. A computed total is not sent (the hub sums the cells itself), so
 * the report is exactly the CSV rows `indicator,sex,age,value` of the
 * cells typed.
 *
 * The checks that matter run on the node (node_form.c: the hub's
 * catalogue and rules, as `baocao submit` checks them); the ones here
 * only spare a round trip. A failing rule comes back next to each field
 * it names. Everything is built with textContent.
 */
'use strict';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

const STATE = {pending: 'chờ gửi', in_flight: 'đang gửi',
               delivered: 'đã gửi tới tỉnh', rejected: 'bị từ chối'};

function showErrors(errors) {
  for (const e of document.querySelectorAll('.field-error'))
    e.textContent = '';
  for (const e of document.querySelectorAll('input.invalid'))
    e.classList.remove('invalid');
  let first = null;
  for (const [field, msg] of Object.entries(errors || {})) {
    const input = document.querySelector(`input[name="${CSS.escape(field)}"]`);
    /* A grid's cells share the box under the grid: each message says its
     * cell. */
    const box = document.getElementById('err-' + field) ||
      (input && input.dataset.grid &&
       document.getElementById('err-' + input.dataset.grid));
    if (box) box.textContent += (box.textContent ? '; ' : '') + msg;
    if (input) {
      input.classList.add('invalid');
      first = first || input;
    }
  }
  if (first) first.focus();
}

function localCheck(input) {
  const v = input.value.trim();
  if (v === '' || input.name === 'period') return null;
  if (!/^-?[0-9]+([.,][0-9]*)?$/.test(v)) return 'Phải là một số';
  if (/[.,]/.test(v)) return 'Phải là số nguyên (không có phần thập phân)';
  if (v.startsWith('-')) return 'Không được là số âm';
  return null;
}

async function loadReports() {
  const r = await fetch('/api/reports');
  const doc = await r.json();
  const tbody = document.querySelector('#reports tbody');
  tbody.replaceChildren();
  for (const rep of doc.reports) {
    const tr = tbody.insertRow();
    tr.dataset.period = rep.period;
    tr.dataset.state = rep.state;
    tr.appendChild(el('td', null, rep.period));
    tr.appendChild(el('td', 'num', String(rep.revision)));
    tr.appendChild(el('td', null,
      new Date(rep.filed_at * 1000).toLocaleString('vi-VN')));
    tr.appendChild(el('td', 'state ' + rep.state, STATE[rep.state]));
    tr.appendChild(el('td', null, rep.reason
      ? rep.reason + (rep.hub_message ? ' (' + rep.hub_message + ')' : '')
      : ''));
  }
  document.getElementById('link').textContent = doc.last_error
    ? 'Chưa kết nối được tới tỉnh: báo cáo được giữ trong máy và sẽ tự gửi.'
    : '';
}

/* --- grids (issue 17) ---------------------------------------------------- */

const GRIDS = [];   /* {code, total, cells, rows, cols, note} per grid */

/* A cell's whole number, or null when empty or not one (localCheck says
 * why). */
function cellValue(input) {
  const v = input.value.trim();
  return /^[0-9]+$/.test(v) ? Number(v) : null;
}

/* The sums of one grid, and its total unless staff typed it. What the
 * node said about the grid is stale once it changes. */
function recompute(g) {
  document.getElementById('err-' + g.code).textContent = '';
  for (const input of g.cells.concat([g.total]))
    input.classList.remove('invalid');
  let any = false, bad = false, sum = 0;
  const rowSum = new Array(g.rows.length).fill(null);
  const colSum = new Array(g.cols.length).fill(null);
  g.cells.forEach((input, i) => {
    if (input.value.trim() === '') return;
    any = true;
    const v = cellValue(input);
    if (v === null) { bad = true; return; }
    const r = Math.floor(i / g.width), c = i % g.width;
    rowSum[r] = (rowSum[r] || 0) + v;
    colSum[c] = (colSum[c] || 0) + v;
    sum += v;
  });
  g.rows.forEach((o, r) => { o.textContent = rowSum[r] === null ? '' :
                                             String(rowSum[r]); });
  g.cols.forEach((o, c) => { o.textContent = colSum[c] === null ? '' :
                                             String(colSum[c]); });
  const t = g.total;
  if (!t.dataset.typed)
    t.value = any && !bad ? String(sum) : '';
  t.classList.toggle('computed', any && !t.dataset.typed);
  /* Booleans: toggle(name, undefined) would flip the class. */
  const typed = !!t.dataset.typed && cellValue(t) !== null;
  const off = typed && any && !bad && cellValue(t) !== sum;
  t.classList.toggle('mismatch', off);
  g.note.textContent = off
    ? 'Tổng các ô là ' + sum + ', khác tổng đã nhập ' + t.value.trim() +
      ' (chênh lệch ' + (cellValue(t) - sum) + ')'
    : any && !t.dataset.typed ? 'Tổng tự tính từ các ô' : '';
}

function gridOf(ind) {
  const cats = ind.categories;
  const last = cats[cats.length - 1];
  const front = cats.slice(0, -1);
  const nrows = front.reduce((n, c) => n * c.options.length, 1);
  const wrap = el('div', 'breakdown');
  wrap.dataset.indicator = ind.code;
  wrap.appendChild(el('span', 'name', ind.name));
  const table = el('table', 'cells');
  table.id = 'grid-' + ind.code;
  /* One category: a single row of cells ending with the total. */
  const single = front.length === 0;
  const head = table.createTHead().insertRow();
  if (!single) head.appendChild(el('th', null, ''));
  for (const o of last.options) head.appendChild(el('th', null, o.name));
  head.appendChild(el('th', 'sum', 'Cộng'));
  const body = table.createTBody();
  const g = {code: ind.code, cells: [], rows: [], cols: [],
             width: last.options.length};
  for (let r = 0; r < nrows; r++) {
    /* The row's options, the first category varying slowest. */
    const names = [];
    let rest = r;
    for (let k = front.length - 1; k >= 0; k--) {
      const n = front[k].options.length;
      names.unshift(front[k].options[rest % n].name);
      rest = Math.floor(rest / n);
    }
    const tr = body.insertRow();
    if (!single) tr.appendChild(el('th', null, names.join(', ')));
    last.options.forEach((o, c) => {
      const input = el('input');
      input.name = ind.cells[r * last.options.length + c];
      input.inputMode = 'numeric';
      input.autocomplete = 'off';
      input.size = 6;
      input.dataset.grid = ind.code;
      input.dataset.label = names.concat([o.name]).join(', ');
      input.setAttribute('aria-label', ind.name + ': ' + input.dataset.label);
      input.addEventListener('input', () => recompute(g));
      input.addEventListener('change', () => {
        input.classList.toggle('invalid', !!localCheck(input));
      });
      g.cells.push(input);
      tr.insertCell().appendChild(input);
    });
    if (!single) {
      const out = el('td', 'sum');
      g.rows.push(out);
      tr.appendChild(out);
    }
  }
  /* Sums by column, and the total at the corner. */
  let corner = body.rows[0];
  if (!single) {
    corner = table.createTFoot().insertRow();
    corner.appendChild(el('th', null, 'Cộng'));
    for (let c = 0; c < last.options.length; c++) {
      const out = el('td', 'sum');
      g.cols.push(out);
      corner.appendChild(out);
    }
  }
  const total = el('input', 'total');
  total.name = ind.code;
  total.id = 'f-' + ind.code;
  total.inputMode = 'numeric';
  total.autocomplete = 'off';
  total.size = 8;
  total.title = 'Tổng: tự tính từ các ô, hoặc nhập riêng tổng khi không ' +
                'có số liệu theo từng ô';
  total.setAttribute('aria-label', ind.name + ': tổng');
  total.addEventListener('input', () => {
    total.dataset.typed = total.value.trim() !== '' ? '1' : '';
    recompute(g);
  });
  total.addEventListener('change', () => {
    total.classList.toggle('invalid', !!localCheck(total));
  });
  g.total = total;
  corner.insertCell().appendChild(total);
  wrap.appendChild(table);
  g.note = el('span', 'grid-note');
  g.note.id = 'sum-' + ind.code;
  wrap.appendChild(g.note);
  const err = el('span', 'field-error');
  err.id = 'err-' + ind.code;
  wrap.appendChild(err);
  GRIDS.push(g);
  return wrap;
}

function figureOf(ind) {
  const label = el('label', 'figure');
  label.appendChild(el('span', 'name', ind.name));
  const input = el('input');
  input.name = ind.code;
  input.id = 'f-' + ind.code;
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  input.size = 8;
  input.addEventListener('change', () => {
    const why = localCheck(input);
    document.getElementById('err-' + ind.code).textContent = why || '';
    input.classList.toggle('invalid', !!why);
  });
  label.appendChild(input);
  const err = el('span', 'field-error');
  err.id = 'err-' + ind.code;
  label.appendChild(err);
  return label;
}

async function file(ev) {
  ev.preventDefault();
  const form = document.getElementById('report');
  const errors = {};
  for (const input of form.querySelectorAll('input')) {
    const why = localCheck(input);
    if (why) errors[input.name] = (input.dataset.label ?
                                   input.dataset.label + ': ' : '') + why;
  }
  if (Object.keys(errors).length) {
    showErrors(errors);
    const status = document.getElementById('status');
    status.textContent = 'Có số liệu chưa đúng: chưa lưu.';
    status.classList.add('error');
    return;
  }
  const body = new URLSearchParams(new FormData(form));
  for (const g of GRIDS)
    if (!g.total.dataset.typed) body.delete(g.code);  /* the hub sums */
  const r = await fetch('/api/file', {method: 'POST', body,
    headers: {'X-Baocao-Form': '1'}});
  const doc = await r.json().catch(() => ({errors: {form: 'HTTP ' + r.status}}));
  showErrors(doc.errors);
  const status = document.getElementById('status');
  if (r.ok) {
    /* Warnings (rules of importance "warning") do not stop filing: say
     * them with the confirmation, as the fields are emptied. */
    const notes = Object.entries(doc.warnings || {})
      .map(([field, msg]) => field + ': ' + msg);
    if (doc.unchecked) notes.push(doc.unchecked);
    status.textContent = 'Đã lưu báo cáo kỳ ' + doc.period + ' (lần ' +
      doc.revision + ', ' + doc.figures + ' số liệu). Máy sẽ gửi lên tỉnh.' +
      (notes.length ? ' Cảnh báo: ' + notes.join('; ') : '');
    status.classList.remove('error');
    for (const input of document.querySelectorAll('#fields input')) {
      input.value = '';
      delete input.dataset.typed;
    }
    GRIDS.forEach(recompute);
  } else {
    status.textContent = 'Có số liệu chưa đúng: chưa lưu.';
    status.classList.add('error');
  }
  loadReports();
}

async function start() {
  const r = await fetch('/api/form');
  const doc = await r.json();
  if (!r.ok) {
    /* No catalogue yet: the node is asking the hub; try again soon. */
    document.getElementById('status').textContent = doc.error;
    setTimeout(start, 3000);
    return;
  }
  document.getElementById('status').textContent = '';
  document.getElementById('unit').textContent = doc.unit;
  document.getElementById('period').value = doc.period;
  const box = document.getElementById('fields');
  for (const g of doc.programmes) {
    const fs = el('fieldset', 'programme');
    fs.appendChild(el('legend', null, g.name || 'Khác'));
    for (const ind of g.indicators)
      fs.appendChild(ind.categories ? gridOf(ind) : figureOf(ind));
    box.appendChild(fs);
  }
  document.getElementById('report').addEventListener('submit', file);
  loadReports();
  setInterval(loadReports, 3000);
}

document.addEventListener('DOMContentLoaded', start);
