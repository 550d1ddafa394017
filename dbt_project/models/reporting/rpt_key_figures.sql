-- The « Chiffres clés du mois » of the consolidated workbook's Synthèse: a few département
-- totals, in the order the département chose, for every month of the calendar.
with

periods as (
    select * from {{ ref('dim_period') }}
),

catalog as (
    select * from {{ ref('mart_indicator_catalog') }}
),

indicators as (
    select * from {{ ref('fct_indicators') }}
    where scope = 'departement'
        and breakdown = 'total'
        and mis_pe_dimension is null
),

key_figures (indicator_code, row_order) as (
    values
        ('youth_accompanied', 1),
        ('youth_new', 2),
        ('youth_waiting', 3),
        ('pairs_active', 4),
        ('pairs_closed', 5),
        ('pairs_abandoned', 6),
        ('abandonment_rate', 7),
        ('objective_met_rate', 8),
        ('mentors_active', 9),
        ('mentors_trained', 10),
        ('attendance_rate', 11),
        ('questionnaire_response_rate', 12)
)

select
    periods.period,
    key_figures.indicator_code,
    catalog.label_fr,
    catalog.unit,
    indicators.value,
    coalesce(indicators.is_suppressed, false) as is_suppressed,
    key_figures.row_order::integer as row_order
from periods
cross join key_figures
inner join catalog
    on catalog.indicator_code = key_figures.indicator_code
left join indicators
    on indicators.period = periods.period
    and indicators.indicator_code = key_figures.indicator_code
