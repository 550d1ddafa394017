-- The calendar of published periods: every month from the first to the last month with a
-- file received, including the months in between where nothing came.
with

periods as (
    select * from {{ ref('int_periods_reported') }}
),

bounds as (
    select min(period) as first_period, max(period) as last_period
    from periods
),

calendar as (
    select {{ month_series('first_period', 'last_period') }} as period
    from bounds
    where first_period is not null
)

select
    calendar.period,
    {{ last_day_of('calendar.period') }} as period_end,
    periods.period is not null as has_submissions,
    calendar.period = (select last_period from bounds) as is_latest
from calendar
left join periods
    on periods.period = calendar.period
