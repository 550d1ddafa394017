-- One row per approved version of a month (`ase-impact approve AAAA-MM`): when, by whom and why,
-- whether it is the month's latest, and how many of its figures differ from the current ones
-- (a revision waiting for approval; the published copy and the shared workbooks keep showing
-- the approved version until then).
with

approvals as (
    select * from {{ ref('int_approvals_listed') }}
),

revisions as (
    select * from {{ ref('int_indicator_revisions') }}
),

versions as (
    select
        approved_month,
        approval_version,
        -- One approval version has one time, approver and reason: max() takes that one value.
        max(approved_at) as approved_at,
        max(approved_by) as approved_by,
        max(reason) as reason,
        bool_or(is_latest) as is_latest
    from approvals
    group by approved_month, approval_version
),

pending as (
    select approved_month, from_version, count(*) as figures
    from revisions
    where is_pending
    group by approved_month, from_version
),

revised as (
    select approved_month, to_version, count(*) as figures
    from revisions
    where not is_pending
    group by approved_month, to_version
)

select
    versions.approved_month,
    {{ month_text('versions.approved_month') }} as approved_month_code,
    versions.approval_version,
    versions.approved_at,
    versions.approved_by,
    versions.reason,
    versions.is_latest,
    coalesce(revised.figures, 0)::integer as figures_revised,
    case when versions.is_latest then coalesce(pending.figures, 0) end::integer
        as figures_changed_since
from versions
left join pending
    on pending.approved_month = versions.approved_month
    and pending.from_version = versions.approval_version
left join revised
    on revised.approved_month = versions.approved_month
    and revised.to_version = versions.approval_version
order by versions.approved_month, versions.approval_version
