-- The months each association's indicators are published for (référentiel §2, revised
-- 2026-12): from its first activity, the earliest of the month of its first file in force,
-- of its first questionnaire answered (end of mentoring or MIS PE) and of its first activity
-- (activities are dated in their file's month) and of the first month the registry expects
-- a file from it (an association that never reported still shows its reporting rates), to
-- the latest month with a file received (or the last month the registry expects it, or its
-- last file, when it stopped earlier).
-- Every answer thus lands in a published month, whether or not a file was sent that month.
-- A pair matched before the association's first file does not extend it: without a file
-- there is no snapshot, and the pair is counted in the months of the files it is active in.
with

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_deduplicated') }}
),

mispe_questionnaires as (
    select * from {{ ref('int_mispe_questionnaires_deduplicated') }}
),

registered as (
    select * from {{ ref('int_associations_registered') }}
),

expected as (
    select * from {{ ref('int_associations_expected') }}
),

reported as (
    select max(period) as last_period from {{ ref('int_periods_reported') }}
),

activity_months as (
    select association_code, period as month from reports
    union all
    select association_code, answered_period from end_questionnaires
    union all
    select association_code, answered_period from mispe_questionnaires
    union all
    select association_code, period from expected
),

bounds as (
    select
        activity_months.association_code,
        min(activity_months.month) as first_month,
        max(reports.period) as last_file_period,
        -- The registry has one row per association: max() takes that row's values.
        max(registered.association_code) is not null as is_registered,
        max(registered.last_expected_period) as last_expected_period
    from activity_months
    left join reports
        on reports.association_code = activity_months.association_code
        and reports.period = activity_months.month
    left join registered
        on registered.association_code = activity_months.association_code
    group by activity_months.association_code
),

ranges as (
    select
        bounds.association_code,
        bounds.first_month,
        case
            when bounds.is_registered then least(
                reported.last_period,
                greatest(
                    coalesce(bounds.last_file_period, bounds.first_month),
                    coalesce(bounds.last_expected_period, reported.last_period)
                )
            )
            else bounds.last_file_period
        end as last_month
    from bounds
    cross join reported
)

select
    association_code,
    {{ month_series('first_month', 'last_month') }} as period
from ranges
where first_month <= last_month
