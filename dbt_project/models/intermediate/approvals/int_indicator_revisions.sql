-- Each figure of an approved month that changed: between two approved versions (from_version
-- → to_version), and between the latest approved version and the current figures (a revision
-- pending approval, to_version NULL). A figure changed when its value, its reason for having
-- none or its disclosure flag differs. caused_by names the files whose version in force
-- changed between the two: for an association's figure, that association's; for the
-- département's, those of the associations whose same figure changed (all changed files if
-- none did).
{%- set approved = approved_relation('fct_indicators') %}
{%- set files = approved_relation('files_in_force') %}
{%- set key = indicator_cell_key() %}

with

versions as (
    select distinct approved_month, approval_version, is_latest
    from {{ ref('int_approvals_listed') }}
),

windows as (
    select * from {{ ref('int_approvals_listed') }}
),

approved_figures as (
    {%- if approved is not none %}
    select
        approved_month::date as approved_month,
        approval_version::integer as approval_version,
        {{ approved_columns(approved, fct_indicator_columns()) }}
    from {{ approved }}
    {%- else %}
    select null::date as approved_month, null::integer as approval_version,
        {{ approved_columns(none, fct_indicator_columns()) }}
    where false
    {%- endif %}
),

current_figures as (
    select windows.approved_month, null::integer as approval_version, indicators.*
    from {{ ref('fct_indicators') }} as indicators
    inner join windows
        on windows.is_latest
        and windows.period_grain = indicators.period_grain
        and windows.period = indicators.period
),

-- The comparisons: each version with the one before, and the latest with the current figures.
comparisons as (
    select approved_month, approval_version - 1 as from_version, approval_version as to_version
    from versions
    where approval_version > 1
    union all
    select approved_month, approval_version, null::integer
    from versions
    where is_latest
),

figures as (
    select approved_month, approval_version as version, {{ key | join(', ') }}, value,
        is_suppressed, no_value_reason
    from approved_figures
    union all
    select approved_month, null::integer, {{ key | join(', ') }}, value, is_suppressed,
        no_value_reason
    from current_figures
),

-- Each side of every comparison: the figures of its from_version (old) and of its
-- to_version (new; NULL: the current figures).
old_side as (
    select comparisons.from_version, comparisons.to_version, figures.*
    from comparisons
    inner join figures
        on figures.approved_month = comparisons.approved_month
        and figures.version = comparisons.from_version
),

new_side as (
    select comparisons.from_version, comparisons.to_version, figures.*
    from comparisons
    inner join figures
        on figures.approved_month = comparisons.approved_month
        and figures.version is not distinct from comparisons.to_version
),

compared as (
    select
        coalesce(old.approved_month, new.approved_month) as approved_month,
        coalesce(old.from_version, new.from_version) as from_version,
        coalesce(old.to_version, new.to_version) as to_version,
        {%- for column in key %}
        coalesce(old.{{ column }}, new.{{ column }}) as {{ column }},
        {%- endfor %}
        old.value as old_value,
        old.is_suppressed as old_is_suppressed,
        old.no_value_reason as old_no_value_reason,
        new.value as new_value,
        new.is_suppressed as new_is_suppressed,
        new.no_value_reason as new_no_value_reason
    from old_side as old
    full outer join new_side as new
        on new.approved_month = old.approved_month
        and new.from_version = old.from_version
        and new.to_version is not distinct from old.to_version
        {%- for column in key %}
        and new.{{ column }} is not distinct from old.{{ column }}
        {%- endfor %}
    where {{ round_to('old.value', 9) }} is distinct from {{ round_to('new.value', 9) }}
        or old.no_value_reason is distinct from new.no_value_reason
        or old.is_suppressed is distinct from new.is_suppressed
),

files_then as (
    {%- if files is not none %}
    select
        approved_month::date as approved_month,
        approval_version::integer as approval_version,
        period::date as period,
        association_code::varchar as association_code,
        version_in_force::integer as version_in_force,
        sha256::varchar as sha256,
        file_name::varchar as file_name
    from {{ files }}
    {%- else %}
    select null::date as approved_month, null::integer as approval_version, null::date as period,
        null::varchar as association_code, null::integer as version_in_force,
        null::varchar as sha256, null::varchar as file_name
    where false
    {%- endif %}
),

files_now as (
    select
        latest.period,
        latest.association_code,
        latest.version_in_force,
        latest.sha256_in_force as sha256,
        versions.file_name
    from {{ ref('stg_quality__latest_submissions') }} as latest
    left join {{ ref('stg_quality__submissions') }} as versions
        on versions.period = latest.period
        and versions.association_code = latest.association_code
        and versions.version = latest.version_in_force
),

-- Which file each approved version had in force for every partition, and which it has now.
file_states as (
    select approved_month, approval_version as version, period, association_code,
        version_in_force, sha256, file_name
    from files_then
    union all
    select months.approved_month, null::integer, files_now.*
    from files_now
    cross join (select distinct approved_month from comparisons) as months
),

old_states as (
    select
        comparisons.*,
        coalesce(comparisons.to_version, -1) as to_key,
        states.period,
        states.association_code,
        states.version_in_force,
        states.sha256,
        states.file_name
    from comparisons
    inner join file_states as states
        on states.approved_month = comparisons.approved_month
        and states.version = comparisons.from_version
),

new_states as (
    select
        comparisons.*,
        coalesce(comparisons.to_version, -1) as to_key,
        states.period,
        states.association_code,
        states.version_in_force,
        states.sha256,
        states.file_name
    from comparisons
    inner join file_states as states
        on states.approved_month = comparisons.approved_month
        and states.version is not distinct from comparisons.to_version
),

changed_files as (
    select
        coalesce(new.approved_month, old.approved_month) as approved_month,
        coalesce(new.from_version, old.from_version) as from_version,
        coalesce(new.to_version, old.to_version) as to_version,
        coalesce(new.association_code, old.association_code) as association_code,
        coalesce(
            new.file_name,
            old.file_name,
            {{ month_text('coalesce(new.period, old.period)') }} || '/'
                || coalesce(new.association_code, old.association_code) || '.xlsx'
        )
            || ' (version ' || coalesce(old.version_in_force::varchar, 'aucune') || ' → '
            || coalesce(new.version_in_force::varchar, 'aucune') || ')' as file_label
    from old_states as old
    full outer join new_states as new
        on new.approved_month = old.approved_month
        and new.from_version = old.from_version
        and new.to_key = old.to_key
        and new.period = old.period
        and new.association_code = old.association_code
    where old.sha256 is distinct from new.sha256
),

causes as (
    select approved_month, from_version, to_version, association_code,
        string_agg(file_label, ' ; ' order by file_label) as files
    from changed_files
    group by approved_month, from_version, to_version, association_code
),

all_causes as (
    select approved_month, from_version, to_version,
        string_agg(file_label, ' ; ' order by file_label) as files
    from changed_files
    group by approved_month, from_version, to_version
),

changed_associations as (
    select distinct approved_month, from_version, to_version, period_grain, period,
        indicator_code, mis_pe_dimension, breakdown, breakdown_value, association_code
    from compared
    where scope = 'association'
)

select
    compared.*,
    compared.to_version is null as is_pending,
    case
        when compared.scope = 'association' then association_causes.files
        else coalesce((
            select string_agg(distinct causes.files, ' ; ')
            from changed_associations
            inner join causes
                on causes.approved_month = changed_associations.approved_month
                and causes.from_version = changed_associations.from_version
                and causes.to_version is not distinct from changed_associations.to_version
                and causes.association_code = changed_associations.association_code
            where changed_associations.approved_month = compared.approved_month
                and changed_associations.from_version = compared.from_version
                and changed_associations.to_version is not distinct from compared.to_version
                and changed_associations.period_grain = compared.period_grain
                and changed_associations.period = compared.period
                and changed_associations.indicator_code = compared.indicator_code
                and changed_associations.mis_pe_dimension is not distinct from compared.mis_pe_dimension
                and changed_associations.breakdown = compared.breakdown
                and changed_associations.breakdown_value is not distinct from compared.breakdown_value
        ), all_causes.files)
    end as caused_by
from compared
left join causes as association_causes
    on association_causes.approved_month = compared.approved_month
    and association_causes.from_version = compared.from_version
    and association_causes.to_version is not distinct from compared.to_version
    and association_causes.association_code = compared.association_code
left join all_causes
    on all_causes.approved_month = compared.approved_month
    and all_causes.from_version = compared.from_version
    and all_causes.to_version is not distinct from compared.to_version
