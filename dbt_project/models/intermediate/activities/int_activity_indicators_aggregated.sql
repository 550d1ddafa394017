-- Activity indicators of the month: rows per activity type (the seed maps each type to its
-- indicator), distinct structures for the two « Structure ASE » types. Activities describe
-- the association's work, not people: no cell count, no disclosure control.
{%- set distinct_title_indicators = ['ase_structures_contacted', 'ase_structures_met'] %}

with

activities as (
    select * from {{ ref('int_activities_coded') }}
),

scoped as (
    select
        activities.period,
        scopes.scope,
        {{ scope_association_code('activities.association_code') }} as association_code,
        activities.indicator_code,
        activities.title_key
    from activities
    {{ cross_join_scopes() }}
),

counted as (
    select
        period,
        scope,
        association_code,
        indicator_code,
        count(*) as activity_rows,
        count(distinct title_key) as distinct_titles
    from scoped
    group by all
)

select
    period,
    scope,
    association_code,
    indicator_code,
    null::varchar as mis_pe_dimension,
    'total' as breakdown,
    null::varchar as breakdown_value,
    case
        when indicator_code in (
            {%- for code in distinct_title_indicators %}'{{ code }}'{{ ', ' if not loop.last }}{% endfor -%}
        ) then distinct_titles
        else activity_rows
    end::double as value,
    null::double as numerator,
    null::double as denominator,
    null::bigint as cell_count
from counted
