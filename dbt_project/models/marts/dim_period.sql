-- The calendar of months from the first to the last month with a file received.
with

periods as (
    select * from {{ ref('int_periods_covered') }}
)

select
    period,
    period_end,
    strftime(period, '%Y-%m') as period_code,
    year(period)::integer as year,
    month(period)::integer as month,
    [
        'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
        'septembre', 'octobre', 'novembre', 'décembre'
    ][month(period)] || ' ' || year(period) as label_fr,
    has_submissions,
    is_latest
from periods
order by period
