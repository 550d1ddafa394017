-- The months indicators are published for: every month with at least one file received.
with

latest_submissions as (
    select * from {{ ref('stg_quality__latest_submissions') }}
),

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

periods as (
    select period from latest_submissions
    union
    select period from reports
)

select
    period,
    {{ last_day_of('period') }} as period_end
from periods
