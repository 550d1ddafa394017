-- The « Chiffres clés » of the consolidated workbook's Synthèse: a few département totals, in
-- the order the département chose, for every month of the calendar: the month, the year to
-- date (« Cumul de l'année ») and, where the calendar has it, the same month and year to date
-- of the previous year. Each figure carries its disclosure flags and, when it has no value,
-- the reason shown (no_value_reasons).
{%- set columns = [
    ('month', 'month', 0),
    ('ytd', 'year_to_date', 0),
    ('previous_month', 'month', 1),
    ('previous_ytd', 'year_to_date', 1),
] %}

with

periods as (
    select * from {{ ref('dim_period') }}
    where period_grain = 'month'
),

catalog as (
    select * from {{ ref('mart_indicator_catalog') }}
),

reasons as (
    select * from {{ ref('no_value_reasons') }}
),

figures as (
    select
        indicators.period_grain,
        indicators.period,
        indicators.indicator_code,
        indicators.value,
        indicators.is_suppressed,
        indicators.is_secondary_suppressed,
        reasons.label_fr as no_value_label
    from {{ ref('fct_indicators') }} as indicators
    left join reasons
        on reasons.reason_code = indicators.no_value_reason
    where indicators.scope = 'departement'
        and indicators.breakdown = 'total'
        and indicators.mis_pe_dimension is null
        and indicators.period_grain in ('month', 'year_to_date')
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
        ('questionnaire_response_rate', 12),
        ('files_received_rate', 13),
        ('files_on_time_rate', 14)
)

select
    periods.period,
    key_figures.indicator_code,
    catalog.label_fr,
    catalog.unit,
    {%- for name, grain, years_back in columns %}
    {%- set prefix = '' if name == 'month' else name ~ '_' %}
    {{ name }}_figures.value as {{ prefix }}value,
    coalesce({{ name }}_figures.is_suppressed, false) as {{ prefix }}is_suppressed,
    coalesce({{ name }}_figures.is_secondary_suppressed, false)
        as {{ prefix }}is_secondary_suppressed,
    {{ name }}_figures.no_value_label as {{ prefix }}no_value_label,
    {%- endfor %}
    previous_periods.period is not null as has_previous_year,
    key_figures.row_order::integer as row_order
from periods
cross join key_figures
inner join catalog
    on catalog.indicator_code = key_figures.indicator_code
left join periods as previous_periods
    on previous_periods.period = periods.period - interval '1 year'
{%- for name, grain, years_back in columns %}
left join figures as {{ name }}_figures
    on {{ name }}_figures.period_grain = '{{ grain }}'
    and {{ name }}_figures.period = periods.period - interval '{{ years_back }} year'
    and {{ name }}_figures.indicator_code = key_figures.indicator_code
{%- endfor %}
