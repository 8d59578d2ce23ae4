import uPlot from 'uplot';
import { ApiError, get } from './api.js';
import { fill, h, table } from './dom.js';

function rowsTable(id, caption, columns, rows) {
  return table({
    id,
    caption,
    columns,
    className: 'compact',
    body: h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v) => h('td', {}, v ?? '—'))))),
  });
}

function chartData(timeline) {
  const at = [];
  const completed = [];
  const failed = [];
  const inFlight = [];
  for (const i of timeline?.intervals ?? []) {
    at.push(i.at);
    completed.push(i.completed);
    failed.push(i.failed);
    inFlight.push(i.in_flight);
  }
  return [at, completed, failed, inFlight];
}

/**
 * The report of a batch (GET /v1/batches/{id}/report): its timeline as a chart, latency, retries,
 * errors by code and usage. Where the deployment has no report for it (404), it says so.
 */
export function reportView() {
  const chart = h('div', { class: 'chart', id: 'timeline-chart', role: 'img', 'aria-label': 'Timeline' });
  // The chart's numbers as a table too, for whoever does not see the chart.
  const numbers = h('tbody');
  const data = h(
    'details',
    { id: 'timeline-data' },
    h('summary', {}, 'The timeline as a table'),
    table({
      caption: 'Lines completed, failed and in flight, by interval',
      hideCaption: true,
      className: 'compact',
      columns: ['interval from', 'completed', 'failed', 'in flight'],
      body: numbers,
    }),
  );
  const body = h('div', { id: 'report-body' });
  const el = h(
    'section',
    { id: 'report', 'aria-labelledby': 'report-heading' },
    h('h3', { id: 'report-heading' }, 'Report'),
    chart,
    data,
    body,
  );
  let plot = null;
  const view = { el, final: false };

  function draw(timeline) {
    const data = chartData(timeline);
    const width = Math.max(260, Math.min(900, el.clientWidth || 600));
    if (plot) {
      plot.setData(data);
      return;
    }
    plot = new uPlot(
      {
        width,
        height: 240,
        title: 'Lines over time',
        series: [
          {},
          { label: 'completed', stroke: '#1a7f37', width: 2 },
          { label: 'failed', stroke: '#cf222e', width: 2, dash: [6, 3] },
          { label: 'in flight', stroke: '#0969da', width: 2, dash: [2, 2] },
        ],
        axes: [{}, { label: 'lines' }],
      },
      data,
      chart,
    );
  }

  function render(r) {
    const latency = r.latency_ms;
    const counts = r.timeline?.intervals ?? [];
    chart.setAttribute(
      'aria-label',
      `Timeline of ${counts.length} intervals of ${r.timeline?.interval_seconds ?? '?'} s: lines completed, failed and in flight`,
    );
    draw(r.timeline);
    fill(
      numbers,
      counts.map((i) =>
        h('tr', {}, h('td', {}, new Date(i.at * 1000).toLocaleTimeString()), [i.completed, i.failed, i.in_flight].map((n) => h('td', {}, String(n)))),
      ),
    );
    const perLine = Object.entries(r.attempts?.per_line ?? {});
    const byStatus = Object.entries(r.attempts?.retries_by_status ?? {});
    fill(
      body,
      h('h4', {}, 'Endpoint latency'),
      h(
        'dl',
        { id: 'latency' },
        ['p50', 'p90', 'p99', 'max'].map((p) => [
          h('dt', {}, `Latency ${p}`),
          h('dd', { 'data-latency': p }, latency?.[p] == null ? '—' : `${latency[p]} ms`),
        ]),
        h('dt', {}, 'Lines timed'),
        h('dd', {}, String(latency?.count ?? 0)),
      ),
      rowsTable('report-attempts', 'Attempts per line', ['attempts', 'lines'], perLine),
      rowsTable('report-retries', 'Retries by cause', ['cause', 'retries'], byStatus),
      rowsTable(
        'report-errors',
        'Errors by code',
        ['code', 'status', 'lines', 'examples'],
        (r.errors_by_code ?? []).map((e) => [
          e.code ?? '—',
          e.status_code == null ? '—' : String(e.status_code),
          String(e.count),
          h('ul', {}, (e.examples ?? []).map((x) => h('li', {}, h('code', {}, x.custom_id ?? '—'), ': ', x.message ?? ''))),
        ]),
      ),
      rowsTable(
        'report-usage',
        'Usage by model',
        ['model', 'requests', 'input tokens', 'output tokens', 'total tokens'],
        (r.usage_by_model ?? []).map((u) => [u.model, u.requests, u.input_tokens, u.output_tokens, u.total_tokens].map(String)),
      ),
      r.phases ? h('h4', {}, 'Time in each phase') : null,
      r.phases
        ? h(
            'dl',
            { id: 'report-phases' },
            Object.entries(r.phases).map(([k, v]) => [
              h('dt', {}, k.replace(/_seconds$/, '').replace(/_/g, ' ')),
              h('dd', {}, v == null ? '—' : `${v} s`),
            ]),
          )
        : null,
      r.cost
        ? h(
            'p',
            {},
            `Estimated cost: ${r.cost.total_usd} ${r.cost.currency} (${r.cost.prices}); endpoint time ${r.cost.gpu_seconds} s`,
          )
        : null,
    );
  }

  view.refresh = async (batchId) => {
    try {
      const r = await get(`/batches/${encodeURIComponent(batchId)}/report`);
      chart.hidden = false;
      data.hidden = false;
      render(r);
      view.final = ['completed', 'failed', 'expired', 'cancelled'].includes(r.status);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      // No report (a deployment without the route, or none for this batch yet): the page goes on.
      chart.hidden = true;
      data.hidden = true;
      fill(body, h('p', { id: 'no-report' }, 'No report yet.'));
      view.final = e.status === 404;
    }
  };
  return view;
}
