-- One MIS PE score per youth, dimension and cell (total, or wave) of each (window, scope,
-- association). A youth with several questionnaires in a cell counts once, with the latest
-- answered in the window (at département scope, across associations).
with

scores as (
    select * from {{ ref('int_mispe_dimensions_scored') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

cells as (
    select
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('scores.association_code') }} as scope_association_code,
        scores.association_code as answering_association_code,
        scores.youth_key,
        scores.mis_pe_dimension,
        scores.wave_code,
        scores.wave_order,
        scores.file_period,
        scores.answered_on,
        scores.score,
        scores.is_favourable,
        {{ breakdown_cells(['wave']) }}
    from scores
    inner join windows
        on scores.answered_period between windows.window_start and windows.window_end
    {{ cross_join_scopes() }}
),

one_per_youth as (
    select *
    from (
        select *, row_number() over (
            partition by
                period_grain, period, scope, scope_association_code, mis_pe_dimension,
                breakdown, breakdown_value, youth_key
            order by answered_on desc, wave_order desc, file_period desc, answering_association_code
        ) as recency
        from cells
    ) as ranked
    where recency = 1
)

select
    period_grain,
    period,
    scope,
    scope_association_code as association_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value,
    youth_key,
    answering_association_code,
    wave_code,
    answered_on,
    score,
    is_favourable
from one_per_youth
