-- The charts of the consolidated workbook's « Tableau de bord »: for each month, each chart's
-- categories (a breakdown of a département indicator) in the référentiel's order, with their
-- count and disclosure flags from fct_indicators, and the chart's total (the indicator's
-- total cell) with its own flag: the shared version groups masked categories from it or
-- replaces the chart by a note, never drawing a masked category as 0. A chart without any
-- category for the month keeps one row, its category NULL.
with

periods as (
    select * from {{ ref('dim_period') }}
    where period_grain = 'month'
),

indicators as (
    select * from {{ ref('fct_indicators') }}
    where period_grain = 'month'
        and scope = 'departement'
),

categories as (
    select * from {{ ref('int_breakdown_categories_listed') }}
),

-- The status chart reads pairs_followed: the pairs of the month (active in it, or waiting
-- for a mentor), not every pair the files still list since January.
charts (chart_order, indicator_code, breakdown, title_fr, value_header_fr, chart_kind) as (
    values
        (1, 'pairs_followed', 'status', 'Statut des binômes suivis sur le mois', 'Binômes', 'pie'),
        (2, 'youth_accompanied', 'territory', 'Jeunes accompagnés par territoire', 'Jeunes', 'col'),
        (3, 'youth_accompanied', 'age_band', 'Jeunes accompagnés par tranche d''âge', 'Jeunes', 'col'),
        (4, 'youth_accompanied', 'sex', 'Jeunes accompagnés par sexe', 'Jeunes', 'pie'),
        (5, 'youth_accompanied', 'placement_type', 'Jeunes accompagnés par type de placement', 'Jeunes', 'bar')
),

charted as (
    select
        periods.period,
        charts.chart_order,
        charts.indicator_code,
        charts.breakdown,
        charts.title_fr,
        charts.value_header_fr,
        charts.chart_kind,
        indicators.breakdown_value as category,
        -- Categories outside the référentiel (« Non renseigné ») come last.
        categories.display_order as category_order,
        indicators.value,
        indicators.is_suppressed,
        indicators.is_secondary_suppressed,
        totals.value as total_value,
        totals.is_suppressed as is_total_suppressed
    from periods
    cross join charts
    left join indicators
        on indicators.period = periods.period
        and indicators.indicator_code = charts.indicator_code
        and indicators.breakdown = charts.breakdown
    left join indicators as totals
        on totals.period = periods.period
        and totals.indicator_code = charts.indicator_code
        and totals.breakdown = 'total'
    left join categories
        on categories.breakdown = indicators.breakdown
        and categories.breakdown_value = indicators.breakdown_value
)

select
    period,
    chart_order::integer as chart_order,
    indicator_code,
    breakdown,
    title_fr,
    value_header_fr,
    chart_kind,
    category,
    value,
    coalesce(is_suppressed, false) as is_suppressed,
    coalesce(is_secondary_suppressed, false) as is_secondary_suppressed,
    total_value,
    coalesce(is_total_suppressed, false) as is_total_suppressed,
    row_number() over (
        partition by period
        order by chart_order, category_order nulls last, category
    )::integer as row_order
from charted
