-- Expected vs received, per month: every registry association expected that month and every
-- association that sent something, with the latest version received.
with

periods as (
    select * from {{ ref('dim_period') }}
),

registry as (
    select * from {{ source('raw', 'associations') }}
),

submissions as (
    select * from {{ ref('stg_quality__submissions') }}
),

latest as (
    select *
    from submissions
    qualify row_number() over (partition by period, association_code order by version desc) = 1
),

versions_in_force as (
    select period, association_code, max(version) as version_in_force
    from submissions
    where is_accepted
    group by all
),

expected as (
    select periods.period, registry.association_code, registry.association_name
    from periods
    inner join registry
        on date_trunc('month', registry.expected_from) <= periods.period
        and (registry.expected_until is null or registry.expected_until >= periods.period)
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
    versions_in_force.version_in_force,
    latest.template_version,
    latest.rows_received,
    latest.rows_accepted,
    latest.rows_rejected,
    latest.rows_with_alerts,
    coalesce(latest.status, 'missing') as status,
    coalesce(
        latest.message_fr,
        case when latest.association_code is null
            then 'Aucun fichier reçu pour la période '
                || strftime(expected_or_seen.period, '%Y-%m') || '.'
        end
    ) as message
from expected_or_seen
left join expected
    on expected.period = expected_or_seen.period
    and expected.association_code = expected_or_seen.association_code
left join latest
    on latest.period = expected_or_seen.period
    and latest.association_code = expected_or_seen.association_code
left join versions_in_force
    on versions_in_force.period = expected_or_seen.period
    and versions_in_force.association_code = expected_or_seen.association_code
order by expected_or_seen.period, expected_or_seen.association_code
