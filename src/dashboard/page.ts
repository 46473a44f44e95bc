// The page and its script, as strings compiled into the CLI: the dashboard works offline and from
// the installed package, with nothing fetched from a CDN. The script is plain browser JavaScript (no
// framework, no build step of its own); the charts are drawn by uPlot (a small, fast time-series
// library, served beside the page as uplot.js and uplot.css: see uplot-assets.ts and
// docs/dashboard.md). Everything from the server is put in the page with textContent, never as HTML,
// so a group or topic name cannot inject markup. `{{q}}` in the page is the server's `?token=…` (or
// nothing), so the page's own assets pass the token check as the page did.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice dashboard</title>
<link rel="stylesheet" href="uplot.css{{q}}">
<style>
:root { --ok:#2e7d32; --warn:#ef6c00; --stall:#c62828; --stop:#6a1b9a; --err:#b71c1c; --none:#757575; --line:#ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { display: flex; gap: 1em; align-items: center; padding: .6em 1em; background: #263238; color: #fff; }
header h1 { font-size: 1.1em; margin: 0; }
#conn { padding: .15em .6em; border-radius: 1em; font-size: .85em; background: #555; }
#conn[data-state=live] { background: var(--ok); }
#conn[data-state=disconnected], #conn[data-state=broker-down] { background: var(--err); }
#meta { font-size: .85em; opacity: .8; margin-left: auto; }
main { padding: 1em; display: grid; gap: 1em; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8em 1em; }
h2 { font-size: 1em; margin: 0 0 .5em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .2em .6em; border-bottom: 1px solid #eee; }
th { font-weight: 600; color: #555; }
td.num, th.num { text-align: right; }
.status { display: inline-block; min-width: 4em; text-align: center; color: #fff; border-radius: 3px; padding: 0 .4em; font-weight: 600; }
.s-OK { background: var(--ok); } .s-WARN { background: var(--warn); } .s-STALL { background: var(--stall); }
.s-STOP { background: var(--stop); } .s-ERR { background: var(--err); } .s-none { background: var(--none); }
.group { border-left: 6px solid var(--none); }
.group.s-OK { border-color: var(--ok); background: #fff; } .group.s-WARN { border-color: var(--warn); background: #fff; }
.group.s-STALL, .group.s-STOP, .group.s-ERR { border-color: var(--err); background: #fff; }
.group header { background: none; color: inherit; padding: 0 0 .4em; }
.members { font-size: .9em; color: #444; margin: .3em 0 .6em; }
.note { color: #8a6d3b; font-size: .9em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1em; }
.chart { min-width: 0; overflow: hidden; }
.chart .plot { width: 100%; min-height: 170px; border: 1px solid #eee; }
.legend { font-size: .8em; display: flex; flex-wrap: wrap; gap: .2em .8em; }
.legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: middle; }
button { font: inherit; }
#error { color: var(--err); font-weight: 600; }
</style>
</head>
<body>
<header><h1>Sluice dashboard</h1><span id="conn" data-state="connecting">connecting…</span><span id="error"></span><span id="meta"></span></header>
<main>
  <section><h2>Throughput and lag (last minutes)</h2><div class="charts" id="charts"></div></section>
  <div id="groups"></div>
  <section><h2>Topics</h2><div id="topics"></div></section>
</main>
<script src="uplot.js{{q}}"></script>
<script src="app.js{{q}}"></script>
</body>
</html>
`;

export const PAGE_SCRIPT = `'use strict';
(function () {
  var token = new URLSearchParams(location.search).get('token');
  var q = token ? '?token=' + encodeURIComponent(token) : '';
  var config = { allowWrites: false, intervalMs: 2000, historyMs: 300000 };
  var points = [];
  var COLORS = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#c62828', '#5d4037', '#ad1457'];

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') el.textContent = attrs[k];
      else if (k === 'class') el.className = attrs[k];
      else if (k.indexOf('on') === 0) el.addEventListener(k.slice(2), attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }
  function fmt(n) { return n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'); }
  function badge(status) { return h('span', { class: 'status s-' + (status || 'none'), text: status || '…' }); }

  function setConn(state, text) {
    var el = document.getElementById('conn');
    el.dataset.state = state; el.textContent = text;
  }

  function renderSnapshot(s) {
    document.getElementById('error').textContent = s.error ? 'broker: ' + s.error + ' (retrying)' : '';
    if (s.error) setConn('broker-down', 'broker unreachable, retrying');
    else setConn('live', 'live');
    document.getElementById('meta').dataset.time = String(s.time);
    document.getElementById('meta').textContent = (s.clusterId ? 'cluster ' + s.clusterId + ', ' : '') +
      s.brokers.length + ' broker(s), updated ' + new Date(s.time).toLocaleTimeString();
    var groups = document.getElementById('groups');
    // Worst status first (ERR … OK, then not yet evaluated), then by name.
    var rank = function (g) { var i = ['OK', 'WARN', 'STALL', 'STOP', 'ERR'].indexOf(g.status); return i < 0 ? -1 : i; };
    var sorted = s.groups.slice().sort(function (a, b) { return rank(b) - rank(a) || (a.groupId < b.groupId ? -1 : 1); });
    groups.replaceChildren.apply(groups, sorted.length ? sorted.map(renderGroup) : [h('section', { text: 'No groups.' })]);
    var topics = document.getElementById('topics');
    topics.replaceChildren(renderTopics(s.topics));
  }

  function renderGroup(g) {
    // A share group has no committed offset: its column is the share-partition start offset (START).
    var share = g.protocol === 'share';
    var str = function (v) { return v === null || v === undefined ? '' : String(v); };
    var rows = g.partitions.map(function (p) {
      var at = share ? p.startOffset : p.committedOffset;
      return h('tr', { 'data-partition': p.topic + ':' + p.partition, 'data-lag': str(p.lag), 'data-committed': str(p.committedOffset), 'data-start': str(p.startOffset), 'data-end': String(p.logEndOffset) }, [
        h('td', { text: p.topic }), h('td', { class: 'num', text: String(p.partition) }),
        h('td', { class: 'num', text: fmt(at) }), h('td', { class: 'num', text: fmt(p.logEndOffset) }),
        h('td', { class: 'num', text: fmt(p.lag) }), h('td', { text: p.owner || '-' }),
        h('td', { title: p.reason }, [badge(p.status), ' ', h('small', { text: p.reason })]),
      ]);
    });
    var members = g.members.map(function (m) {
      return h('li', { 'data-member': m.memberId }, [m.clientId + ' @ ' + m.host + ': ', h('span', { class: 'owned', text: m.assignment.join(', ') || 'no partitions' })]);
    });
    var box = h('section', { class: 'group s-' + (g.status || 'none'), 'data-group': g.groupId, 'data-status': g.status || '', 'data-protocol': g.protocol, 'data-total-lag': String(g.totalLag) }, [
      h('header', null, [h('h2', { text: g.groupId }), badge(g.status), h('span', { text: g.protocol + ' · ' + g.state + ' · ' + g.members.length + ' member(s) · total lag ' + fmt(g.totalLag) })]),
      g.note ? h('div', { class: 'note', text: g.note }) : null,
      members.length ? h('ul', { class: 'members' }, members) : null,
      rows.length ? h('table', null, [h('thead', null, [h('tr', null, ['topic', 'partition', share ? 'start' : 'committed', 'end', 'lag', share ? 'members' : 'owner', 'status'].map(function (t, i) { return h('th', { class: i > 0 && i < 5 ? 'num' : '', text: t }); }))]), h('tbody', null, rows)]) : null,
      config.allowWrites && g.protocol !== 'share' ? resetControls(g) : null,
    ]);
    return box;
  }

  function resetControls(g) {
    var topics = Array.from(new Set(g.partitions.map(function (p) { return p.topic; })));
    if (!topics.length) return null;
    var topicSel = h('select', null, topics.map(function (t) { return h('option', { value: t, text: t }); }));
    var toSel = h('select', null, ['earliest', 'latest'].map(function (t) { return h('option', { value: t, text: t }); }));
    var out = h('span', { class: 'note' });
    return h('div', null, ['Reset offsets of ', topicSel, ' to ', toSel, ' ', h('button', { text: 'Reset…', onclick: function () {
      if (!confirm('Reset the committed offsets of group "' + g.groupId + '" on topic "' + topicSel.value + '" to ' + toSel.value + '? The group must have no members.')) return;
      fetch('api/reset-offsets' + q, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ group: g.groupId, topic: topicSel.value, to: toSel.value }) })
        .then(function (r) { return r.json(); })
        .then(function (b) { out.textContent = b.error ? 'failed: ' + b.error : 'done'; });
    } }), ' ', out]);
  }

  function renderTopics(topics) {
    var rows = [];
    topics.forEach(function (t) {
      t.partitions.forEach(function (p) {
        rows.push(h('tr', { 'data-topic-partition': t.topic + ':' + p.partition }, [
          h('td', { text: t.topic }), h('td', { class: 'num', text: String(p.partition) }), h('td', { class: 'num', text: String(p.leader) }),
          h('td', { text: p.replicas.join(',') }), h('td', { text: p.isr.join(',') }), h('td', { text: p.offline.join(',') || '-' }),
          h('td', { class: 'num', text: fmt(p.startOffset) }), h('td', { class: 'num', text: fmt(p.endOffset) }), h('td', { class: 'num', text: fmt(p.endOffset - p.startOffset) }),
        ]));
      });
    });
    return h('table', null, [h('thead', null, [h('tr', null, ['topic', 'partition', 'leader', 'replicas', 'ISR', 'offline', 'start', 'end', 'records'].map(function (t) { return h('th', { text: t }); }))]), h('tbody', null, rows)]);
  }

  // Charts: one uPlot per measure, one series per group, topic or group-and-topic, x = the rounds'
  // times. A new round's point is appended with setData; the chart is built anew only when the set of
  // series changes (a group or topic appears or goes), as uPlot's series are fixed at creation.
  // window.sluiceCharts exposes the uPlot instances (the browser test reads their data).
  var CHARTS = [
    { key: 'lag', title: 'Lag per group (records)' },
    { key: 'produceRate', title: 'Produce rate per topic (records/s)' },
    { key: 'consumeRate', title: 'Consume rate per group and topic (records/s)' },
  ];
  var charts = {};
  window.sluiceCharts = {};
  var CHART_HEIGHT = 170;
  function seriesOf(key) {
    var names = {};
    points.forEach(function (p) { for (var k in p[key]) names[k] = true; });
    return Object.keys(names).sort();
  }
  function renderCharts() {
    var box = document.getElementById('charts');
    // Without uPlot (its file failed to load) the rest of the page still works.
    if (typeof uPlot === 'undefined') { box.textContent = 'Charts unavailable: uplot.js did not load.'; return; }
    CHARTS.forEach(function (c) {
      var st = charts[c.key];
      if (!st) {
        st = charts[c.key] = { title: h('h2', { text: c.title }), plot: h('div', { class: 'plot' }), legend: h('div', { class: 'legend' }), u: null, names: null };
        st.box = h('div', { class: 'chart', 'data-chart': c.key, 'data-points': '0' }, [st.title, st.plot, st.legend]);
        box.appendChild(st.box);
      }
      var names = seriesOf(c.key);
      var data = [points.map(function (p) { return p.time / 1000; })].concat(names.map(function (s) {
        return points.map(function (p) { var v = p[c.key][s]; return v === undefined ? null : v; });
      }));
      if (!st.u || st.names !== JSON.stringify(names)) {
        if (st.u) st.u.destroy();
        st.names = JSON.stringify(names);
        st.u = new uPlot(chartOptions(c, st, names), data, st.plot);
        window.sluiceCharts[c.key] = st.u;
      } else {
        st.u.setData(data);
      }
      var max = 0;
      data.slice(1).forEach(function (ys) { ys.forEach(function (v) { if (v !== null && v > max) max = v; }); });
      st.title.textContent = c.title + ' · max ' + fmt(max);
      st.box.dataset.points = String(data[0].length);
      renderLegend(c.key, null);
    });
  }
  function chartOptions(c, st, names) {
    return {
      width: Math.max(200, st.plot.clientWidth || 320),
      height: CHART_HEIGHT,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.05]; } } },
      series: [{}].concat(names.map(function (s, i) {
        return { label: s, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false } };
      })),
      axes: [{ stroke: '#555', grid: { stroke: '#eee' } }, { stroke: '#555', grid: { stroke: '#eee' }, size: 56, values: function (u, vals) { return vals.map(short); } }],
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false } },
      // The legend shows the values under the cursor, else the last round's.
      hooks: { setCursor: [function (u) { renderLegend(c.key, u.cursor.idx); }] },
    };
  }
  function short(v) {
    return v >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : v >= 1e3 ? (v / 1e3).toFixed(1) + 'k' : String(Math.round(v * 100) / 100);
  }
  function renderLegend(key, idx) {
    var st = charts[key];
    if (!st || !st.u) return;
    var u = st.u;
    var at = idx === null || idx === undefined ? u.data[0].length - 1 : idx;
    st.legend.replaceChildren.apply(st.legend, u.series.slice(1).map(function (s, i) {
      var dot = h('i'); dot.style.background = COLORS[i % COLORS.length];
      var v = at >= 0 ? u.data[i + 1][at] : null;
      return h('span', { 'data-series': s.label }, [dot, s.label + ' ' + fmt(v)]);
    }));
  }
  window.addEventListener('resize', function () {
    for (var k in charts) if (charts[k].u) charts[k].u.setSize({ width: Math.max(200, charts[k].plot.clientWidth), height: CHART_HEIGHT });
  });

  function connect() {
    var es = new EventSource('events' + q);
    es.addEventListener('config', function (e) { config = JSON.parse(e.data); });
    es.addEventListener('history', function (e) { points = JSON.parse(e.data); renderCharts(); });
    es.addEventListener('snapshot', function (e) { renderSnapshot(JSON.parse(e.data)); });
    es.addEventListener('point', function (e) {
      var p = JSON.parse(e.data);
      points.push(p);
      while (points.length && points[0].time < p.time - config.historyMs) points.shift();
      renderCharts();
    });
    es.onopen = function () { setConn('live', 'live'); };
    // EventSource retries by itself (the server asks for 2 s); the page says so meanwhile.
    es.onerror = function () { setConn('disconnected', 'disconnected, retrying'); };
  }
  renderCharts();
  connect();
})();
`;
