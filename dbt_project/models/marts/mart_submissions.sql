-- Expected vs received, per month: every registry association expected that month and every
-- association that sent something, with the latest version received and the version in force
-- (both as quality.latest_submissions states them).
with

expected as (
    select * from {{ ref('int_associations_expected') }}
),

latest as (
    select * from {{ ref('stg_quality__latest_submissions') }}
),

statuses as (
    select * from {{ ref('submission_statuses') }}
),

timed as (
    select * from {{ ref('int_submissions_timed') }}
),

expected_or_seen as (
    select period, association_code from expected
    union
    select period, association_code from latest
)

select
    expected_or_seen.period,
    expected_or_seen.association_code,
    coalesce(expected.association_name, latest.association_name) as association_name,
    expected.association_code is not null as expected,
    latest.association_code is not null as received,
    latest.file_name,
    latest.sha256,
    latest.received_at,
    latest.version,
    latest.version_in_force,
    latest.template_version,
    latest.rows_received,
    latest.rows_accepted,
    latest.rows_rejected,
    latest.rows_with_alerts,
    -- Nothing received: the one status of an expected file that did not come.
    coalesce(
        latest.status,
        (select status_code from statuses where not is_received)
    ) as status,
    coalesce(
        latest.message_fr,
        case when latest.association_code is null
            then 'Aucun fichier reçu pour la période '
                || {{ month_text('expected_or_seen.period') }} || '.'
        end
    ) as message,
    latest.quarantine_reason_fr as quarantine_reason,
    latest.quarantined_at,
    {{ due_date('expected_or_seen.period') }} as due_date,
    timed.first_received_at,
    coalesce(timed.is_on_time, false) as received_on_time
from expected_or_seen
left join expected
    on expected.period = expected_or_seen.period
    and expected.association_code = expected_or_seen.association_code
left join latest
    on latest.period = expected_or_seen.period
    and latest.association_code = expected_or_seen.association_code
left join timed
    on timed.period = expected_or_seen.period
    and timed.association_code = expected_or_seen.association_code
order by expected_or_seen.period, expected_or_seen.association_code
