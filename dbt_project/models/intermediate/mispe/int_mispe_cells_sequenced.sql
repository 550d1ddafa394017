-- Each youth's MIS PE scores per dimension and cell (total, or wave) of each scope and
-- association, one per month answered in: the latest of that month (at département scope,
-- across associations), with the next month the youth answered in the same cell. A window
-- then counts the youth once, with the score of its last month answered within the window
-- (macro answered_last_in_window), without listing every youth in every window.
-- Incremental by youth (macros/incremental.sql): only the youth whose scores changed.
-- depends_on: {{ ref('int_mispe_youth_inputs') }}
with

scores as (
    select * from {{ ref('int_mispe_dimensions_scored') }} as scores
    {{- where_digest_changed(
        'scores', 'int_mispe_youth_inputs', 'int_mispe_youth_built', 'youth_key'
    ) }}
),

cells as (
    select
        scopes.scope,
        {{ scope_association_code('scores.association_code') }} as association_code,
        scores.association_code as answering_association_code,
        scores.youth_key,
        scores.mis_pe_dimension,
        scores.wave_code,
        scores.wave_order,
        scores.file_period,
        scores.answered_on,
        scores.answered_period,
        scores.score,
        scores.is_favourable,
        {{ breakdown_cells(['wave']) }}
    from scores
    {{ cross_join_scopes() }}
),

latest_of_month as (
    select *
    from (
        select *, row_number() over (
            partition by
                scope, association_code, mis_pe_dimension, breakdown, breakdown_value, youth_key,
                answered_period
            order by answered_on desc, wave_order desc, file_period desc, answering_association_code
        ) as recency
        from cells
    ) as ranked
    where recency = 1
)

select
    scope,
    association_code,
    mis_pe_dimension,
    breakdown,
    breakdown_value,
    youth_key,
    answered_period,
    lead(answered_period) over (
        partition by scope, association_code, mis_pe_dimension, breakdown, breakdown_value, youth_key
        order by answered_period
    ) as next_answered_period,
    answering_association_code,
    wave_code,
    answered_on,
    score,
    is_favourable,
    -- The dbt invocation that computed the youth's rows.
    '{{ invocation_id }}' as dbt_invocation_id
from latest_of_month
