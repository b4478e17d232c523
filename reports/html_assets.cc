// The HTML report's inline style sheet and script. Fonts are the platform's own (a report must
// not fetch web fonts); the script only filters and opens sections, so the page is complete
// without it.
#include "reports/html_parts.h"

namespace rpcfit::reports::html_detail {

std::string_view style_sheet() {
  return R"css(
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--soft:#f6f8fa;--card:#fff;
--PASS:#1a7f37;--FAIL:#cf222e;--ERROR:#bc4c00;--SKIP:#6e7781;--XFAIL:#0969da;--XPASS:#8250df;
--other:#57606a;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{background:var(--soft)}
body{margin:0;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
[hidden]{display:none!important}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
code,pre{font-family:var(--mono);font-size:12px}
h2{font-size:17px;margin:28px 0 10px}
h4{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
margin:18px 0 6px}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.muted{color:var(--muted)}
header.top{background:var(--card);border-bottom:1px solid var(--line);padding:18px 0 14px}
.headline{display:flex;align-items:center;gap:14px;flex-wrap:wrap}
h1{font-size:24px;margin:0;letter-spacing:-.01em}
.outcome{font-weight:600;font-size:13px;padding:2px 10px;border-radius:12px}
.outcome.good{background:#dafbe1;color:var(--PASS)}.outcome.bad{background:#ffebe9;color:var(--FAIL)}
.sub{margin:4px 0 12px;color:var(--muted)}.sub b{color:var(--fg);font-weight:600}
.totals{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}
.tot{border:1px solid var(--line);border-radius:8px;padding:4px 12px;background:var(--card);
color:var(--muted);font-size:13px}
.tot b{font-size:18px;margin-right:3px;color:var(--fg);font-variant-numeric:tabular-nums}
.c-PASS{--c:var(--PASS)}.c-FAIL{--c:var(--FAIL)}.c-ERROR{--c:var(--ERROR)}.c-SKIP{--c:var(--SKIP)}
.c-XFAIL{--c:var(--XFAIL)}.c-XPASS{--c:var(--XPASS)}
.tot[class*=c-]{border-left:4px solid var(--c)}.tot[class*=c-] b{color:var(--c)}
.tot.zero{opacity:.55}.tot.zero b{color:var(--muted)}
dl{margin:0}
.settings{display:flex;flex-wrap:wrap;gap:4px 22px;font-size:12px}
.settings div,.meta div{display:flex;gap:6px}
dt{color:var(--muted)}dd{margin:0}
.b{display:inline-block;min-width:54px;padding:0 7px;border-radius:10px;text-align:center;
font:700 11px/19px system-ui,sans-serif;letter-spacing:.04em;color:#fff;background:var(--c)}
.b-PASS{--c:var(--PASS)}.b-FAIL{--c:var(--FAIL)}.b-ERROR{--c:var(--ERROR)}.b-SKIP{--c:var(--SKIP)}
.b-XFAIL{--c:var(--XFAIL)}.b-XPASS{--c:var(--XPASS)}.b-other{--c:var(--other)}
.filters{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;align-items:center;gap:8px;
padding:10px 12px;background:var(--card);border:1px solid var(--line);border-bottom:0;
border-radius:8px 8px 0 0}
.filters input[type=search]{flex:1 1 220px;min-width:160px;padding:5px 9px;font:inherit;
border:1px solid var(--line);border-radius:6px}
.tools{float:right;display:flex;gap:6px}
.filters select,.tools button{font:inherit;font-size:13px;padding:4px 8px;border-radius:6px;
border:1px solid var(--line);background:var(--soft);color:var(--fg)}
.tools button{cursor:pointer;font-weight:400}.tools button:hover{background:#eaeef2}
.f-v{display:flex;flex-wrap:wrap;gap:4px}
.fv{display:inline-flex;align-items:center;gap:4px;font-size:12px;font-weight:600;color:var(--c);
border:1px solid var(--line);border-radius:14px;padding:2px 9px 2px 5px;cursor:pointer;
user-select:none}
.fv input,.ff input{margin:0;accent-color:var(--c,#0969da)}
.fv small{color:var(--muted);font-weight:400}
.ff{font-size:13px;display:inline-flex;align-items:center;gap:4px;cursor:pointer}
.spacer{flex:1}#f-count{font-size:12px;color:var(--muted)}
body:not(.js) .jsonly{display:none}
.tw{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{padding:5px 9px;text-align:left;vertical-align:top;border-bottom:1px solid #eaeef2}
th{font-size:12px;font-weight:600;color:var(--muted);background:var(--soft);white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.runs{border:1px solid var(--line);border-radius:0 0 8px 8px;border-collapse:separate;
border-spacing:0}
.runs tbody tr:hover{background:#f6f8fa}
.runs td.id{font-family:var(--mono);font-size:12.5px;white-space:nowrap}
.runs td.rules{font-size:12px;color:var(--muted)}
.runs td.note{font-size:13px;max-width:440px}
.runs tbody tr:last-child td{border-bottom:0}
.more{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:8px;
padding:0 5px}
details.scn{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--c);
border-radius:8px;margin:0 0 10px}
.v-PASS{--c:var(--PASS)}.v-FAIL{--c:var(--FAIL)}.v-ERROR{--c:var(--ERROR)}.v-SKIP{--c:var(--SKIP)}
.v-XFAIL{--c:var(--XFAIL)}.v-XPASS{--c:var(--XPASS)}.v-other{--c:var(--other)}
details.scn>summary{display:flex;align-items:baseline;gap:10px;padding:9px 14px;cursor:pointer;
list-style:none}
details.scn>summary::-webkit-details-marker{display:none}
details.scn>summary::before{content:"\25B8";color:var(--muted);width:10px;display:inline-block}
details.scn[open]>summary::before{content:"\25BE"}
details.scn[open]>summary{border-bottom:1px solid #eaeef2}
details.scn:target{box-shadow:0 0 0 3px rgba(9,105,218,.25)}
.sid{font-family:var(--mono);font-size:13px;font-weight:600}
.stitle{color:var(--muted);flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
.swall{color:var(--muted);font-size:12px;white-space:nowrap;font-variant-numeric:tabular-nums}
.body{padding:6px 16px 16px}
.meta{display:flex;flex-wrap:wrap;gap:3px 22px;font-size:13px;margin:6px 0}
.meta dd{min-width:0;overflow-wrap:anywhere}
.reason{margin:12px 0 4px;padding:8px 12px;border-radius:6px;background:#f6f8fa;
border-left:3px solid var(--c)}
.retry{margin:4px 0;padding:4px 12px;font-size:13px;color:#57606a;border-left:3px dashed #d0d7de}
.body table{font-size:13px;border:1px solid #eaeef2;width:auto;min-width:50%}
.body td code{font-size:12px}
td.loc code{color:var(--muted)}
td.exp code{background:#dafbe1;color:#116329;padding:1px 4px;border-radius:4px}
td.act code{background:#ffebe9;color:#a40e26;padding:1px 4px;border-radius:4px}
td.detail{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
.server tr.first td{border-top:1px solid var(--line)}
.cap{font-weight:600;padding:0 7px;border-radius:8px;font-size:12px}
.cap.good{background:#dafbe1;color:var(--PASS)}.cap.bad{background:#ffebe9;color:var(--FAIL)}
.cap.other{background:#eaeef2;color:var(--muted)}
pre.diff{margin:8px 0;padding:6px 12px;background:#f6f8fa;border:1px solid #eaeef2;
border-radius:6px;overflow-x:auto;line-height:1.55}
pre.diff .del,pre.diff .add{display:block;margin:0 -12px;padding:0 12px}
pre.diff .del{background:#ffebe9;color:#a40e26}pre.diff .add{background:#dafbe1;color:#116329}
figure.seqbox{margin:4px 0 0;overflow-x:auto;border:1px solid #eaeef2;border-radius:6px;
padding:6px;background:#fff;width:fit-content;max-width:100%}
svg.seq{display:block;max-width:100%;height:auto;background:#fff}
@media (max-width:900px){.wrap{padding:0 12px}.runs .opt{display:none}
.runs td.id{white-space:normal}.stitle{display:none}}
@media print{.filters{display:none}details.scn{break-inside:avoid}}
)css";
}

std::string_view script() {
  return R"js(
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var text = $('f-text'), area = $('f-area'), failing = $('f-failing'), count = $('f-count');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#f-verdicts input'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('#runs tbody tr[data-v]'));
  var known = {};
  boxes.forEach(function (b) { known[b.value] = true; });
  function apply() {
    var t = text.value.trim().toLowerCase(), on = {}, shown = 0;
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    rows.forEach(function (r) {
      var d = r.dataset;
      var ok = (!known[d.v] || on[d.v]) && (!area.value || d.a === area.value) &&
               (!failing.checked || d.f === '1') && (!t || d.s.indexOf(t) >= 0);
      r.hidden = !ok;
      var section = $(d.id);
      if (section) section.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' shown';
  }
  [text, area, failing].concat(boxes).forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  // A link from the summary opens a collapsed (passing) section it points at.
  function openTarget() {
    var el = location.hash && $(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  window.addEventListener('hashchange', openTarget);
  function all(open) {
    document.querySelectorAll('details.scn').forEach(function (d) {
      if (!d.hidden) d.open = open;
    });
  }
  $('x-open').addEventListener('click', function () { all(true); });
  $('x-close').addEventListener('click', function () { all(false); });
  document.body.classList.add('js');
  openTarget();
  apply();
})();
)js";
}

}  // namespace rpcfit::reports::html_detail
