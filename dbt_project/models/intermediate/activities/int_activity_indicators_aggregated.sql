-- Activity indicators of each window: rows per activity type (the seed maps each type to its
-- indicator), distinct structures for the two « Structure ASE » types, over the activities of
-- the window's months. Each indicator counts the associations of its population (the
-- catalogue's: the mentoring programme's own activities apply to mentoring associations).
-- Activities describe the association's work, not people: no cell count, no disclosure control.
{%- set distinct_title_indicators = ['ase_structures_contacted', 'ase_structures_met'] %}

with

activities as (
    select * from {{ ref('int_activities_coded') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

populations as (
    select * from {{ ref('int_indicator_populations') }}
),

scoped as (
    select
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('activities.association_code') }} as association_code,
        activities.indicator_code,
        catalog.population as population_code,
        activities.title_key
    from activities
    inner join windows
        on activities.period between windows.window_start and windows.window_end
    inner join catalog
        on catalog.indicator_code = activities.indicator_code
    inner join populations
        on populations.population_code = catalog.population
        and populations.association_code = activities.association_code
    {{ cross_join_scopes() }}
),

counted as (
    select
        period_grain,
        period,
        scope,
        association_code,
        indicator_code,
        population_code,
        count(*) as activity_rows,
        count(distinct title_key) as distinct_titles
    from scoped
    group by period_grain, period, scope, association_code, indicator_code, population_code
)

select
    period_grain,
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
    end::double precision as value,
    null::double precision as numerator,
    null::double precision as denominator,
    null::bigint as cell_count,
    population_code
from counted
