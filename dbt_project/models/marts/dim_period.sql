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
    select unnest(range(1, 13)), unnest([
        'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
        'septembre', 'octobre', 'novembre', 'décembre'
    ])
)

select
    windows.period_grain,
    windows.period,
    windows.window_start as period_start,
    -- The last day the period covers so far (a running quarter or year ends at the latest
    -- month of the calendar).
    least(windows.window_end, last_day(
        (select max(period) from windows where period_grain = 'month')
    )) as period_end,
    case windows.period_grain
        when 'month' then strftime(windows.period, '%Y-%m')
        when 'quarter' then year(windows.period) || '-T' || quarter(windows.period)
        when 'year_to_date' then strftime(windows.period, '%Y-%m') || '-cumul'
        when 'year' then year(windows.period)::varchar
    end as period_code,
    year(windows.period)::integer as year,
    month(windows.period)::integer as month,
    case windows.period_grain
        when 'month' then start_names.name_fr || ' ' || year(windows.period)
        when 'quarter' then quarter(windows.period) || case quarter(windows.period)
            when 1 then 'er' else 'e' end || ' trimestre ' || year(windows.period)
        when 'year_to_date' then case
            when month(windows.period) = 1 then 'janvier ' || year(windows.period)
            else 'janvier à ' || start_names.name_fr || ' ' || year(windows.period)
        end
        when 'year' then 'année ' || year(windows.period)
    end as label_fr,
    grains.sort_order as grain_order,
    windows.months_covered,
    windows.has_submissions,
    windows.is_latest
from windows
inner join grains
    on grains.grain_code = windows.period_grain
inner join month_names as start_names
    on start_names.month = month(windows.period)
order by grains.sort_order, windows.period
