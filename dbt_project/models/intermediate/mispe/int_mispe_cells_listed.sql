-- One MIS PE score per youth, dimension and cell (total, or wave) of each (period, scope,
-- association). A youth with several questionnaires in a cell counts once, with the latest
-- answered (at département scope, across associations).
with

scores as (
    select * from {{ ref('int_mispe_dimensions_scored') }}
),

cells as (
    select
        scores.answered_period as period,
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
    {{ cross_join_scopes() }}
),

one_per_youth as (
    select *
    from cells
    qualify row_number() over (
        partition by
            period, scope, scope_association_code, mis_pe_dimension,
            breakdown, breakdown_value, youth_key
        order by answered_on desc, wave_order desc, file_period desc, answering_association_code
    ) = 1
)

select
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
