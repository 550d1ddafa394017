-- Every published period, at every grain (the seed period_grains): each month of the
-- calendar, each quarter, each year to date (period = the month it runs to) and each year,
-- with the window of days it covers. The calendar runs from the first month any
-- association's indicators are published for to the latest month with a file received.
-- A longer grain's window covers its whole quarter or year even while it is still running;
-- months_covered counts the calendar months it holds so far.
with

association_months as (
    select * from {{ ref('int_association_months_listed') }}
),

reported as (
    select * from {{ ref('int_periods_reported') }}
),

bounds as (
    select min(period) as first_month, max(period) as last_month
    from association_months
),

months as (
    select {{ month_series('first_month', 'last_month') }} as month
    from bounds
    where first_month is not null
),

windows as (
    select distinct
        grains.grain_code as period_grain,
        case grains.grain_code
            when 'month' then months.month
            when 'quarter' then date_trunc('quarter', months.month)::date
            when 'year_to_date' then months.month
            when 'year' then date_trunc('year', months.month)::date
        end as period,
        case grains.grain_code
            when 'month' then months.month
            when 'quarter' then date_trunc('quarter', months.month)::date
            else date_trunc('year', months.month)::date
        end as window_start,
        case grains.grain_code
            when 'quarter' then (date_trunc('quarter', months.month) + interval '3 month' - interval '1 day')::date
            when 'year' then make_date(extract(year from months.month)::integer, 12, 31)
            else {{ last_day_of('months.month') }}
        end as window_end
    from months
    cross join {{ ref('period_grains') }} as grains
)

select
    windows.period_grain,
    windows.period,
    windows.window_start,
    windows.window_end,
    count(months.month)::integer as months_covered,
    count(reported.period) > 0 as has_submissions,
    bool_or(months.month = bounds.last_month) as is_latest
from windows
cross join bounds
inner join months
    on months.month between windows.window_start and windows.window_end
left join reported
    on reported.period = months.month
group by windows.period_grain, windows.period, windows.window_start, windows.window_end
