/**
 * The site's one stylesheet and one script, written as assets/site.css and
 * assets/site.js and shared by every page (the pages' Content-Security-Policy
 * allows scripts and styles from the site itself only, so nothing inline runs).
 * The script does three small things: expands a sweep group of the DAG in
 * place, filters long tables, and, when the site is served by `rigor site
 * --serve`, reloads the page when a new build lands.
 */

export const SITE_CSS = `:root {
  --fg: #1d2329; --muted: #5b6570; --line: #dfe3e8; --bg: #f6f8fa; --card: #ffffff; --accent: #1f6feb;
  --accepted: #2e7d32; --rejected: #c62828; --inconclusive: #b7791f; --running: #1e88e5; --pending: #757575;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { background: #161b22; color: #e6edf3; padding: 10px 24px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; }
header.top .brand { font-weight: 700; font-size: 16px; color: #fff; }
header.top nav a { color: #c9d1d9; margin-right: 14px; }
header.top nav a.here { color: #fff; font-weight: 600; border-bottom: 2px solid #58a6ff; }
header.top .where { color: #8b949e; font-size: 12px; margin-left: auto; }
main { padding: 20px 24px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 14px; word-break: break-all; }
h2 { font-size: 17px; margin: 26px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; min-width: 100px; }
.card .n { font-size: 22px; font-weight: 700; }
.card .label { color: var(--muted); font-size: 12px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; font-size: 12px; color: #3d4651; white-space: nowrap; }
tbody th { white-space: normal; overflow-wrap: anywhere; min-width: 8em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; white-space: nowrap; }
.s-proven_accepted, .r-pass, .v-PASS, .g-accept { color: var(--accepted); background: #e8f5e9; border-color: #a5d6a7; }
.s-proven_rejected, .r-fail, .v-FAIL, .g-reject { color: var(--rejected); background: #ffebee; border-color: #ef9a9a; }
.s-inconclusive, .r-error, .g-error { color: var(--inconclusive); background: #fff8e1; border-color: #ffe082; }
.s-running { color: var(--running); background: #e3f2fd; border-color: #90caf9; }
.s-pending, .s-cancelled, .r-skipped, .r-info, .g-none { color: var(--pending); background: #f5f5f5; border-color: #e0e0e0; }
.s-blocked { color: #ef6c00; background: #fff3e0; border-color: #ffcc80; }
.s-sweep { color: #3949ab; background: #e8eaf6; border-color: #9fa8da; }
.archived { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
.warn { color: var(--rejected); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
pre.notes { white-space: pre-wrap; background: #f6f8fa; border: 1px solid var(--line); padding: 8px; border-radius: 6px; margin: 0; }
img.chart { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
svg.plot { max-width: 100%; height: auto; }
.panel > h2:first-child, .panel > h3:first-child { margin-top: 2px; }
.dag-parts { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; margin-bottom: 16px; }
.dag-parts .dag-component { margin: 0; max-width: 100%; }
td.time { white-space: nowrap; }
.dag-view svg { max-width: none; }
.dag-view .box { cursor: pointer; }
.dag-view .box:hover rect { stroke-width: 2.5; }
.dag-view .expandable rect { stroke-width: 2; }
.dag-toolbar { margin: 4px 0 8px; font-size: 13px; }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chips a { padding: 2px 8px; border-radius: 6px; border: 1px solid; font-size: 12px; }
.pager { margin: 10px 0; }
.pager a, .pager span { margin-right: 8px; }
input.filter { padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; min-width: 260px; margin-bottom: 8px; }
tr.hidden { display: none; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
`

export const SITE_JS = `(function () {
  'use strict';
  // a sweep group of the DAG: swap its component's drawing for the one with the group expanded
  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target.closest('[data-expand]') : null;
    if (!target) return;
    event.preventDefault();
    var component = target.closest('.dag-component');
    var template = document.getElementById(target.getAttribute('data-expand'));
    if (!component || !template) return;
    var view = component.querySelector('.dag-view');
    if (!component.dataset.collapsedKept) {
      component.collapsedView = view.innerHTML;
      component.dataset.collapsedKept = '1';
    }
    view.replaceChildren(template.content.cloneNode(true));
    component.classList.add('expanded');
    var bar = component.querySelector('.dag-toolbar');
    if (bar) bar.hidden = false;
  });
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-collapse]') : null;
    if (!button) return;
    var component = button.closest('.dag-component');
    if (!component || !component.dataset.collapsedKept) return;
    component.querySelector('.dag-view').innerHTML = component.collapsedView;
    component.classList.remove('expanded');
    button.closest('.dag-toolbar').hidden = true;
  });
  // a text box above a long table keeps the rows that contain what is typed
  document.querySelectorAll('input[data-filter]').forEach(function (input) {
    var table = document.getElementById(input.getAttribute('data-filter'));
    if (!table) return;
    input.addEventListener('input', function () {
      var needle = input.value.trim().toLowerCase();
      table.querySelectorAll('tbody tr').forEach(function (row) {
        row.classList.toggle('hidden', needle !== '' && row.textContent.toLowerCase().indexOf(needle) < 0);
      });
    });
  });
  // served by rigor site --serve: the server names the current build when the page connects, and each new one after
  var live = document.querySelector('meta[name="rigor-live"]');
  if (live && window.EventSource) {
    var seen = null;
    var events = new EventSource(live.getAttribute('content'));
    events.addEventListener('build', function (message) {
      if (seen === null) {
        seen = message.data;
        document.documentElement.setAttribute('data-live', 'connected');
      } else if (message.data !== seen) window.location.reload();
    });
  }
})();
`
