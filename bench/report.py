"""The figures as a table, and beside a saved run's figures (--compare) with their ratios."""

TARGET_ADMIN_IMPORT = "target < 10 s"


def report(figures):
    lines = [
        f"Machine: {figures['machine']}",
        f"Database: {figures['rows']:,} incidents (built in {figures['build_s']:.0f} s)",
    ]
    if "export" in figures:
        lines += report_export(figures["export"], figures["rows"])
    if "pages" in figures:
        lines += report_pages(figures["pages"])
    if "imports" in figures:
        lines += ["", "4. Imports"]
        for name, figure in figures["imports"].items():
            extra = ""
            if "peak_rss_mib" in figure:
                extra = f"   peak {figure['peak_rss_mib']:.0f} MiB"
            if "seconds" in figure:
                extra = f"   {figure['seconds']:.1f} s ({TARGET_ADMIN_IMPORT})"
            lines.append(f"   {name:<36} {figure['rows_per_s']:>8,.0f} rows/s{extra}")
    if "postgres" in figures:
        lines += ["", "5. PostgreSQL (same rows)"]
        lines += report_export(figures["postgres"]["export"], figures["rows"], "   CSV export")
        lines += report_pages(
            figures["postgres"]["pages"],
            "   List page (p50 / p95 ms)",
            "   Admin changelist (p50 / p95 ms)",
        )
    for backend, load in figures.get("load", {}).items():
        lines += report_load(backend, load)
    if figures.get("skipped"):
        lines.append("")
        lines += [f"Not measured: {what}, {why}" for what, why in figures["skipped"].items()]
    return "\n".join(lines)


def report_export(export, rows, heading="1. Full CSV export"):
    ours = export["ours"]
    lines = [
        "",
        heading,
        f"   ours (web view)        {ours['rows_per_s']:>10,.0f} rows/s   first byte "
        f"{ours['first_byte_s']:.2f} s   server peak {ours['peak_rss_mib']:.0f} MiB",
    ]
    if "datasette" in export:
        peer = export["datasette"]
        lines.append(
            f"   Datasette (labels)     {peer['rows_per_s']:>10,.0f} rows/s   first byte "
            f"{peer['first_byte_s']:.2f} s   server peak {peer['peak_rss_mib']:.0f} MiB"
            f"   → ours ×{ours['rows_per_s'] / peer['rows_per_s']:.1f} (target ×3)"
        )
        if peer["rows_sent"] < rows:
            lines.append(f"     (Datasette ended its stream after {peer['rows_sent']:,} rows)")
    if "stdlib" in export:
        ceiling = export["stdlib"]["rows_per_s"]
        lines.append(
            f"   stdlib sqlite3 + csv   {ceiling:>10,.0f} rows/s   "
            f"(the ceiling; ours is {ours['rows_per_s'] / ceiling:.0%})"
        )
    return lines


def report_pages(
    pages,
    list_heading="2. List page, facets included (p50 / p95 ms)",
    admin_heading="3. Admin changelist (p50 / p95 ms)",
):
    lines = ["", list_heading]
    for name, figure in pages["list"].items():
        peer = pages.get("datasette", {}).get(name)
        beside = f"   Datasette {peer['p50_ms']:.0f} / {peer['p95_ms']:.0f}" if peer else ""
        lines.append(f"   {name:<22} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:.0f}{beside}")
    lines += ["", admin_heading]
    for name, figure in pages["admin"].items():
        lines.append(f"   {name:<24} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:.0f}")
    return lines


def report_load(backend, load):
    lines = [
        "",
        f"6. Load on {backend}, {load['rows']:,} incidents: {load['users']} users for "
        f"{load['seconds']} s, gunicorn with 3 workers (p50 / p95 ms)",
    ]
    for name, figure in load["pages"].items():
        lines.append(
            f"   {name:<30} {figure['p50_ms']:>7.0f} / {figure['p95_ms']:<7.0f} "
            f"{figure['requests']:>6,} requests, {figure['failures']} failed"
        )
    lines.append(f"   answers of 500 or more: {load['server_errors']}")
    if load["failures"]:
        lines.append("   failures, as locust counted them:")
        for name, error, occurrences in load["failures"]:
            lines.append(f"     {occurrences:>6,} × {name}: {error}")
    during = load.get("during_import")
    if during:
        saved = (
            f", saved in {during['saved_p50_ms']:,.0f} ms (median), "
            f"{during['saved_max_ms']:,.0f} ms at most"
            if during["saved"]
            else ""
        )
        lines.append(
            f"   saves in the admin during an import of {during['import_rows']:,} rows "
            f"({'done' if during['import_ok'] else 'FAILED'} in {during['import_s']:.0f} s): "
            f"{during['saves']} tried, {during['saved']} saved{saved}; "
            f"{during['busy_503']} answered 503 (busy, nothing saved)"
            + (f"; other answers {during['other']}" if during["other"] else "")
        )
    return lines


# --- beside a saved run -----------------------------------------------------------------

# Figures that are better higher or lower, by the end of their names; others (rows, bytes,
# requests made) are only shown.
HIGHER_IS_BETTER = ("_per_s",)
LOWER_IS_BETTER = ("_ms", "_s", "_mib", "failures", "server_errors", "busy_503")
SAME_WITHIN = 0.05  # a ratio this close to 1 is called "same": runs differ by that much


def numbers(figures, path=()):
    """(path, value) of every number in the figures, nested dicts walked in order."""
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from numbers(value, (*path, key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield (*path, key), value


def verdict(name, ratio):
    if abs(ratio - 1) < SAME_WITHIN:
        return "same"
    if name.endswith(HIGHER_IS_BETTER):
        return "better" if ratio > 1 else "worse"
    if name.endswith(LOWER_IS_BETTER):
        return "better" if ratio < 1 else "worse"
    return ""


def compare(now, then, label):
    """Each figure of ``now`` beside the same figure of ``then``, and now / then."""
    old = dict(numbers(then))
    lines = [
        "",
        f"Compared with {label} ({then.get('when', 'undated')}, {then.get('machine', '')})",
    ]
    if then.get("rows") != now.get("rows"):
        lines.append(
            f"   (that run measured {then.get('rows', 0):,} incidents, this one "
            f"{now.get('rows', 0):,}: the ratios compare different sizes)"
        )
    lines.append(f"   {'figure':<62} {'now':>10} {'then':>10}   ratio")
    shown = 0
    for path, value in numbers(now):
        if path == ("runs",) or path not in old:
            continue
        name = " / ".join(path)
        before = old[path]
        if before:
            ratio = value / before
            beside = f"×{ratio:<6.2f} {verdict(path[-1], ratio)}"
        else:
            beside = "—" if value == 0 else "(was 0)"
        lines.append(f"   {name:<62} {number(value):>10} {number(before):>10}   {beside}")
        shown += 1
    if not shown:
        lines.append("   no figure of this run is in that file")
    return "\n".join(lines)


def number(value):
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
