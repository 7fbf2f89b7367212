/*
 * form.js -- the station's form: builds the fields from the node's
 * catalogue (/api/form), files through /api/file, shows each error next to
 * its field, and lists what was filed with its delivery state.
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
    const box = document.getElementById('err-' + field);
    if (box) box.textContent = msg;
    const input = document.querySelector(`input[name="${CSS.escape(field)}"]`);
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

async function file(ev) {
  ev.preventDefault();
  const form = document.getElementById('report');
  const errors = {};
  for (const input of form.querySelectorAll('input')) {
    const why = localCheck(input);
    if (why) errors[input.name] = why;
  }
  if (Object.keys(errors).length) {
    showErrors(errors);
    const status = document.getElementById('status');
    status.textContent = 'Có số liệu chưa đúng: chưa lưu.';
    status.classList.add('error');
    return;
  }
  const body = new URLSearchParams(new FormData(form));
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
      doc.revision + ', ' + doc.figures + ' chỉ tiêu). Máy sẽ gửi lên tỉnh.' +
      (notes.length ? ' Cảnh báo: ' + notes.join('; ') : '');
    status.classList.remove('error');
    for (const input of document.querySelectorAll('#fields input'))
      input.value = '';
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
    for (const ind of g.indicators) {
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
      fs.appendChild(label);
    }
    box.appendChild(fs);
  }
  document.getElementById('report').addEventListener('submit', file);
  loadReports();
  setInterval(loadReports, 3000);
}

document.addEventListener('DOMContentLoaded', start);
