/* gridline wall screen (issue 10). Reads the aggregator's /v1/stats and /v1/rankings with the
 * page's ?token= (Authorization: Bearer) and the notifier's /v1/stream (EventSource,
 * ?access_token=). Any field the API does not give (yet) shows "—"; nothing here may throw out
 * of a refresh: each panel draws on its own, inside its own try. Refreshes every 30 s. */
(function () {
  'use strict';

  var REFRESH_MS = 30000;
  var TICKER_MAX = 14;
  var DASH = '—';
  var LEVELS = ['green', 'blue', 'yellow', 'red'];
  var LEVEL_ZH = { green: '绿', blue: '蓝', yellow: '黄', red: '红' };
  var LEVEL_COLOR = { green: '#27c46b', blue: '#2f7bff', yellow: '#f2c230', red: '#f0473e' };
  var CHANNEL_ZH = {
    hotline: '热线', wechat: '微信', web: '网站', app: 'APP', visit: '来访',
    meeting: '接访会', petition: '信访', camera: '视频巡查'
  };
  var CATEGORY_ZH = {
    power: '供电', water: '供水', heating: '供热', gas: '燃气', policing: '治安', city: '城市管理',
    market: '市场监管', environment: '生态环境', roads: '道路交通', labor: '劳动保障',
    land: '土地草场', social: '社会保障', health: '医疗卫生', education: '教育', other: '其他',
    fire: '消防', sanitation: '环境卫生', property: '物业', housing: '住房', livestock: '畜牧',
    irrigation: '农田水利', wages: '欠薪', hukou: '户籍', noise: '噪声', 'elderly-care': '养老',
    border: '边界纠纷', policy: '政策咨询'
  };
  var EVENT_ZH = {
    assigned: '新诉求', escalated: '升级', reopened: '重新办理', transferred: '转办', reminded: '催办'
  };
  var REASON_ZH = {
    ack_overdue: '受理超时', resolve_overdue: '办结超时', manual: '人工升级', unsatisfied: '群众不满意',
    transfer: '转办', rule: '规则', routed: '分派'
  };
  var RATES = [
    { key: 'response', zh: '响应率' }, { key: 'resolution', zh: '解决率' },
    { key: 'satisfaction', zh: '满意率' }, { key: 'on_time', zh: '按时办结率' }
  ];
  var LEVEL_ZH_REGION = { province: '省', city: '市', county: '县', township: '乡镇', village: '村', grid: '网格' };

  var params = new URLSearchParams(window.location.search);
  var token = params.get('token') || '';
  var region = /^[0-9]{2,15}$/.test(params.get('region') || '') ? params.get('region') : '15';
  var tickerOn = params.get('ticker') !== '0';
  var notifierBase = params.get('notifier') ||
    (window.location.protocol + '//' + (window.location.hostname || '127.0.0.1') + ':8082');
  var names = {}; /* region code -> name, learned from every answer */
  var charts = {};
  var source = null;
  var generation = 0; /* a refresh for a region picked since is dropped */

  function $(id) { return document.getElementById(id); }
  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function setText(id, v) {
    var el = $(id);
    if (el) el.textContent = (v === null || v === undefined || v === '') ? DASH : String(v);
  }
  function count(v) { return isNum(v) ? String(Math.round(v)) : DASH; }
  function pct(rate) {
    var v = isObj(rate) ? rate.value : rate;
    return isNum(v) ? (v * 100).toFixed(1) + '%' : DASH;
  }
  function safe(name, fn) {
    try { fn(); } catch (e) { if (window.console) console.warn('dashboard: ' + name, e); }
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function ymd(d) { return '' + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()); }
  function banner(msg) {
    var b = $('banner');
    if (!b) return;
    b.hidden = !msg;
    b.textContent = msg || '';
  }

  /* GET an API path: the parsed JSON, or null for any failure (status kept in lastStatus). */
  var lastStatus = {};
  function api(path) {
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    return fetch(path, { headers: headers, cache: 'no-store' }).then(function (r) {
      lastStatus[path.split('?')[0]] = r.status;
      if (!r.ok) return null;
      return r.json().catch(function () { return null; });
    }).catch(function () { return null; });
  }
  function q(obj) {
    var parts = [];
    Object.keys(obj).forEach(function (k) {
      if (obj[k] !== undefined && obj[k] !== null && obj[k] !== '')
        parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(obj[k]));
    });
    return parts.join('&');
  }

  function chart(id) {
    if (typeof window.echarts === 'undefined') return null;
    var el = $(id);
    if (!el) return null;
    if (!charts[id]) charts[id] = window.echarts.init(el, null, { renderer: 'canvas' });
    return charts[id];
  }
  var AXIS = { axisLine: { lineStyle: { color: '#3a5a8c' } }, axisLabel: { color: '#9fb4d8', fontSize: 14 },
    splitLine: { lineStyle: { color: 'rgba(58,90,140,0.35)' } } };
  function empty(c, text) {
    c.clear();
    c.setOption({ title: { text: text || '暂无数据', left: 'center', top: 'middle',
      textStyle: { color: '#5d769f', fontSize: 18, fontWeight: 'normal' } } });
  }

  /* ---- panels ---- */

  function drawKpis(today, month) {
    setText('today-appeals', today ? count(today.appeals) : DASH);
    setText('month-appeals', month ? count(month.appeals) : DASH);
    var now = today && isObj(today.now) ? today.now : null;
    setText('now-open', now ? count(now.open) : DASH);
    setText('now-overdue', now ? count(now.overdue) : DASH);
  }

  function drawLadder(today) {
    var now = today && isObj(today.now) ? today.now : null;
    var by = now && isObj(now.by_level) ? now.by_level : (today && isObj(today.by_level) ? today.by_level : null);
    LEVELS.forEach(function (l) { setText('now-level-' + l, by ? count(by[l] || 0) : DASH); });
    setText('ladder-note', !today ? '' : now ? '在办诉求所在层级（实时）' : '今日交办次数（实时数据暂缺）');
  }

  function drawRates(month) {
    var rates = month && isObj(month.rates) ? month.rates : {};
    RATES.forEach(function (r) { setText('rate-' + r.key, pct(rates[r.key])); });
    var c = chart('chart-rates');
    if (!c) return;
    /* four gauges side by side: each at most a quarter of the width */
    var radius = Math.max(20, Math.floor(Math.min(c.getWidth() / 8, c.getHeight() / 2) * 0.9));
    var series = RATES.map(function (r, i) {
      var v = isObj(rates[r.key]) ? rates[r.key].value : null;
      var has = isNum(v);
      var color = !has ? '#3a5a8c' : v >= 0.9 ? '#27c46b' : v >= 0.8 ? '#36c6ff' : v >= 0.6 ? '#f2c230' : '#f0473e';
      return {
        type: 'gauge', center: [(12.5 + 25 * i) + '%', '56%'], radius: radius, min: 0, max: 100,
        startAngle: 210, endAngle: -30, splitNumber: 4,
        progress: { show: true, width: 10, itemStyle: { color: color } },
        axisLine: { lineStyle: { width: 10, color: [[1, 'rgba(58,90,140,0.45)']] } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
        pointer: { show: false }, anchor: { show: false },
        /* the name in the middle; the value is the text below (#rate-…), not drawn twice */
        title: { show: true, offsetCenter: [0, '0%'], color: '#9fb4d8', fontSize: 15 },
        detail: { show: false },
        data: [{ value: has ? v * 100 : 0, name: r.zh }]
      };
    });
    c.setOption({ series: series }, true);
  }

  function drawTrend(month) {
    var c = chart('chart-trend');
    if (!c) return;
    var days = month && Array.isArray(month.days) ? month.days : null;
    if (!days || !days.length) return empty(c);
    var x = [], total = [], lv = { green: [], blue: [], yellow: [], red: [] };
    days.forEach(function (d) {
      var day = String(d && d.day || '');
      x.push(day.length === 8 ? day.slice(4, 6) + '-' + day.slice(6) : day);
      total.push(d && isNum(d.appeals) ? d.appeals : 0);
      LEVELS.forEach(function (l) {
        lv[l].push(d && isObj(d.by_level) && isNum(d.by_level[l]) ? d.by_level[l] : 0);
      });
    });
    var series = [{ name: '诉求量', type: 'line', smooth: true, symbolSize: 6, data: total,
      lineStyle: { width: 3, color: '#36c6ff' }, itemStyle: { color: '#36c6ff' },
      areaStyle: { color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1,
        colorStops: [{ offset: 0, color: 'rgba(54,198,255,0.45)' }, { offset: 1, color: 'rgba(54,198,255,0)' }] } } }];
    LEVELS.slice(1).forEach(function (l) {
      series.push({ name: LEVEL_ZH[l] + '色交办', type: 'line', smooth: true, symbol: 'none', data: lv[l],
        lineStyle: { width: 1.5, color: LEVEL_COLOR[l] }, itemStyle: { color: LEVEL_COLOR[l] } });
    });
    c.setOption({
      grid: { left: 50, right: 24, top: 40, bottom: 30 },
      legend: { top: 0, right: 10, textStyle: { color: '#9fb4d8', fontSize: 14 } },
      tooltip: { trigger: 'axis' },
      xAxis: Object.assign({ type: 'category', data: x, boundaryGap: false }, AXIS),
      yAxis: Object.assign({ type: 'value', minInterval: 1 }, AXIS),
      series: series
    }, true);
  }

  function entries(obj, zh) {
    if (!isObj(obj)) return [];
    return Object.keys(obj).filter(function (k) { return isNum(obj[k]) && obj[k] > 0; })
      .map(function (k) { return { name: zh[k] || k, value: obj[k] }; })
      .sort(function (a, b) { return b.value - a.value; });
  }

  function drawChannels(stats, label) {
    setText('channels-title', label + '诉求渠道');
    var c = chart('chart-channels');
    if (!c) return;
    var data = entries(stats && stats.by_channel, CHANNEL_ZH);
    if (!data.length) return empty(c);
    c.setOption({
      color: ['#36c6ff', '#2f7bff', '#27c46b', '#f2c230', '#f0473e', '#a86bff', '#ff8a3d', '#5de0c0'],
      tooltip: { trigger: 'item' },
      legend: { orient: 'vertical', right: 8, top: 'middle', itemWidth: 12, itemHeight: 12, itemGap: 12,
        textStyle: { color: '#d8e6ff', fontSize: 15 },
        formatter: function (name) {
          for (var i = 0; i < data.length; i++) if (data[i].name === name) return name + '  ' + data[i].value;
          return name;
        } },
      series: [{ type: 'pie', radius: ['32%', '60%'], center: ['32%', '52%'], data: data,
        label: { show: false }, labelLine: { show: false },
        itemStyle: { borderColor: '#0e2042', borderWidth: 2 } }]
    }, true);
  }

  function drawCategories(stats, label) {
    setText('categories-title', label + '诉求类别');
    var c = chart('chart-categories');
    if (!c) return;
    var data = entries(stats && stats.by_category, CATEGORY_ZH).slice(0, 8).reverse();
    if (!data.length) return empty(c);
    c.setOption({
      grid: { left: 84, right: 40, top: 10, bottom: 24 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: Object.assign({ type: 'value', minInterval: 1 }, AXIS),
      yAxis: Object.assign({ type: 'category', data: data.map(function (d) { return d.name; }) }, AXIS),
      series: [{ type: 'bar', data: data.map(function (d) { return d.value; }), barMaxWidth: 18,
        label: { show: true, position: 'right', color: '#d8e6ff' },
        itemStyle: { borderRadius: [0, 4, 4, 0], color: { type: 'linear', x: 0, y: 0, x2: 1, y2: 0,
          colorStops: [{ offset: 0, color: '#2f7bff' }, { offset: 1, color: '#36c6ff' }] } } }]
    }, true);
  }

  function li(cls, cells) {
    var el = document.createElement('li');
    if (cls) el.className = cls;
    cells.forEach(function (c) {
      var s = document.createElement('span');
      s.className = c[0];
      s.textContent = c[1];
      el.appendChild(s);
    });
    return el;
  }
  function listEmpty(ol, text) {
    ol.textContent = '';
    ol.appendChild(li('empty', [['', text || DASH]]));
  }

  var FLAG_ZH = { red_flag: '红旗', snail: '蜗牛' }; /* text: a wall PC may have no emoji font */
  function drawRanking(level, rankings, childStats) {
    var ol = $('ranking');
    if (!ol) return;
    var childZh = level === 'county' ? '乡镇' : level === 'township' ? '村（社区）' : '下级';
    if (rankings && Array.isArray(rankings.ranked)) {
      setText('ranking-title', '本月' + childZh + '解决率排名');
      ol.textContent = '';
      ol.appendChild(li('head', [['rank', '名次'], ['name', '单位'], ['val', '解决率'], ['flag', '']]));
      rankings.ranked.forEach(function (r) {
        if (!isObj(r)) return;
        var flag = FLAG_ZH[r.flag] || '';
        var row = li('', [['rank', isNum(r.rank) ? String(r.rank) : DASH],
          ['name', r.name || names[r.region] || r.region || DASH], ['val', pct(r.value)],
          ['flag ' + (r.flag || ''), flag]]);
        ol.appendChild(row);
      });
      (Array.isArray(rankings.unranked) ? rankings.unranked : []).forEach(function (r) {
        if (!isObj(r)) return;
        ol.appendChild(li('unranked', [['rank', DASH], ['name', r.name || r.region || DASH],
          ['val', (isNum(r.appeals) ? r.appeals : DASH) + ' 件'], ['flag', '不足']]));
      });
      if (!rankings.ranked.length && !(rankings.unranked || []).length) listEmpty(ol, '暂无可排名单位');
      return;
    }
    /* no rankings for this level (province, city, village) or none yet: the children by count */
    setText('ranking-title', '本月下级区域诉求量');
    var kids = childStats && Array.isArray(childStats.children) ? childStats.children.slice() : null;
    if (!kids || !kids.length) return listEmpty(ol, DASH);
    kids.sort(function (a, b) { return ((b && b.appeals) || 0) - ((a && a.appeals) || 0); });
    var max = Math.max(1, (kids[0] && kids[0].appeals) || 0);
    ol.textContent = '';
    ol.appendChild(li('head', [['rank', '序'], ['name', '区域'], ['val', '诉求量'], ['flag', '']]));
    kids.slice(0, 16).forEach(function (k, i) {
      if (!isObj(k)) return;
      var row = li('', [['rank', String(i + 1)], ['name', k.name || k.region || DASH],
        ['val', count(k.appeals)], ['flag', '']]);
      var bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = Math.round(100 * (isNum(k.appeals) ? k.appeals : 0) / max) + '%';
      row.lastChild.appendChild(bar);
      ol.appendChild(row);
    });
  }

  /* ---- region picker ---- */

  function ancestors(code) {
    var out = [];
    [2, 4, 6, 9, 12, 15].forEach(function (n) { if (code.length >= n) out.push(code.slice(0, n)); });
    return out;
  }
  function go(code) {
    if (!/^[0-9]{2,15}$/.test(code) || code === region) return;
    region = code;
    params.set('region', code);
    try { window.history.replaceState(null, '', '?' + params.toString()); } catch (e) { /* file: */ }
    restartTicker();
    refresh();
  }
  function drawPicker(childStats) {
    var bc = $('breadcrumb');
    if (bc) {
      bc.textContent = '';
      ancestors(region).forEach(function (code, i, all) {
        if (i) {
          var sep = document.createElement('span');
          sep.className = 'sep';
          sep.textContent = '›';
          bc.appendChild(sep);
        }
        var last = i === all.length - 1;
        var a = document.createElement(last ? 'span' : 'a');
        a.className = last ? 'here' : '';
        a.textContent = names[code] || code;
        if (!last) a.addEventListener('click', function () { go(code); });
        bc.appendChild(a);
      });
    }
    var sel = $('child-select');
    if (!sel) return;
    var kids = childStats && Array.isArray(childStats.children) ? childStats.children : [];
    sel.textContent = '';
    var first = document.createElement('option');
    first.value = '';
    first.textContent = kids.length ? '下级区域（' + kids.length + '）' : '下级区域 ' + DASH;
    sel.appendChild(first);
    kids.forEach(function (k) {
      if (!isObj(k) || !k.region) return;
      var o = document.createElement('option');
      o.value = k.region;
      o.textContent = (k.name || k.region) + (isNum(k.appeals) ? '（' + k.appeals + '）' : '');
      sel.appendChild(o);
    });
    sel.disabled = !kids.length;
  }

  function learn(stats) {
    if (isObj(stats) && stats.region && stats.name) names[stats.region] = stats.name;
    if (isObj(stats) && Array.isArray(stats.children))
      stats.children.forEach(function (k) { if (isObj(k) && k.region && k.name) names[k.region] = k.name; });
  }
  /* the names of the regions above this one, once each (for the breadcrumb) */
  function learnAncestors() {
    var missing = ancestors(region).filter(function (c) { return c !== region && !names[c]; });
    return Promise.all(missing.map(function (c) {
      return api('/v1/stats?' + q({ region: c })).then(learn);
    }));
  }

  /* ---- refresh ---- */

  function refresh() {
    var mine = ++generation;
    if (!token) {
      banner('缺少访问令牌：请在地址中加上 ?token=…');
      return Promise.resolve();
    }
    return api('/v1/stats?' + q({ region: region })).then(function (today) {
      if (mine !== generation) return null;
      var st = lastStatus['/v1/stats'];
      banner(today ? '' : st === 401 ? '令牌无效（401）' : st === 403 ? '令牌无权查看该区域（403）' :
        '统计接口暂不可用' + (st ? '（' + st + '）' : ''));
      learn(today);
      var day = today && /^[0-9]{8}$/.test(today.day || '') ? today.day : ymd(new Date());
      var from = day.slice(0, 6) + '01';
      var month = { region: region, from: from, to: day };
      var level = today && today.level ? today.level :
        { 2: 'province', 4: 'city', 6: 'county', 9: 'township', 12: 'village' }[region.length] || 'grid';
      var childLevel = level === 'county' ? 'township' : level === 'township' ? 'village' : null;
      return Promise.all([
        api('/v1/stats?' + q(Object.assign({ by: 'day' }, month))),
        api('/v1/stats?' + q(Object.assign({ by: 'child' }, month))),
        childLevel ? api('/v1/rankings?' + q({ region: region, child_level: childLevel,
          period: day.slice(0, 4) + '-' + day.slice(4, 6) })) : Promise.resolve(null),
        learnAncestors()
      ]).then(function (got) {
        if (mine !== generation) return;
        var byDay = got[0], byChild = got[1], rankings = got[2];
        /* an answer without "from" did not read the month: not shown as the month's */
        if (byDay && !byDay.from) byDay = null;
        if (byChild && !byChild.from) byChild = null;
        learn(byChild);
        var monthStats = byDay || byChild;
        safe('kpis', function () { drawKpis(today, monthStats); });
        safe('ladder', function () { drawLadder(today); });
        safe('rates', function () { drawRates(monthStats); });
        safe('trend', function () { drawTrend(byDay); });
        var label = monthStats ? '本月' : '今日';
        safe('channels', function () { drawChannels(monthStats || today, label); });
        safe('categories', function () { drawCategories(monthStats || today, label); });
        safe('ranking', function () { drawRanking(level, rankings, byChild); });
        safe('picker', function () { drawPicker(byChild); });
        safe('updated', function () {
          var d = new Date();
          setText('updated', pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()));
        });
        document.body.setAttribute('data-loaded', String(mine));
      });
    }).catch(function (e) { if (window.console) console.warn('dashboard: refresh', e); });
  }

  /* ---- live ticker: new and escalated appeals (alerts carry no contacts; none shown) ---- */

  function tick(type, ev) {
    var a;
    try { a = JSON.parse(ev.data); } catch (e) { return; }
    if (!isObj(a)) return;
    var ul = $('ticker');
    if (!ul) return;
    if (ul.firstChild && ul.firstChild.className === 'empty') ul.textContent = '';
    var at = typeof a.at === 'string' ? a.at : '';
    var m = /T([0-9]{2}:[0-9]{2}:[0-9]{2})/.exec(at);
    var place = Array.isArray(a.region_names) ? a.region_names.slice(-2).join(' ') : (a.region || '');
    var level = LEVELS.indexOf(a.level) >= 0 ? a.level : '';
    var what = (EVENT_ZH[type] || type) + ' · ' + place + ' · ' + (CATEGORY_ZH[a.category] || a.category || '');
    if (type === 'escalated' && REASON_ZH[a.reason_code]) what += '（' + REASON_ZH[a.reason_code] + '）';
    var row = li(type, [['t', m ? m[1] : DASH], ['lv ' + level, LEVEL_ZH[level] || DASH], ['what', what]]);
    ul.insertBefore(row, ul.firstChild);
    while (ul.children.length > TICKER_MAX) ul.removeChild(ul.lastChild);
  }
  function restartTicker() {
    if (source) { source.close(); source = null; }
    if (!tickerOn) { setText('ticker-state', '已关闭'); return; }
    if (!token || typeof window.EventSource === 'undefined') { setText('ticker-state', DASH); return; }
    try {
      /* the first connection starts 5 minutes back (stream ids are "<ms>-<seq>"), so a screen
       * that was just switched on shows the latest; a reconnection resumes by Last-Event-ID */
      var url = notifierBase.replace(/\/+$/, '') + '/v1/stream?' + q({ region: region,
        access_token: token, last_event_id: String(Date.now() - 5 * 60 * 1000) });
      source = new window.EventSource(url);
      source.onopen = function () { setText('ticker-state', '已连接'); };
      source.onerror = function () { setText('ticker-state', '重连中…'); };
      ['assigned', 'escalated', 'reopened'].forEach(function (t) {
        source.addEventListener(t, function (ev) { safe('ticker', function () { tick(t, ev); }); });
      });
    } catch (e) {
      setText('ticker-state', DASH);
    }
  }

  function clock() {
    var d = new Date();
    setText('clock', d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()));
  }

  function start() {
    safe('clock', clock);
    setInterval(function () { safe('clock', clock); }, 1000);
    var sel = $('child-select');
    if (sel) sel.addEventListener('change', function () { if (sel.value) go(sel.value); });
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (k) { safe('resize', function () { charts[k].resize(); }); });
    });
    if (typeof window.echarts === 'undefined') banner('图表库未加载（echarts.min.js）；数字仍会显示');
    else document.body.className += ' has-charts';
    restartTicker();
    refresh();
    setInterval(refresh, REFRESH_MS);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
