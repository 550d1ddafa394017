-- Every approved version of a month (approvals.approvals, written by `ase-impact approve`;
-- empty until a month is approved), with the windows it froze and whether it is the latest.
{%- set approvals = approved_relation('approvals') %}
{%- set windows = approved_relation('approved_windows') %}
{#- Approvals of the first release had no reason: NULL for them. -#}
{%- set has_reason = approvals is not none and 'reason' in (
    adapter.get_columns_in_relation(approvals) | map(attribute='name') | list
) %}

with

approvals as (
    {%- if approvals is not none and windows is not none %}
    select
        approvals.approved_month::date as approved_month,
        approvals.approval_version::integer as approval_version,
        approvals.approved_at::timestamp as approved_at,
        approvals.approved_by::varchar as approved_by,
        {{ 'approvals.reason' if has_reason else 'null' }}::varchar as reason,
        windows.period_grain::varchar as period_grain,
        windows.period::date as period
    from {{ approvals }} as approvals
    inner join {{ windows }} as windows
        on windows.approved_month = approvals.approved_month
        and windows.approval_version = approvals.approval_version
    {%- else %}
    select
        null::date as approved_month,
        null::integer as approval_version,
        null::timestamp as approved_at,
        null::varchar as approved_by,
        null::varchar as reason,
        null::varchar as period_grain,
        null::date as period
    where false
    {%- endif %}
)

select
    *,
    approval_version = max(approval_version) over (partition by approved_month) as is_latest
from approvals
