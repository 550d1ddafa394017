-- Where indicators are published: each association for the months it reported, and the
-- département for every reported month.
with

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

periods as (
    select * from {{ ref('int_periods_reported') }}
),

scopes as (
    select period, period_end, 'association' as scope, association_code
    from reports
    union all
    select period, period_end, 'departement' as scope, null as association_code
    from periods
)

select * from scopes
