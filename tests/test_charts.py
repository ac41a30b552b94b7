"""Server-rendered SVG charts (app/charts.py): escaped texts, accessible names,
French formats, data tables, all-zero and negative data."""
import re
import xml.etree.ElementTree as ET
from decimal import Decimal as D

import pytest
from markupsafe import Markup

from app import charts

SVG = "{http://www.w3.org/2000/svg}"
money = charts.money_formatter("fr_FR")
euros = charts.money_formatter("fr_FR", cents=False)
count = charts.count_formatter("fr_FR")


def month_bars(values):
    names = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
    return [charts.Bar(label=name[:4] + ".", name=f"{name} 2026", value=D(value),
                       display=money(D(value)), short=euros(D(value)))
            for name, value in zip(names, values)]


def svg_of(markup):
    """The <svg> element of a chart, parsed as XML (it must be well-formed)."""
    match = re.search(r"<svg.*</svg>", str(markup), re.S)
    assert match, "no svg"
    return ET.fromstring(match.group(0))


def bars_of(svg):
    return [group for group in svg.iter(f"{SVG}g") if "pl-bar" in group.get("class", "").split()]


def rect_of(bar):
    return bar.find(f"{SVG}rect")


def test_a_vertical_chart_is_an_accessible_image_with_a_label_per_bar():
    values = ["1234.56", "0", "15000", "99.99"] + ["0"] * 8
    chart = charts.vertical_bar_chart(
        month_bars(values), chart_id="ca", title="CA HT par mois", label_header="Mois",
        value_header="CA HT", tick_format=euros, description="Une barre par mois.")
    assert isinstance(chart, Markup)
    svg = svg_of(chart)
    assert svg.get("role") == "img" and svg.get("aria-label") == "CA HT par mois"
    assert svg.find(f"{SVG}title").text == "CA HT par mois"
    assert svg.find(f"{SVG}desc").text == "Une barre par mois."
    bars = bars_of(svg)
    assert len(bars) == 12
    first = bars[0]
    assert first.get("role") == "img"
    assert first.get("aria-label") == "janvier 2026\u00a0: 1\u202f234,56\u00a0€"
    assert first.find(f"{SVG}title").text == first.get("aria-label")
    # Each bar shows its value on screen (rounded to the euro when the bars are narrow).
    assert [bar.find(f"{SVG}text").text for bar in bars[:4]] == [
        "1\u202f235\u00a0€", "0\u00a0€", "15\u202f000\u00a0€", "100\u00a0€"]
    # Ticks are French too.
    ticks = [text.text for text in svg.find(f"{SVG}g[@class='pl-axis']").iter(f"{SVG}text")]
    assert ticks[0] == "0\u00a0€" and all("€" in tick for tick in ticks)
    assert "15\u202f000\u00a0€" in ticks or "16\u202f000\u00a0€" in ticks
    # The taller the value, the taller the bar.
    heights = [float(rect_of(bar).get("height")) for bar in bars[:4]]
    assert heights[2] > heights[0] > heights[3] > heights[1] == 0


def test_the_chart_is_followed_by_a_table_with_the_same_figures():
    chart = str(charts.vertical_bar_chart(
        month_bars(["1234.56", "10"] + ["0"] * 10), chart_id="ca", title="CA HT par mois",
        label_header="Mois", value_header="CA HT", tick_format=euros,
        total=("Total sur 12 mois", "1\u202f244,56\u00a0€"), toggle_label="Afficher les données"))
    table = chart[chart.index("</svg>"):]
    assert "<details" in table and "<summary>Afficher les données</summary>" in table
    assert '<th scope="col">Mois</th>' in table
    assert '<th scope="row">janvier 2026</th><td class="pl-num">1\u202f234,56\u00a0€</td>' in table
    assert table.count('<th scope="row">') == 13  # 12 months and the total
    assert "Total sur 12 mois" in table


def test_texts_are_escaped_everywhere():
    evil = '<script>alert("x")</script> & Fils'
    bars = [charts.Bar(label=evil, value=D("10"), display='10,00 € <b>"', name=evil)]
    for chart in (
        charts.horizontal_bar_chart(bars, chart_id='x"><script>', title=evil,
                                    label_header=evil, value_header="CA", subtitle=evil,
                                    description=evil),
        charts.vertical_bar_chart(bars, chart_id="y", title=evil, label_header="Mois",
                                  value_header=evil, description=evil),
    ):
        html = str(chart)
        assert "<script>" not in html and "<b>" not in html
        assert "&lt;script&gt;" in html and "&amp; Fils" in html
        svg = svg_of(chart)  # still well-formed XML
        assert bars_of(svg)[0].get("aria-label").startswith('<script>alert("x")</script>')


def test_long_names_are_cut_on_screen_but_whole_for_screen_readers():
    name = "Société Coopérative Agricole des Producteurs de Lait du Haut-Doubs"
    chart = charts.horizontal_bar_chart(
        [charts.Bar(label=name, value=D("12.5"), display="12,50\u00a0€")], chart_id="top",
        title="Meilleurs clients", label_header="Client", value_header="CA HT")
    bar = bars_of(svg_of(chart))[0]
    shown = bar.find(f"{SVG}text[@class='pl-bar-name']").text
    assert shown.endswith("…") and len(shown) < len(name)
    assert bar.get("aria-label") == f"{name}\u00a0: 12,50\u00a0€"
    assert f'<th scope="row">{name}</th>' in str(chart)


@pytest.mark.parametrize("builder", [charts.vertical_bar_chart, charts.horizontal_bar_chart])
def test_all_zero_data_draws_empty_bars_without_dividing_by_zero(builder):
    bars = month_bars(["0"] * 12)
    chart = builder(bars, chart_id="zero", title="Règlements reçus par mois",
                    label_header="Mois", value_header="Montant")
    svg = svg_of(chart)
    rects = [rect_of(bar) for bar in bars_of(svg)]
    assert len(rects) == 12
    assert all(float(rect.get("height" if builder is charts.vertical_bar_chart else "width"))
               == 0 for rect in rects)
    assert all(bar.find(f"{SVG}text[@class='pl-bar-value']").text == "0\u00a0€"
               for bar in bars_of(svg))
    assert "nan" not in str(chart).lower() and "inf" not in str(chart).lower()


def test_no_bar_at_all_still_renders():
    chart = charts.vertical_bar_chart([], chart_id="vide", title="Vide", label_header="Mois",
                                      value_header="CA")
    assert svg_of(chart).get("role") == "img"
    chart = charts.horizontal_bar_chart([], chart_id="vide", title="Vide", label_header="Client",
                                        value_header="CA")
    assert svg_of(chart).get("role") == "img"


def test_counts_use_whole_ticks():
    bars = [charts.Bar(label=str(n), value=n, display=count(n)) for n in (0, 1, 0, 1)]
    chart = charts.vertical_bar_chart(bars, chart_id="docs", title="Documents émis par mois",
                                      label_header="Mois", value_header="Documents",
                                      tick_format=count, integer=True)
    ticks = [text.text for text in svg_of(chart).find(f"{SVG}g[@class='pl-axis']")
             .iter(f"{SVG}text")]
    assert ticks == ["0", "1"]
    assert charts.nice_ticks(0, 1234, integer=True) == [0, 500, 1000, 1500]
    assert charts.nice_ticks(0, 0) == [0, 1]
    assert charts.nice_ticks(0, 0.6) == [0, 0.2, 0.4, pytest.approx(0.6)]
    ticks = charts.money_formatter("fr_FR", cents=None)
    assert [ticks(D(v)) for v in ("0", "0.2", "2500")] == ["0\u00a0€", "0,20\u00a0€",
                                                          "2\u202f500\u00a0€"]
    assert charts.nice_ticks(-300, 1134.56) == [-500, 0, 500, 1000, 1500]


def test_negative_values_go_below_the_zero_line_hatched_and_labelled():
    # A month with only a credit note has a negative revenue.
    bars = month_bars(["1000", "-300", "500"] + ["0"] * 9)
    svg = svg_of(charts.vertical_bar_chart(bars, chart_id="neg", title="CA HT par mois",
                                           label_header="Mois", value_header="CA HT",
                                           tick_format=euros))
    zero = float(svg.find(f"{SVG}line[@class='pl-zero']").get("y1"))
    positive, negative = bars_of(svg)[0], bars_of(svg)[1]
    top = float(rect_of(positive).get("y"))
    assert top + float(rect_of(positive).get("height")) == pytest.approx(zero)
    assert float(rect_of(negative).get("y")) == pytest.approx(zero)   # starts at zero, goes down
    assert float(rect_of(negative).get("height")) > 0
    assert "is-negative" in negative.get("class")
    assert rect_of(negative).get("fill").startswith("url(#neg-p")       # hatched, not colour only
    assert negative.find(f"{SVG}text").text == "-300\u00a0€"
    assert float(negative.find(f"{SVG}text").get("y")) > zero          # label under the bar
    ticks = [text.text for text in svg.find(f"{SVG}g[@class='pl-axis']").iter(f"{SVG}text")]
    assert ticks[0].startswith("-")

    horizontal = svg_of(charts.horizontal_bar_chart(
        bars[:3], chart_id="hneg", title="Clients", label_header="Client", value_header="CA"))
    zero_x = float(horizontal.find(f"{SVG}line[@class='pl-zero']").get("x1"))
    neg = bars_of(horizontal)[1]
    assert float(rect_of(neg).get("x")) + float(rect_of(neg).get("width")) == pytest.approx(zero_x)
    assert float(rect_of(bars_of(horizontal)[0]).get("x")) == pytest.approx(zero_x)


def test_patterns_tell_the_bars_apart_without_colour():
    bars = [charts.Bar(label=f"b{n}", value=D(n + 1), display=str(n + 1), pattern=pattern,
                       color="#123456")
            for n, pattern in enumerate(charts.PATTERNS)]
    chart = charts.horizontal_bar_chart(bars, chart_id="aged", title="Balance âgée",
                                        label_header="Ancienneté", value_header="Montant dû")
    svg = svg_of(chart)
    fills = [rect_of(bar).get("fill") for bar in bars_of(svg)]
    assert fills[0] == "#123456" and len(set(fills)) == 5
    assert len(svg.findall(f"{SVG}defs/{SVG}pattern")) == 4
    swatch = charts.pattern_swatch("crosshatch", "#123456", ident="legend")
    assert 'aria-hidden="true"' in swatch and "<pattern" in swatch


def test_two_charts_on_one_page_do_not_share_pattern_ids():
    bars = [charts.Bar(label="a", value=D("-1"), display="-1")]
    first = str(charts.vertical_bar_chart(bars, chart_id="un", title="Un", label_header="M",
                                          value_header="V"))
    second = str(charts.vertical_bar_chart(bars, chart_id="deux", title="Deux", label_header="M",
                                           value_header="V"))
    ids = set(re.findall(r'id="([^"]+)"', first)) & set(re.findall(r'id="([^"]+)"', second))
    assert not ids
