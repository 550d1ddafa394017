-- The calendar of published periods at every grain: each month from the first month an
-- association's indicators are published for (its first file, answer or activity) to the
-- latest month with a file received, each quarter, each year to date and each year.
with

windows as (
    select * from {{ ref('int_period_windows') }}
),

grains as (
    select * from {{ ref('period_grains') }}
),

month_names (month, name_fr) as (
    values
        (1, 'janvier'), (2, 'février'), (3, 'mars'), (4, 'avril'), (5, 'mai'), (6, 'juin'),
        (7, 'juillet'), (8, 'août'), (9, 'septembre'), (10, 'octobre'), (11, 'novembre'),
        (12, 'décembre')
)

select
    windows.period_grain,
    windows.period,
    windows.window_start as period_start,
    -- The last day the period covers so far (a running quarter or year ends at the latest
    -- month of the calendar).
    least(windows.window_end, {{ last_day_of(
        "(select max(period) from windows where period_grain = 'month')"
    ) }}) as period_end,
    case windows.period_grain
        when 'month' then {{ month_text('windows.period') }}
        when 'quarter' then extract(year from windows.period)::integer || '-T' || extract(quarter from windows.period)::integer
        when 'year_to_date' then {{ month_text('windows.period') }} || '-cumul'
        when 'year' then extract(year from windows.period)::integer::varchar
    end as period_code,
    extract(year from windows.period)::integer as year,
    extract(month from windows.period)::integer as month,
    case windows.period_grain
        when 'month' then start_names.name_fr || ' ' || extract(year from windows.period)::integer
        when 'quarter' then extract(quarter from windows.period)::integer || case extract(quarter from windows.period)::integer
            when 1 then 'er' else 'e' end || ' trimestre ' || extract(year from windows.period)::integer
        when 'year_to_date' then case
            when extract(month from windows.period)::integer = 1 then 'janvier ' || extract(year from windows.period)::integer
            else 'janvier à ' || start_names.name_fr || ' ' || extract(year from windows.period)::integer
        end
        when 'year' then 'année ' || extract(year from windows.period)::integer
    end as label_fr,
    grains.sort_order as grain_order,
    windows.months_covered,
    windows.has_submissions,
    windows.is_latest,
    -- The disclosure threshold this build masked the figures with (ASE_IMPACT_MIN_CELL):
    -- what the workbooks of a month approved later must state, whatever its command's setting.
    {{ var('min_cell') | int }} as min_cell
from windows
inner join grains
    on grains.grain_code = windows.period_grain
inner join month_names as start_names
    on start_names.month = extract(month from windows.period)::integer
order by grains.sort_order, windows.period
