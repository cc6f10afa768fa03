"""The assessment report as one self-contained HTML page, Chinese and English.

Nothing is fetched: the CSS, the language switch (a few lines of JavaScript) and the charts (inline SVG)
are written here, so the page works offline and prints the same through headless Chromium. Every text is
present in both languages (``<span class="zh">`` / ``<span class="en">``); the switch only flips which is
shown. The page is built from the scan folder's report.json and the evidence bundles, never from live data.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping
from typing import Any

RESULTS = (("符合", "compliant", "#2e7d32"), ("部分符合", "partially compliant", "#f9a825"),
           ("不符合", "non-compliant", "#c62828"), ("未判定", "manual (not judged)", "#6d7a8a"),
           ("不适用", "not applicable", "#b0bec5"))
OTHER_RESULTS = {"错误": "error", "未采集": "not collected"}
LEVELS = {"优": "Excellent", "良": "Good", "中": "Fair", "差": "Poor", "未定": "Undetermined"}
NOTE_ZH = ("估算: 2021 年测评报告模板的扣分常数与关注系数未公开。测评项按关键 3 / 重要 2 / 一般 1 加权, "
           "符合 1 / 部分符合 0.5 / 不符合 0, 仅计本次扫描能判定的项; 测评机构的综合分析可能修正单项结果。")
SEVERITIES = (("high", "高", "#c62828"), ("medium", "中", "#ef6c00"), ("low", "低", "#f9a825"))
FAMILIES = {
    "area-boundary": ("安全区域边界", "Area boundary"), "cloud-extension": ("云计算安全扩展要求", "Cloud extension"),
    "communication-network": ("安全通信网络", "Communication network"),
    "computing-environment": ("安全计算环境", "Computing environment"), "egov": ("电子政务外网", "E-government"),
    "gbt35273": ("个人信息安全规范", "GB/T 35273"), "gbt39786": ("密码应用", "GB/T 39786 cryptography"),
    "management": ("安全管理", "Management"), "management-centre": ("安全管理中心", "Management centre"),
    "pipl": ("个人信息保护法", "PIPL"),
}

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",sans-serif;margin:0;color:#1d2733}
main{max-width:1000px;margin:auto;padding:24px}
html[data-lang=zh] .en, html[data-lang=en] .zh{display:none}
header{border-bottom:3px solid #1d4e89;margin-bottom:16px}
.switch{float:right;font-size:14px;padding:4px 12px;cursor:pointer}
#conclusion{background:#f3f6fa;border-left:6px solid #1d4e89;padding:12px 16px;margin:12px 0}
#conclusion .level{font-size:28px;font-weight:bold}
.figures span.n{font-size:22px;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #dde3ea;padding:6px 8px;width:300px;page-break-inside:avoid}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border:1px solid #dde3ea;padding:4px 6px;vertical-align:top;text-align:left}
.r-符合{color:#2e7d32}.r-部分符合{color:#b26a00}.r-不符合{color:#c62828;font-weight:bold}
.clause{border:1px solid #dde3ea;margin:8px 0;padding:8px;page-break-inside:avoid}
details pre{white-space:pre-wrap;font-size:11px;background:#fafbfc;padding:6px}
.hr{color:#c62828;font-weight:bold}
@media print{.switch{display:none} @page{size:A4;margin:16mm 12mm}}
"""

SCRIPT = """
function egovLang(lang){document.documentElement.setAttribute('data-lang',lang);
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';}
document.getElementById('lang-switch').addEventListener('click',function(){
egovLang(document.documentElement.getAttribute('data-lang')==='zh'?'en':'zh');});
"""

FINDINGS_SHOWN = 20  # per clause; the evidence bundle lists them all


def esc(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def both(zh: str, en: str) -> str:
    return f'<span class="zh">{esc(zh)}</span><span class="en">{esc(en)}</span>'


def result_label(result: str) -> str:
    english = {zh: en for zh, en, _ in RESULTS} | OTHER_RESULTS
    return f'<span class="r-{esc(result)}">{both(result, english.get(result, result))}</span>'


def stacked_bar_svg(family: str, counts: Mapping[str, int]) -> str:
    """One control family as a horizontal stacked bar of item results, with a legend of counts."""
    total = sum(counts.values()) or 1
    width, x, parts, legend = 280, 0.0, [], []
    for index, (zh, en, colour) in enumerate(RESULTS):
        n = counts.get(zh, 0)
        w = width * n / total
        if n:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="18" fill="{colour}">'
                         f'<title>{esc(zh)} / {esc(en)}: {n}</title></rect>')
        x += w
        legend.append(f'<g transform="translate({(index % 2) * 140},{30 + (index // 2) * 16})">'
                      f'<rect width="10" height="10" fill="{colour}"/>'
                      f'<text x="14" y="9" font-size="10" class="legend" data-result="{esc(zh)}" data-count="{n}">'
                      f'<tspan class="zh">{esc(zh)}</tspan><tspan class="en">{esc(en)}</tspan> {n}</text></g>')
    return (f'<svg class="family-chart" data-family="{esc(family)}" width="{width}" height="80" '
            f'role="img">{"".join(parts)}{"".join(legend)}</svg>')


def severity_svg(counts: Mapping[str, int]) -> str:
    top = max(counts.values(), default=0) or 1
    bars = []
    for index, (name, zh, colour) in enumerate(SEVERITIES):
        n = counts.get(name, 0)
        w = 220 * n / top
        bars.append(f'<g transform="translate(0,{index * 24})"><text x="0" y="13" font-size="11">'
                    f'<tspan class="zh">{zh}</tspan><tspan class="en">{name}</tspan></text>'
                    f'<rect x="60" y="2" width="{w:.1f}" height="16" fill="{colour}"/>'
                    f'<text x="{64 + w:.1f}" y="14" font-size="11" class="severity-count" data-severity="{name}">'
                    f'{n}</text></g>')
    return f'<svg id="severity-chart" width="320" height="76">{"".join(bars)}</svg>'


def _bundle_block(bundle: Mapping[str, Any]) -> str:
    import json

    layers = bundle["layers"]
    rows = []
    for layer, entries in layers.items():
        text = f"{len(entries)}" if entries else "-"
        rows.append(f"<tr><td>{esc(layer)}</td><td>{esc(text)}</td></tr>")
    digests = "".join(f"<li><code>{esc(d)}</code> {esc(n)}</li>" for n, d in bundle["scan"]["digests"].items())
    pack = "".join(
        f'<li class="pack-verdict" data-policy="{esc(p["policy"])}" data-stack="{esc(v["stack"])}" '
        f'data-verdict="{esc(v["verdict"])}">{esc(p["policy"])} · {esc(v["stack"])} ({esc(v["command"])} '
        f'{esc(v["recorded"])}): {esc(v["verdict"])}'
        + "".join(f"<br><small>{esc(x['urn'])}: {esc(x['message'])}</small>" for x in v["violations"]) + "</li>"
        for p in layers.get("policy_pack", []) for v in p.get("verdicts", []))
    provenance = "".join(f"<li>{esc(layer)}: {both('采集时间', 'collected')} {esc(facts.get('collected_at'))}</li>"
                         for layer, facts in (bundle.get("provenance") or {}).items())
    return (f'<details class="evidence" id="evidence-{esc(bundle["clause"])}"><summary>'
            f'{both("证据包", "Evidence bundle")} {esc(bundle["clause"])} '
            f'<code>sha256 {esc(bundle["bundle_sha256"][:16])}…</code></summary>'
            f'<table><tr><th>{both("层", "layer")}</th><th>{both("记录", "records")}</th></tr>{"".join(rows)}</table>'
            f'<p>{both("扫描时间", "Scanned")}: {esc(bundle["scan"]["started"])} - '
            f'{esc(bundle["scan"]["finished"])}</p>'
            + (f'<p>{both("策略包预检结论", "Policy pack verdicts")}:</p><ul>{pack}</ul>' if pack else "")
            + (f"<ul>{provenance}</ul>" if provenance else "")
            + f'<ul>{digests}</ul><pre>{esc(json.dumps(layers, ensure_ascii=False, indent=1, default=str))}</pre>'
            f'</details>')


def _mitigation_evidence(case: Mapping[str, Any]) -> str:
    """The evidence this scan collected for a case's mitigations: each listed check's results, and who
    accepted the mitigation, if anyone; the assessor weighs it."""
    checks = case.get("mitigation_evidence") or []
    if not checks:
        none = both("无可自动采集的缓解证据, 由测评人员人工判断",
                    "no mitigation evidence a scan can collect: the assessor weighs it")
        return f'<em class="mitigation-none">{none}</em>'
    rows = "".join(
        f'<tr class="mitigation-check" data-check="{esc(c["check"])}" data-passes="{str(c["passes"]).lower()}">'
        f'<td>{esc(c["check"])}</td><td>{esc(", ".join(f"{k} {v}" for k, v in c["results"].items()) or "-")}</td>'
        f'<td>{both("通过", "passes") if c["passes"] else both("未通过", "does not pass")}</td></tr>'
        for c in checks)
    accepted = case.get("mitigation_accepted_by")
    who = (both(f"已由 {accepted.get('signed_by')} ({accepted.get('role')}) 于 {accepted.get('date')} 接受",
                f"accepted by {accepted.get('signed_by')} ({accepted.get('role')}) on {accepted.get('date')}")
           if accepted else both("尚无签署的接受声明: 结论不变", "no signed acceptance: the conclusion is unchanged"))
    return (f'<table class="mitigation"><tr><th>{both("缓解检查", "mitigating check")}</th>'
            f'<th>{both("结果", "results")}</th><th></th></tr>{rows}</table><em>{who}</em>')


def _clause_block(item: Mapping[str, Any], bundle: Mapping[str, Any], remediation: list[tuple[str, str, str]],
                  high_risk: Mapping[str, Any] | None) -> str:
    title = item.get("title") or {}
    failing = [f for layer in ("cloud", "vault", "state", "certs", "hosts") for f in bundle["layers"][layer]
               if f["status"] in ("fail", "error")]
    parts = [f'<section class="clause" id="clause-{esc(item["id"])}" data-result="{esc(item["result"])}">',
             f'<h3>{esc(item["id"])} {esc(item.get("standard"))} {esc(item.get("clause"))} '
             f'{both(title.get("zh", ""), title.get("en", ""))}</h3>',
             f'<p>{both("结论", "Verdict")}: {result_label(item["result"])} · '
             f'<a href="#evidence-{esc(item["id"])}">{both("证据包", "evidence bundle")}</a></p>']
    if failing:
        hidden = len(failing) - FINDINGS_SHOWN
        note = both(f"另有 {hidden} 项未在此列出, 见证据包", f"{hidden} more: see the evidence bundle")
        more = f'<li class="more">{note}</li>' if hidden > 0 else ""
        parts.append('<ul class="findings">' + "".join(
            f'<li class="finding">{esc(f["check"])} {esc(f["resource"])}: '
            f'{both(f.get("detail_zh") or f["detail"], f["detail"])}</li>' for f in failing[:FINDINGS_SHOWN])
            + more + "</ul>")
    if remediation and item["result"] in ("不符合", "部分符合"):
        parts.append(f'<p>{both("整改建议", "Remediation")}:</p><ul>'
                     + "".join(f'<li class="remediation">{esc(check)}: {both(zh or en, en)}</li>'
                               for check, en, zh in remediation) + "</ul>")
    for waiver in bundle.get("waivers") or ():
        parts.append(f'<p class="waiver">{both("风险接受", "Waiver")} {esc(waiver.get("id"))}: '
                     f'{both("负责人", "owner")} {esc(waiver.get("owner"))}, {both("批准人", "approver")} '
                     f'{esc(waiver.get("approver"))}, {both("到期", "expires")} {esc(waiver.get("expires"))}</p>')
    if high_risk:
        cases = "".join(f'<li class="hr-case" data-case="{esc(case.get("case"))}">{esc(case.get("case"))}: '
                        f"{esc(case.get('problem', ''))}<br>"
                        f"{both('缓解措施', 'Mitigations')}: {esc(case.get('mitigations', ''))}<br>"
                        f"{_mitigation_evidence(case)}</li>"
                        for case in high_risk.get("cases", []))
        parts.append(f'<p class="hr">{both("高风险", "High risk")}</p><ul>{cases}</ul>')
    parts.append(_bundle_block(bundle))
    parts.append("</section>")
    return "".join(parts)


def compare_block(current: Mapping[str, Any], previous: Mapping[str, Any]) -> str:
    def failing(report: Mapping[str, Any]) -> set[tuple[str, str]]:
        return {(f["check"], f["resource"]) for f in report["findings"] if f["status"] == "fail"}

    now, before = failing(current), failing(previous)
    rows = [("新增", "new", sorted(now - before)), ("已修复", "fixed", sorted(before - now)),
            ("未变", "unchanged", sorted(now & before))]
    body = "".join(f'<tr class="compare-{en}"><td>{both(zh, en)}</td><td data-count="{len(items)}">{len(items)}</td>'
                   f'<td>{"<br>".join(esc(f"{c} {r}") for c, r in items[:50])}</td></tr>' for zh, en, items in rows)
    return (f'<section id="compare"><h2>{both("与上次扫描比较", "Compared with the previous scan")} '
            f'({esc(previous.get("started"))})</h2><table>{body}</table></section>')


def reason_zh(conclusion: Mapping[str, Any]) -> str:
    """The conclusion's reason in Chinese, from the same figures the scorer's English reason states."""
    level, score = conclusion.get("level"), conclusion.get("estimated_score")
    high = len(conclusion.get("high_risks") or ())
    if high:
        return f"{high} 项存在未缓解的高风险问题 (高风险案例)"
    if level == "未定" or score is None:
        return "没有能判定的测评项"
    if score < 70:
        return f"估算得分 {score} 低于 70"
    if level == "中":
        return f"估算得分 {score} 在 70 至 80 之间, 无高风险"
    if level == "良":
        return f"估算得分 {score}, 无高风险"
    return f"估算得分 {score} 不低于 90, 无中、高风险"


def render_html(report: Mapping[str, Any], bundles: Mapping[str, Mapping[str, Any]], families: Mapping[str, str],
                remediations: Mapping[str, list[tuple[str, str, str]]],
                previous: Mapping[str, Any] | None = None) -> str:
    """The whole page. ``families`` maps item id -> control family; ``remediations`` item id -> (check, text)."""
    conclusion = report["conclusion"]
    items = report["items"]
    high_risks = {h["item"]: h for h in conclusion.get("high_risks", [])}
    level = conclusion.get("level", "")
    score = conclusion.get("estimated_score")
    score_text = "—" if score is None else f"{score:.1f}"
    tenant = (report.get("scope") or {}).get("tenant")
    by_family: dict[str, Counter[str]] = {}
    for item in items:
        by_family.setdefault(families.get(item["id"], "other"), Counter())[item["result"]] += 1
    severity = Counter(f["severity"] for f in report["findings"] if f["status"] == "fail")
    charts = "".join(
        f'<div class="chart"><div>{both(*FAMILIES.get(family, (family, family)))}</div>'
        f'{stacked_bar_svg(family, counts)}</div>' for family, counts in sorted(by_family.items()))
    gate = report.get("gate", {})
    gate_text = both("通过", "passed") if gate.get("passed") else both("未通过", "failed")
    parts = [
        '<!DOCTYPE html><html lang="zh-CN" data-lang="zh"><head><meta charset="utf-8">',
        f'<title>等级保护测评报告 / MLPS assessment report {esc(report.get("started"))}</title>',
        f"<style>{CSS}</style></head><body><main>",
        '<header><button id="lang-switch" class="switch" type="button">中文 / English</button>',
        f'<h1>{both("网络安全等级保护测评报告(估算)", "MLPS 2.0 level 3 assessment report (estimate)")}</h1>',
        f'<p>{both("扫描时间", "Scan")}: {esc(report.get("started"))} - {esc(report.get("finished"))}'
        + (f' · {both("租户", "Tenant")}: {esc(tenant)}' if tenant else "") + "</p></header>",
        f'<section id="conclusion" data-level="{esc(level)}" data-high-risks="{len(high_risks)}">',
        f'<h2>{both("结论", "Conclusion")}</h2>',
        f'<div class="level">{both(f"等级: {level}", f"Rating: {LEVELS.get(level, level)} ({level})")}</div>',
        f'<p class="figures">{both("估算得分", "Estimated score")}: <span class="n" id="score">{score_text}</span> · '
        f'{both("高风险", "High-risk findings")}: <span class="n" id="high-risk-count">{len(high_risks)}</span> · '
        f'{both("迁移门禁", "Migration gate")}: {gate_text}</p>',
        f'<p>{both(reason_zh(conclusion), conclusion.get("reason", ""))}</p>'
        f'<p><small>{both(NOTE_ZH, conclusion.get("note", ""))}</small></p></section>',
        f'<section id="charts"><h2>{both("各安全类结果", "Results per control family")}</h2>'
        f'<div class="charts">{charts}</div>',
        f'<h2>{both("按严重程度的问题", "Findings by severity")}</h2>{severity_svg(severity)}</section>',
    ]
    if tenant:
        platform = [i for i in items if i.get("responsibility") == "platform"]
        parts.append(f'<section id="platform-part"><h2>{both("平台承担的部分", "Parts the platform answered for")}'
                     f'</h2><p>{len(platform)} {both("项由平台负责", "items fall to the platform")}</p>'
                     "<ul>" + "".join(f"<li>{esc(i['id'])} {result_label(i['result'])}</li>" for i in platform[:200])
                     + "</ul></section>")
    if previous is not None:
        parts.append(compare_block(report, previous))
    parts.append(f'<section id="clauses"><h2>{both("逐项结果", "Results per clause")}</h2>')
    for item in items:
        parts.append(_clause_block(item, bundles[item["id"]], remediations.get(item["id"], []),
                                   high_risks.get(item["id"])))
    parts.append(f"</section></main><script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)
