import Foundation
public import RemoraCore
import RemoraModel
import RemoraQuant

/// The operator dashboard: one server-rendered HTML page with inline SVG charts and CSS — no
/// script, no CDN, works offline — refreshing itself every 30 s. Colours follow the roadmap's
/// thresholds (`KPIThresholds`).
public enum DashboardPage {
    public static func render(_ data: DashboardData, thresholds: KPIThresholds = KPIThresholds(), tokenQuery: String = "") -> String {
        let report = AttributionReport(days: data.days)
        let last = data.days.last
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Remora — copy book</title>
            <style>\(css)</style></head><body>
            <header><h1>Remora</h1><span class="sub">copy book \(last.map { "through " + dayText($0.day) } ?? "— no day closed yet")\
            \(data.tradingState.map { " · trading state <b class=\"state-\($0.rawValue.lowercased())\">\($0.rawValue)</b>" } ?? "")</span></header>
            <main>
            """
        html += kpiCards(data, report: report, thresholds: thresholds)
        html += section(
            "Equity: our book against the copy-all benchmark", equityChart(data.days) + performance(report, state: data.state), id: "equity")
        html += section("Attribution by category (Brinson-Fachler, Carino-linked)", attributionChart(report), id: "attribution")
        html += section("Signal funnel (whale buy orders, by verdict)", funnelChart(data.funnel), id: "funnel")
        html += section("Whales", whaleTable(data, tokenQuery: tokenQuery), id: "whales")
        html += section("Recent alerts", alertList(data.alerts), id: "alerts")
        html += section("Recent orders", orderTable(data.orders, tokenQuery: tokenQuery), id: "orders")
        html += "</main><footer>read-only · refreshes every 30 s · figures in event time (UTC)</footer></body></html>\n"
        return html
    }

    // MARK: KPI cards

    static func kpiCards(_ data: DashboardData, report: AttributionReport, thresholds t: KPIThresholds) -> String {
        let kpis = data.days.last?.kpis
        let nav = data.days.last?.ours.navEnd
        let sharpe = report.ours.sharpeRatio
        let days = report.ours.count
        var cards: [String] = []
        cards.append(card(
            "Sharpe", sharpe.isFinite ? fixed(sharpe, 2) : "n/a", level: t.sharpeLevel(sharpe, days: days),
            note: "annualised, \(days) days" + (days < t.minimumDays ? " (no level under \(t.minimumDays))" : ""), id: "kpi-sharpe"))
        cards.append(card(
            "mVaR", kpis?.mvar.map { percent($0) } ?? "n/a", level: t.varLevel(kpis?.mvar), note: "1-day 99 % Cornish-Fisher, of NAV",
            id: "kpi-mvar", colourAlways: true))
        cards.append(card(
            "Signal pass rate", kpis?.passRate.map { percent($0) } ?? "n/a", level: t.passRateLevel(kpis?.passRate),
            note: "last 30 days", id: "kpi-pass-rate"))
        cards.append(card("NAV", nav.map { usdc($0) } ?? "n/a", level: nil, note: "USDC, marked at the day's end", id: "kpi-nav"))
        cards.append(card(
            "Drawdown", percent(report.ours.drawdown.currentDrawdown), level: nil,
            note: "max " + percent(report.ours.drawdown.maxDrawdown), id: "kpi-drawdown"))
        cards.append(card(
            "Excess return", signedPercent(report.excessReturn), level: nil,
            note: "vs copy-all " + signedPercent(report.benchmarkReturn), id: "kpi-excess"))
        cards.append(card(
            "Quarantined", "\(kpis?.quarantined ?? 0)", level: t.quarantineLevel(kpis?.quarantined ?? 0), note: "whales", id: "kpi-quarantined"))
        return "<section class=\"cards\">" + cards.joined() + "</section>"
    }

    static func card(_ title: String, _ value: String, level: AlertLevel?, note: String, id: String, colourAlways: Bool = false) -> String {
        let colour = switch level {
        case .critical?: "red"
        case .warning?: "yellow"
        case .info?, nil: colourAlways || title == "Sharpe" || title == "Signal pass rate" || title == "Quarantined" ? "green" : "neutral"
        }
        return "<div class=\"card \(colour)\" id=\"\(id)\"><div class=\"title\">\(escape(title))</div>"
            + "<div class=\"value\">\(escape(value))</div><div class=\"note\">\(escape(note))</div></div>"
    }

    // MARK: charts

    static let width = 900.0
    static let height = 260.0

    static func equityChart(_ days: [AttributionDay]) -> String {
        guard days.count >= 1 else { return "<p class=\"empty\">No day closed yet.</p>" }
        let series: [(String, String, [Double])] = [
            ("ours", "Remora", [Double(days[0].ours.navStart.micros)] + days.map { Double($0.ours.navEnd.micros) }),
            ("benchmark", "copy-all", [Double(days[0].benchmark.navStart.micros)] + days.map { Double($0.benchmark.navEnd.micros) }),
            ("rejected", "rejected signals", [Double(days[0].rejected.navStart.micros)] + days.map { Double($0.rejected.navEnd.micros) }),
        ]
        let values = series.flatMap(\.2)
        let low = values.min()!, high = values.max()!
        let span = max(high - low, 1)
        let pad = 40.0
        func x(_ i: Int, _ n: Int) -> Double { pad + (width - 2 * pad) * (n > 1 ? Double(i) / Double(n - 1) : 0.5) }
        func y(_ v: Double) -> Double { height - 25 - (height - 45) * (v - low) / span }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"NAV per day\">"
        for fraction in [0.0, 0.5, 1.0] {
            let v = low + span * fraction
            svg += "<line class=\"grid\" x1=\"\(pad)\" x2=\"\(width - pad)\" y1=\"\(fixed(y(v), 1))\" y2=\"\(fixed(y(v), 1))\"/>"
            svg += "<text class=\"axis\" x=\"2\" y=\"\(fixed(y(v) + 4, 1))\">\(compact(v / 1e6))</text>"
        }
        for (key, label, points) in series {
            let coordinates = points.enumerated().map { "\(fixed(x($0.offset, points.count), 1)),\(fixed(y($0.element), 1))" }
            svg += "<polyline class=\"line \(key)\" data-series=\"\(key)\" data-points=\"\(points.count)\" points=\"\(coordinates.joined(separator: " "))\"><title>\(label)</title></polyline>"
        }
        svg += "<text class=\"axis\" x=\"\(pad)\" y=\"\(height - 5)\">\(dayText(days.first!.day - 1))</text>"
        svg += "<text class=\"axis end\" x=\"\(width - pad)\" y=\"\(height - 5)\">\(dayText(days.last!.day))</text></svg>"
        let legend = series.map { "<span class=\"key \($0.0)\">\($0.1) \(usdc(USDC(micros: Int64($0.2.last!))))</span>" }.joined()
        return svg + "<div class=\"legend\">\(legend)</div>"
    }

    static func performance(_ report: AttributionReport, state: AttributionState?) -> String {
        guard !report.days.isEmpty else { return "" }
        let p = report.ours
        func ratio(_ x: Double) -> String { x.isFinite ? fixed(x, 2) : "n/a" }
        let closed = (state?.ours.closedWins ?? 0) + (state?.ours.closedLosses ?? 0)
        var html = "<p class=\"note\" id=\"performance\">Our book \(signedPercent(report.ourReturn)), copy-all \(signedPercent(report.benchmarkReturn)), "
            + "rejected signals \(signedPercent(report.rejectedReturn)) · Sharpe \(ratio(p.sharpeRatio)) · Sortino \(ratio(p.sortinoRatio)) · "
            + "Calmar \(ratio(p.calmarRatio)) · max drawdown \(percent(p.drawdown.maxDrawdown)) · "
            + "won \(state?.ours.closedWins ?? 0) of \(closed) closed positions</p>"
        html += "<table id=\"monthly-alpha\"><thead><tr><th>month</th><th>alpha vs copy-all</th></tr></thead><tbody>"
        for month in report.monthlyAlpha.suffix(12) {
            html += "<tr><td>\(month.month)</td><td class=\"\(month.alpha < 0 ? "down" : "up")\">\(signedPercent(month.alpha))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func attributionChart(_ report: AttributionReport) -> String {
        let rows = report.linked.filter { $0.key != AttributionDay.cash || abs($0.value.total) > 1e-12 }
            .sorted { abs($0.value.total) > abs($1.value.total) }
        guard !rows.isEmpty else { return "<p class=\"empty\">No attribution yet.</p>" }
        let largest = max(rows.map { max(abs($0.value.allocation), abs($0.value.selection), abs($0.value.interaction)) }.max() ?? 0, 1e-9)
        let rowHeight = 26.0
        let chartHeight = Double(rows.count) * rowHeight * 3 + 20
        let mid = 420.0
        let scale = 300.0 / largest
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(chartHeight))\" role=\"img\" aria-label=\"attribution\">"
        svg += "<line class=\"grid\" x1=\"\(mid)\" x2=\"\(mid)\" y1=\"0\" y2=\"\(Int(chartHeight))\"/>"
        var top = 10.0
        for (name, effects) in rows {
            svg += "<text class=\"label\" x=\"4\" y=\"\(fixed(top + rowHeight * 1.5, 1))\">\(escape(name))</text>"
            for (kind, value) in [("allocation", effects.allocation), ("selection", effects.selection), ("interaction", effects.interaction)] {
                let w = abs(value) * scale
                let x0 = value >= 0 ? mid : mid - w
                svg += "<rect class=\"bar \(kind)\" data-category=\"\(escape(name))\" x=\"\(fixed(x0, 1))\" y=\"\(fixed(top + 3, 1))\" width=\"\(fixed(max(w, 0.5), 1))\" height=\"\(fixed(rowHeight - 6, 1))\"><title>\(escape(name)) \(kind) \(signedPercent(value))</title></rect>"
                svg += "<text class=\"axis\" x=\"\(fixed(value >= 0 ? mid + w + 4 : mid + 4, 1))\" y=\"\(fixed(top + rowHeight - 8, 1))\">\(kind) \(signedPercent(value))</text>"
                top += rowHeight
            }
        }
        svg += "</svg>"
        let share = report.selectionShare.map { percent($0) } ?? "n/a"
        let totals = report.linkedTotals
        return svg + """
            <p class="note">Excess return \(signedPercent(report.excessReturn)) = allocation \(signedPercent(totals.allocation)) \
            + selection \(signedPercent(totals.selection)) + interaction \(signedPercent(totals.interaction)); \
            selection share of the excess: <b id="selection-share">\(share)</b> (roadmap: over 70 %).</p>
            """
    }

    static func funnelChart(_ funnel: [(label: String, count: Int)]) -> String {
        guard let largest = funnel.map(\.count).max(), largest > 0 else { return "<p class=\"empty\">No signal yet.</p>" }
        let rowHeight = 22.0
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(Double(funnel.count) * rowHeight + 6))\" role=\"img\" aria-label=\"funnel\">"
        for (index, row) in funnel.enumerated() {
            let y = Double(index) * rowHeight + 3
            let w = 520.0 * Double(row.count) / Double(largest)
            svg += "<text class=\"label\" x=\"4\" y=\"\(fixed(y + 15, 1))\">\(escape(row.label))</text>"
            svg += "<rect class=\"bar \(row.label == "passed" ? "passed" : "rejected")\" data-reason=\"\(escape(row.label))\" x=\"300\" y=\"\(fixed(y, 1))\" width=\"\(fixed(max(w, 0.5), 1))\" height=\"\(fixed(rowHeight - 4, 1))\"/>"
            svg += "<text class=\"axis\" x=\"\(fixed(306 + w, 1))\" y=\"\(fixed(y + 15, 1))\">\(row.count)</text>"
        }
        return svg + "</svg>"
    }

    // MARK: tables

    static func whaleTable(_ data: DashboardData, tokenQuery: String) -> String {
        guard !data.whales.isEmpty else { return "<p class=\"empty\">No whale scored yet.</p>" }
        var html = "<table id=\"whale-table\"><thead><tr><th>wallet</th><th>WQS</th><th>trend (7 d)</th><th>settled</th><th>drawdown</th><th>state</th><th>P&amp;L copying it</th></tr></thead><tbody>"
        for whale in data.whales {
            let trend = whale.wqsWeekAgo.map { whale.wqs - $0 }
            html += "<tr><td class=\"mono\">\(escape(whale.wallet))</td><td>\(fixed(whale.wqs, 1))</td>"
            html += "<td class=\"\(trend.map { $0 < 0 ? "down" : "up" } ?? "")\">\(trend.map { ($0 >= 0 ? "+" : "") + fixed($0, 1) } ?? "—")</td>"
            html += "<td>\(whale.settled)</td><td>\(percent(whale.drawdown))</td>"
            html += "<td>\(whale.quarantined ? "<span class=\"badge red\">quarantined</span>" : "ok")</td>"
            html += "<td>\(whale.copiedPnl.map { usdc($0) } ?? "—")</td></tr>"
        }
        html += "</tbody></table>"
        let pages = max(1, (data.whaleCount + DashboardData.pageSize - 1) / DashboardData.pageSize)
        html += "<nav class=\"pager\">page \(data.page + 1) of \(pages) (\(data.whaleCount) whales)"
        let joiner = tokenQuery.isEmpty ? "" : "&" + tokenQuery
        if data.page > 0 { html += " · <a href=\"?page=\(data.page - 1)\(joiner)#whales\">previous</a>" }
        if data.page + 1 < pages { html += " · <a href=\"?page=\(data.page + 1)\(joiner)#whales\">next</a>" }
        return html + "</nav>"
    }

    static func alertList(_ alerts: [Alert]) -> String {
        guard !alerts.isEmpty else { return "<p class=\"empty\">No alert.</p>" }
        return "<ul class=\"alerts\">" + alerts.map { alert in
            "<li class=\"\(alert.level.rawValue)\"><span class=\"when\">\(timeText(alert.at))</span> <b>\(alert.level.rawValue)</b> "
                + "\(escape(alert.source)) · \(escape(alert.message))</li>"
        }.joined() + "</ul>"
    }

    static func orderTable(_ orders: [OrderDecision], tokenQuery: String) -> String {
        guard !orders.isEmpty else { return "<p class=\"empty\">No fill yet.</p>" }
        var html = "<table id=\"order-table\"><thead><tr><th>decided</th><th>side</th><th>shares</th><th>price</th><th>notional</th><th>reason</th><th>order</th></tr></thead><tbody>"
        for order in orders {
            let link = "orders/" + (order.orderId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? order.orderId)
                + (tokenQuery.isEmpty ? "" : "?" + tokenQuery)
            html += "<tr><td>\(timeText(order.decidedAt))</td><td>\(order.side.rawValue)</td><td>\(order.fillShares)</td>"
            html += "<td>\(order.fillPrice)</td><td>\(usdc(order.fillNotional))</td>"
            html += "<td>\(escape(order.trigger.map { "\($0.rawValue)" } ?? order.reason))</td>"
            html += "<td><a class=\"mono\" href=\"\(escape(link))\">\(escape(String(order.orderId.prefix(22))))…</a></td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func section(_ title: String, _ body: String, id: String) -> String {
        "<section id=\"\(id)\"><h2>\(escape(title))</h2>\(body)</section>"
    }

    // MARK: formatting

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    static func percent(_ x: Double) -> String { x.isFinite ? fixed(x * 100, 2) + " %" : "n/a" }
    static func signedPercent(_ x: Double) -> String { x.isFinite ? (x >= 0 ? "+" : "") + fixed(x * 100, 2) + " %" : "n/a" }
    static func usdc(_ amount: USDC) -> String { fixed(Double(amount.micros) / 1e6, 2) }
    static func compact(_ x: Double) -> String { abs(x) >= 1000 ? fixed(x / 1000, 1) + "k" : fixed(x, 0) }
    static func dayText(_ day: Int64) -> String {
        let d = civilFromDays(Int(day))
        return String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
    }
    static func timeText(_ time: EventTime) -> String {
        let seconds = time.millis / 1000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - day * 86_400
        return dayText(day) + String(format: " %02d:%02d", rest / 3600, rest % 3600 / 60)
    }

    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
        header{background:#17324d;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:baseline}
        header h1{margin:0;font-size:20px}.sub{opacity:.85}
        main{padding:16px 24px;max-width:1100px}
        section{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:12px 16px;margin:0 0 16px}
        section.cards{display:flex;flex-wrap:wrap;gap:12px;background:none;border:0;padding:0}
        h2{font-size:15px;margin:0 0 8px}
        .card{flex:1 1 130px;border-radius:6px;padding:10px 12px;border:1px solid #d6dae0;background:#fff}
        .card .title{font-size:12px;text-transform:uppercase;letter-spacing:.04em;opacity:.75}
        .card .value{font-size:22px;font-weight:600}.card .note{font-size:11px;opacity:.7}
        .card.green{background:#e5f5ea;border-color:#7cc596}.card.yellow{background:#fff6d6;border-color:#e0b93b}
        .card.red{background:#fde4e1;border-color:#e0665a}
        .chart{width:100%;height:auto}.grid{stroke:#e2e5ea}.axis{font-size:11px;fill:#5b6472}.axis.end{text-anchor:end}
        .label{font-size:12px;fill:#1d2330}
        .line{fill:none;stroke-width:2}.line.ours{stroke:#1f6feb}.line.benchmark{stroke:#9aa4b2;stroke-dasharray:5 3}
        .line.rejected{stroke:#d9822b;stroke-dasharray:2 3}
        .legend .key{margin-right:16px;font-size:12px}.legend .key:before{content:"";display:inline-block;width:14px;height:3px;margin-right:6px;vertical-align:middle}
        .key.ours:before{background:#1f6feb}.key.benchmark:before{background:#9aa4b2}.key.rejected:before{background:#d9822b}
        .bar.allocation{fill:#8e7cc3}.bar.selection{fill:#1f6feb}.bar.interaction{fill:#9aa4b2}
        .bar.passed{fill:#2e9e5b}.bar.rejected{fill:#c9ced6}
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3}
        .mono{font-family:ui-monospace,monospace;font-size:12px}.up{color:#2e9e5b}.down{color:#c0392b}
        .badge.red{background:#fde4e1;color:#a3261b;border-radius:4px;padding:1px 6px}
        ul.alerts{list-style:none;padding:0;margin:0}ul.alerts li{padding:3px 0;border-bottom:1px solid #eef0f3}
        li.critical b{color:#c0392b}li.warning b{color:#a77d00}li.info b{color:#5b6472}.when{font-family:ui-monospace,monospace;font-size:12px;opacity:.7}
        .empty,.note{color:#5b6472}.pager{margin-top:8px;font-size:12px}
        .state-active{color:#2e9e5b}.state-reducing{color:#a77d00}.state-halted{color:#c0392b}
        footer{padding:0 24px 24px;font-size:12px;color:#5b6472}
        """
}
